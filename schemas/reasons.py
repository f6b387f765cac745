"""The quarantine reason vocabulary: every reason code a landing record can get.

A reason code is `<field>:<rule>`. `ops_quarantine.reasons` holds every code of a
record, sorted and joined with "; ". The generator's manifest of planted bad
records uses the same codes, so tests compare them exactly. Source: CONTRACT.md
(landing tables) and METRICS.md section 0/1.
"""

from __future__ import annotations

SEPARATOR = "; "

# Rules shared by several fields.
MISSING = "missing"  # null or empty text in a required field
NOT_A_NUMBER = "not_a_number"
NOT_AN_INTEGER = "not_an_integer"
NOT_A_TIMESTAMP = "not_a_timestamp"
NOT_A_BOOLEAN = "not_a_boolean"
DUPLICATE = "duplicate"
RESERVED = "reserved"
RESERVED_SITE_ID = "ALL"  # the all-sites key of the marts

# Codes given while reading a file (csi.ingest, csi.pipeline.stage), not by validation.
# A file-level code, and a record-level code with a detail, carry it in parentheses
# after the code, e.g. "file:missing_column (cost)".
FILE_UNREADABLE = "file:unreadable"
FILE_DUPLICATE_COLUMN = "file:duplicate_column"
FILE_MISSING_COLUMN = "file:missing_column"
ENCODING_INVALID = "encoding:invalid"

REASONS: dict[str, str] = {
    # sales
    "order_id:missing": "order_id is empty",
    "line_no:missing": "line_no is empty",
    "line_no:not_an_integer": "line_no is not a whole number",
    "line_no:less_than_1": "line_no must be >= 1",
    "order_id+line_no:duplicate": "another row of the drop has the same (order_id, line_no)",
    "order_type:missing": "order_type is empty",
    "order_type:not_sale_or_return": "order_type must be 'sale' or 'return'",
    "customer_id:missing": "customer_id is empty",
    "site_id:missing": "site_id is empty",
    "ordered_at:missing": "ordered_at is empty",
    "ordered_at:not_a_timestamp": "ordered_at is not a timestamp",
    "ordered_at:in_future": "ordered_at is later than the run's start",
    "quantity:missing": "quantity is empty",
    "quantity:not_an_integer": "quantity is not a whole number",
    "quantity:not_positive": "quantity must be > 0",
    "unit_price:missing": "unit_price is empty",
    "unit_price:not_a_number": "unit_price is not a number",
    "unit_price:negative": "unit_price must be >= 0",
    "discount:missing": "discount is empty",
    "discount:not_a_number": "discount is not a number",
    "discount:out_of_range": "discount must be in [0, 1)",
    "revenue:missing": "revenue is empty",
    "revenue:not_a_number": "revenue is not a number",
    "revenue:mismatch": "revenue differs from +/- quantity * unit_price * (1 - discount) by more than 0.01",
    "cost:missing": "cost is empty",
    "cost:not_a_number": "cost is not a number",
    "cost:wrong_sign": "cost must be >= 0 for a sale and <= 0 for a return",
    "currency:missing": "currency is empty",
    "currency:not_iso4217": "currency is not an ISO 4217 code",
    # surveys
    "response_id:missing": "response_id is empty",
    "question_id:missing": "question_id is empty",
    "question_id:not_in_catalog": "question_id is not in the instrument catalog",
    "response_id+question_id:duplicate": "another row of the drop has the same (response_id, question_id)",
    "submitted_at:missing": "submitted_at is empty",
    "submitted_at:not_a_timestamp": "submitted_at is not a timestamp",
    "answer:missing": "a numeric question has no answer",
    "answer:not_a_number": "answer is not a number",
    "answer:out_of_scale": "answer is not a point of the question's scale",
    "answer:not_null_for_text": "a text question carries a numeric answer",
    "answer_text:missing": "a text question has no answer_text",
    # complaints
    "complaint_id:missing": "complaint_id is empty",
    "opened_at:missing": "opened_at is empty",
    "opened_at:not_a_timestamp": "opened_at is not a timestamp",
    "first_response_at:not_a_timestamp": "first_response_at is not a timestamp",
    "first_response_at:before_opened_at": "first_response_at is earlier than opened_at",
    "closed_at:not_a_timestamp": "closed_at is not a timestamp",
    "closed_at:before_opened_at": "closed_at is earlier than opened_at",
    "updated_at:missing": "updated_at is empty",
    "updated_at:not_a_timestamp": "updated_at is not a timestamp",
    "updated_at:before_opened_at": "updated_at is earlier than opened_at",
    "status:missing": "status is empty",
    "status:not_allowed": "status must be open, in_progress, resolved, rejected or closed",
    "resolved:missing": "resolved is empty",
    "resolved:not_a_boolean": "resolved is not true/false",
    "resolved:without_closed_at": "resolved is true but closed_at is empty",
    "channel:not_allowed": "channel must be phone, email, web, store or social",
    "severity:missing": "severity is empty",
    "severity:not_an_integer": "severity is not a whole number",
    "severity:out_of_range": "severity must be 1..4",
    "compensation:missing": "compensation is empty",
    "compensation:not_a_number": "compensation is not a number",
    "compensation:negative": "compensation must be >= 0",
    # every source
    "site_id:reserved": "site_id is ALL (any case, blanks ignored), the marts' all-sites key",
    # records that cannot be decoded or parsed (the rest of the file loads)
    "encoding:invalid": "the record's bytes are not valid text in the file's encoding (shown as \\xNN)",
    "record:malformed_json": "the JSONL line is not valid JSON",
    "record:not_a_json_object": "the JSONL line is valid JSON but not an object",
    "record:wrong_field_count": "the CSV record has more or fewer fields than the header",
    "record:unterminated_quote": "a quoted CSV field is not closed on its line (only that line is rejected)",
    "record:malformed_csv": "the CSV record is not valid CSV, e.g. text after a closing quote",
    # whole files and columns
    "file:unreadable": "the file cannot be read (corrupt or wrong format)",
    "file:duplicate_column": "the header names a column twice: the file is quarantined whole",
    "file:missing_column": "the file lacks a required column: the file is quarantined whole",
}

#: the codes csi.ingest and staging give; the others come from validation
INGEST_CODES = frozenset(c for c in REASONS if c.split(":")[0] in ("file", "record", "encoding"))


def column_missing(column: str) -> str:
    """Reason for every row of a file that lacks a required column."""
    return f"{column}:column_missing"


def join(codes: list[str]) -> str:
    return SEPARATOR.join(sorted(set(codes)))
