"""csi.warehouse.mart_inputs: which rows each mart family's input holds, on hand-made facts and
marts (expected ids worked out by hand), both backends."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from csi.warehouse import mart_inputs as inputs
from tests.hand_made import hand_made

MARCH = date(2026, 3, 1)


def _ids(frame: pl.LazyFrame, *columns: str) -> list:
    got = frame.collect()
    return sorted(got.select(columns).rows()) if len(columns) > 1 else sorted(got[columns[0]].to_list())


def test_survey_inputs_by_the_response_date_or_the_answer_date(warehouse_url):
    with hand_made(warehouse_url) as wh:
        wh.put("fct_survey_response", [
            {"response_id": "R1", "customer_id": "C1", "submitted_date": date(2026, 3, 2)},
            {"response_id": "R2", "customer_id": None, "submitted_date": date(2026, 3, 5)},
            {"response_id": "R3", "customer_id": "C3", "submitted_date": date(2026, 2, 20)}])
        wh.put("fct_survey_answer", [
            # R1 was answered across midnight of the month: its latest answer dates the response
            {"response_id": "R1", "question_id": "Q1", "submitted_date": date(2026, 2, 28)},
            {"response_id": "R1", "question_id": "Q2", "submitted_date": date(2026, 3, 2)},
            {"response_id": "R3", "question_id": "Q1", "submitted_date": date(2026, 2, 20)}])
        with wh.warehouse.transaction() as tx:
            assert _ids(inputs.answers_of_responses_since(tx, MARCH), "response_id", "question_id") == [
                ("R1", "Q1"), ("R1", "Q2")]
            narrow = inputs.answers_of_responses_since(tx, MARCH, ("response_id", "answer")).collect()
            assert narrow.columns == ["response_id", "answer"]
            assert _ids(inputs.answers_since(tx, MARCH), "response_id", "question_id") == [("R1", "Q2")]
            assert _ids(inputs.responses_since(tx, MARCH), "response_id") == ["R1", "R2"]
            assert inputs.identified_responses_since(tx, MARCH).collect().sort("response_id").rows() == [("R1", "C1")]
            assert _ids(inputs.all_responses(tx), "response_id") == ["R1", "R2", "R3"]


def _complaint(cid, opened, closed=None, first_response=None):
    return {"complaint_id": cid, "customer_id": "C1", "site_id": "S1", "opened_at": opened,
            "updated_at": opened, "closed_at": closed, "first_response_at": first_response}


def test_complaint_and_sales_inputs(warehouse_url):
    with hand_made(warehouse_url) as wh:
        wh.put("fct_complaint", [
            _complaint("K1", datetime(2026, 1, 10), closed=datetime(2026, 2, 10)),  # over before March
            _complaint("K2", datetime(2026, 1, 10)),  # still open: in every later month's backlog
            _complaint("K3", datetime(2026, 2, 10), closed=datetime(2026, 3, 5)),
            _complaint("K4", datetime(2026, 2, 27, 22), closed=datetime(2026, 2, 28, 23),
                       first_response=datetime(2026, 3, 1, 8)),  # answered after its closing, in March
            _complaint("K5", datetime(2026, 3, 2))])
        wh.put("fct_sales", [
            {"order_id": "O1", "line_no": 1, "order_type": "sale", "customer_id": "C1", "order_date": date(2026, 2, 28)},
            {"order_id": "O2", "line_no": 1, "order_type": "sale", "customer_id": "C1", "order_date": date(2026, 3, 1)},
            {"order_id": "O3", "line_no": 1, "order_type": "return", "customer_id": "C2",
             "order_date": date(2026, 3, 3)}])
        with wh.warehouse.transaction() as tx:
            assert _ids(inputs.complaints_active_since(tx, MARCH), "complaint_id") == ["K2", "K3", "K4", "K5"]
            opened_or_closed = inputs.complaints_opened_or_closed_since(tx, MARCH, ("complaint_id", "closed_at"))
            assert opened_or_closed.collect_schema().names() == ["complaint_id", "closed_at"]
            assert _ids(opened_or_closed, "complaint_id") == ["K3", "K5"]
            assert _ids(inputs.all_complaints(tx), "complaint_id") == ["K1", "K2", "K3", "K4", "K5"]
            assert _ids(inputs.sales_since(tx, MARCH), "order_id") == ["O2", "O3"]
            assert _ids(inputs.all_sales(tx), "order_id") == ["O1", "O2", "O3"]
            assert inputs.sale_lines_of_customers(tx).collect().sort("order_id").rows() == [
                ("C1", "O1", date(2026, 2, 28)), ("C1", "O2", date(2026, 3, 1))]  # the return is no order


def _text(text_id, source, day, topics, response_id=None):
    return {"text_id": text_id, "source": source, "response_id": response_id, "site_id": "S1",
            "written_at": datetime(2026, 3 if day > 0 else 2, abs(day), 12),
            "written_date": date(2026, 3 if day > 0 else 2, abs(day)), "content": "x", "topics": topics}


def test_text_inputs_split_the_topics_and_keep_the_month(warehouse_url):
    with hand_made(warehouse_url) as wh:
        wh.put("fct_text", [
            _text("survey:R1:Q9", "survey", 2, "price;staff", "R1"), _text("survey:R2:Q9", "survey", 3, "", "R2"),
            _text("survey:R3:Q9", "survey", -27, "price", "R3"), _text("complaint:K1", "complaint", 4, "wait")])
        wh.put("fct_survey_response", [
            {"response_id": r, "nps_answer": n, "submitted_date": date(2026, 3, 1)}
            for r, n in (("R1", 9), ("R2", None), ("R3", 3), ("R4", 10))])
        with wh.warehouse.transaction() as tx:
            texts = inputs.texts_since(tx, MARCH).collect().sort("text_id")
            assert texts.columns == list(inputs.TEXT_COLUMNS)
            assert texts.select("text_id", "topics").rows() == [
                ("complaint:K1", ["wait"]), ("survey:R1:Q9", ["price", "staff"]), ("survey:R2:Q9", [])]
            assert inputs.complaint_texts_since(tx, MARCH).collect()["text_id"].to_list() == ["complaint:K1"]
            # R3's comment is from February, R4 has none
            assert inputs.nps_of_commented_responses_since(tx, MARCH).collect().sort("response_id").rows() == [
                ("R1", 9), ("R2", None)]


def test_mart_inputs_of_other_marts(warehouse_url):
    with hand_made(warehouse_url) as wh:
        wh.put("mart_customer_value", [
            {"as_of_date": date(2026, 3, 29), "customer_id": "C1", "clv_365d": 10.0},
            {"as_of_date": date(2026, 3, 29), "customer_id": "C2", "clv_365d": 0.0},
            {"as_of_date": date(2026, 3, 29), "customer_id": "C3", "clv_365d": None},
            {"as_of_date": date(2026, 3, 29), "customer_id": "C4", "clv_365d": 2.5},
            {"as_of_date": date(2026, 4, 5), "customer_id": "C1", "clv_365d": 11.0}])
        wh.put("mart_acsi_model", [
            {"quarter": q, "site_id": "ALL", "model_name": m, "kind": k, "from_construct": f}
            for q, m, k, f in ((date(2025, 10, 1), "acsi", "status", ""), (date(2026, 1, 1), "acsi", "status", ""),
                               (date(2026, 1, 1), "acsi", "total_effect", "QUAL"),
                               (date(2026, 1, 1), "acsi", "outer_weight", "SAT"),
                               (date(2026, 1, 1), "ecsi", "status", ""))])
        with wh.warehouse.transaction() as tx:
            assert inputs.latest_value_snapshot(tx, date(2026, 3, 31)) == date(2026, 3, 29)
            assert inputs.latest_value_snapshot(tx, date(2026, 3, 28)) is None
            assert inputs.positive_clv_of_snapshot(tx, date(2026, 3, 29)).collect().sort("customer_id").rows() == [
                ("C1", 10.0), ("C4", 2.5)]
            q1 = date(2026, 1, 1)
            assert inputs.acsi_model_since(tx, q1).collect().height == 4
            assert _ids(inputs.acsi_status_and_effects_since(tx, q1, "acsi"), "kind", "from_construct") == [
                ("status", ""), ("total_effect", "QUAL")]
