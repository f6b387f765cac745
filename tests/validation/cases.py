"""The hand-written landing records of the validation tests: one good record per source and one
case per rule (the overrides that break it, the reasons expected). A fixture module."""

from __future__ import annotations

# sales
SALES_GOOD = {
    "order_id": "O1", "line_no": "1", "order_type": "sale", "customer_id": "C1", "site_id": "S1",
    "channel": "store", "ordered_at": "2026-01-05 10:30:00", "product_category": "grocery",
    "quantity": "2", "unit_price": "10.50", "discount": "0.1", "revenue": "18.90", "cost": "12.00",
    "currency": "CNY",
}  # fmt: skip
SALES_RETURN = {**SALES_GOOD, "order_type": "return", "revenue": "-18.90", "cost": "-12.00"}

# one fault per record: overrides of SALES_GOOD (or SALES_RETURN) -> the exact reasons string
SALES_CASES = [
    ({"order_id": ""}, "order_id:missing"),
    ({"line_no": None}, "line_no:missing"),
    ({"line_no": "1.5"}, "line_no:not_an_integer"),
    ({"line_no": "0"}, "line_no:less_than_1"),
    ({"order_type": "  "}, "order_type:missing"),
    ({"order_type": "refund"}, "order_type:not_sale_or_return"),
    ({"order_type": "Sale"}, "order_type:not_sale_or_return"),
    ({"customer_id": ""}, "customer_id:missing"),
    ({"site_id": None}, "site_id:missing"),
    ({"site_id": "ALL"}, "site_id:reserved"),  # the marts' all-sites key
    ({"site_id": " all "}, "site_id:reserved"),  # any case, blanks ignored
    ({"ordered_at": ""}, "ordered_at:missing"),
    ({"ordered_at": "2026-02-30 10:00:00"}, "ordered_at:not_a_timestamp"),
    ({"ordered_at": "2026-01-05"}, "ordered_at:not_a_timestamp"),
    ({"ordered_at": "05/01/2026 10:00"}, "ordered_at:not_a_timestamp"),
    ({"ordered_at": "2026-01-06 02:00:01"}, "ordered_at:in_future"),
    ({"quantity": ""}, "quantity:missing"),
    ({"quantity": "2.5"}, "quantity:not_an_integer"),
    ({"quantity": "0", "revenue": "0"}, "quantity:not_positive"),
    ({"unit_price": None}, "unit_price:missing"),
    ({"unit_price": "10,50"}, "unit_price:not_a_number"),
    ({"unit_price": "-1", "revenue": "-1.8"}, "unit_price:negative"),
    ({"discount": ""}, "discount:missing"),
    ({"discount": "10%"}, "discount:not_a_number"),
    ({"discount": "1", "revenue": "0"}, "discount:out_of_range"),
    ({"discount": "-0.1", "revenue": "23.10"}, "discount:out_of_range"),
    ({"revenue": None}, "revenue:missing"),
    ({"revenue": "1e1"}, "revenue:not_a_number"),
    ({"revenue": "21.00"}, "revenue:mismatch"),
    ({"revenue": "-18.90"}, "revenue:mismatch"),  # a sale's revenue is positive
    ({"cost": ""}, "cost:missing"),
    ({"cost": "abc"}, "cost:not_a_number"),
    ({"cost": "-0.01"}, "cost:wrong_sign"),
    ({"currency": None}, "currency:missing"),
    ({"currency": "cny"}, "currency:not_iso4217"),
    ({"currency": "XXX"}, "currency:not_iso4217"),
]
SALES_RETURN_CASES = [
    ({"revenue": "18.90"}, "revenue:mismatch"),
    ({"cost": "12.00"}, "cost:wrong_sign"),
]
SALES_CODES = {code for _, code in SALES_CASES + SALES_RETURN_CASES} | {"order_id+line_no:duplicate"}


# survey
SURVEY_GOOD = {
    "response_id": "R1", "question_id": "nps", "customer_id": "C1", "site_id": "S1",
    "submitted_at": "2026-01-05 09:00:00", "channel": "email", "answer": "9", "answer_text": None,
}  # fmt: skip
SURVEY_TEXT = {**SURVEY_GOOD, "question_id": "comment", "answer": None, "answer_text": "服务很好"}

SURVEY_CASES = [
    ({"response_id": ""}, "response_id:missing"),
    ({"question_id": None}, "question_id:missing"),
    ({"question_id": "nps_v2"}, "question_id:not_in_catalog"),
    ({"site_id": " "}, "site_id:missing"),
    ({"site_id": "All"}, "site_id:reserved"),
    ({"submitted_at": None}, "submitted_at:missing"),
    ({"submitted_at": "yesterday"}, "submitted_at:not_a_timestamp"),
    ({"answer": None}, "answer:missing"),
    ({"answer": ""}, "answer:missing"),
    ({"answer": "nine"}, "answer:not_a_number"),
    ({"answer": "11"}, "answer:out_of_scale"),
    ({"answer": "-1"}, "answer:out_of_scale"),
    ({"answer": "8.5"}, "answer:out_of_scale"),
    ({"question_id": "csat", "answer": "0"}, "answer:out_of_scale"),
    ({"question_id": "acsi_complained", "answer": "2"}, "answer:out_of_scale"),
    ({"question_id": "comment", "answer": "5", "answer_text": "ok"}, "answer:not_null_for_text"),
    ({"question_id": "comment", "answer": None, "answer_text": ""}, "answer_text:missing"),
]
SURVEY_CODES = {code for _, code in SURVEY_CASES} | {"response_id+question_id:duplicate"}


# complaint
COMPLAINT_GOOD = {
    "complaint_id": "K1", "customer_id": "C1", "site_id": "S1", "opened_at": "2026-01-04 08:00:00",
    "first_response_at": "2026-01-04 09:00:00", "closed_at": "2026-01-05 08:00:00",
    "updated_at": "2026-01-05 08:00:00", "status": "resolved", "resolved": "true", "channel": "phone",
    "category": "billing", "severity": "2", "compensation": "50.00", "description": "charged twice",
}  # fmt: skip

COMPLAINT_CASES = [
    ({"complaint_id": ""}, "complaint_id:missing"),
    ({"customer_id": None}, "customer_id:missing"),
    ({"site_id": ""}, "site_id:missing"),
    ({"site_id": "ALL\t"}, "site_id:reserved"),
    ({"opened_at": ""}, "opened_at:missing"),
    ({"opened_at": "2026-01-04 8:00"}, "opened_at:not_a_timestamp"),
    ({"first_response_at": "soon"}, "first_response_at:not_a_timestamp"),
    ({"first_response_at": "2026-01-04 07:59:59"}, "first_response_at:before_opened_at"),
    ({"closed_at": "2026-01-05 08:00:00Z", "resolved": "false"}, "closed_at:not_a_timestamp"),
    ({"closed_at": "2026-01-03 08:00:00"}, "closed_at:before_opened_at"),
    ({"updated_at": None}, "updated_at:missing"),
    ({"updated_at": "2026/01/05 08:00:00"}, "updated_at:not_a_timestamp"),
    ({"updated_at": "2026-01-03 08:00:00"}, "updated_at:before_opened_at"),
    ({"status": ""}, "status:missing"),
    ({"status": "done"}, "status:not_allowed"),
    ({"resolved": None}, "resolved:missing"),
    ({"resolved": "yes"}, "resolved:not_a_boolean"),
    ({"closed_at": None}, "resolved:without_closed_at"),
    ({"channel": "fax"}, "channel:not_allowed"),
    ({"severity": ""}, "severity:missing"),
    ({"severity": "high"}, "severity:not_an_integer"),
    ({"severity": "5"}, "severity:out_of_range"),
    ({"severity": "0"}, "severity:out_of_range"),
    ({"compensation": None}, "compensation:missing"),
    ({"compensation": "¥50"}, "compensation:not_a_number"),
    ({"compensation": "-0.01"}, "compensation:negative"),
]
COMPLAINT_CODES = {code for _, code in COMPLAINT_CASES}
