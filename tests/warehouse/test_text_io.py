"""csi.warehouse.text_io on hand-made facts and texts (expected rows worked out by hand), both
backends; tests/pipeline/test_text.py covers the text step through the pipeline."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from csi.warehouse import text_io
from tests.hand_made import hand_made

AT = datetime(2026, 3, 2, 9)


def _text(text_id, source, response_id=None, complaint_id=None):
    return {"text_id": text_id, "source": source, "response_id": response_id, "complaint_id": complaint_id,
            "site_id": "S1", "written_at": AT, "written_date": AT.date(), "content": "x", "topics": "price"}


def test_pending_keys_select_the_texts_to_delete_and_re_read(warehouse_url):
    with hand_made(warehouse_url) as wh:
        wh.put("ops_pending_surveys_key", [{"response_id": "R1", "question_id": "Q1"},
                                           {"response_id": "R1", "question_id": "Q9"}])  # R1 twice: one key
        wh.put("ops_pending_complaints_key", [{"complaint_id": "K1"}])
        wh.put("fct_survey_answer", [
            {"response_id": r, "question_id": q, "site_id": "S1", "submitted_at": AT, "answer_text": t}
            for r, q, t in (("R1", "Q9", "slow"), ("R1", "Q1", "not a comment question"), ("R2", "Q9", "ok"),
                            ("R3", "Q9", None))])
        wh.put("fct_complaint", [
            {"complaint_id": k, "customer_id": "C1", "site_id": "S1", "opened_at": AT, "updated_at": AT,
             "description": d} for k, d in (("K1", "broken"), ("K2", "late"), ("K3", None))])
        texts = [_text("survey:R1:Q9", "survey", response_id="R1"), _text("survey:R2:Q9", "survey", response_id="R2"),
                 _text("complaint:K1", "complaint", complaint_id="K1")]
        wh.put("fct_text", texts)
        wh.put("fct_text_topic", [{"text_id": t["text_id"], "topic_id": "price", "source": t["source"],
                                   "site_id": "S1", "written_date": AT.date()} for t in texts])
        with wh.warehouse.transaction() as tx:
            text_io.capture_text_keys(tx)
            pending = tx.read_table(text_io.tt.OPS_PENDING_TEXTS).sort("source", "source_id").rows()
            text_io.delete_pending_texts(tx)
            pending_texts = text_io.source_texts(tx, ["Q9"], everything=False)
            every_text = text_io.source_texts(tx, ["Q9"], everything=True)
            no_question = text_io.source_texts(tx, [], everything=True)
            text_io.clear_pending_text_keys(tx)
            assert tx.read_table(text_io.tt.OPS_PENDING_TEXTS).height == 0
        assert pending == [("complaint", "K1"), ("survey", "R1")]
        assert wh.rows("fct_text")["text_id"].to_list() == ["survey:R2:Q9"]  # R1's and K1's texts went
        assert wh.rows("fct_text_topic")["text_id"].to_list() == ["survey:R2:Q9"]
        assert pending_texts.columns == list(text_io.SOURCE_TEXT_SCHEMA)
        key = pl.concat_str(pl.col("source"), pl.lit(":"), pl.coalesce("response_id", "complaint_id"))
        assert sorted(pending_texts.select(key).to_series().to_list()) == ["complaint:K1", "survey:R1"]
        assert sorted(every_text.select(key).to_series().to_list()) == [
            "complaint:K1", "complaint:K2", "survey:R1", "survey:R2"]  # nulls are no text
        assert sorted(no_question["complaint_id"].to_list()) == ["K1", "K2"]


def test_the_stored_fingerprint_and_a_reset(warehouse_url):
    with hand_made(warehouse_url) as wh:
        wh.put("fct_text", [_text("complaint:K1", "complaint", complaint_id="K1")])
        with wh.warehouse.transaction() as tx:
            assert text_io.stored_fingerprint(tx) is None  # never analysed
            text_io.reset_texts(tx, "abc", 4)
            text_io.reset_texts(tx, "def", 5)  # one row: the latest configuration
            assert text_io.stored_fingerprint(tx) == "def"
            row = {**_text("survey:R9:Q9", "survey", response_id="R9"), "question_id": "Q9", "customer_id": None,
                   "language": "en", "sentiment": 0.0, "sentiment_label": "neutral", "topic_count": 1}
            text_io.insert_texts(tx, pl.DataFrame([row]),
                                 pl.DataFrame([{"text_id": "survey:R9:Q9", "topic_id": "price", "source": "survey",
                                                "site_id": "S1", "written_date": date(2026, 3, 2),
                                                "sentiment_label": "neutral"}]))
        assert wh.rows("ops_text_rules").rows() == [("def", 5)]
        assert wh.rows("fct_text")["text_id"].to_list() == ["survey:R9:Q9"]
        assert wh.rows("fct_text_topic")["topic_id"].to_list() == ["price"]
