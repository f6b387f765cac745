"""Survey landing rules (CONTRACT.md surveys, METRICS.md section 1): catalog scales,
text questions, (response_id, question_id) uniqueness."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.validation.validate import validate
from tests.validation.helpers import CATALOG, DROP, landing, reasons_by_record, run

GOOD = {
    "response_id": "R1", "question_id": "nps", "customer_id": "C1", "site_id": "S1",
    "submitted_at": "2026-01-05 09:00:00", "channel": "email", "answer": "9", "answer_text": None,
}  # fmt: skip
TEXT = {**GOOD, "question_id": "comment", "answer": None, "answer_text": "服务很好"}

CASES = [
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
CODES = {code for _, code in CASES} | {"response_id+question_id:duplicate"}


@pytest.mark.parametrize(("overrides", "reasons"), CASES)
def test_one_fault_one_reason(overrides, reasons):
    result = run("surveys", [{**GOOD, **overrides}, {**GOOD, "response_id": "R2"}])
    assert reasons_by_record(result) == {1: reasons}
    assert result.valid["response_id"].to_list() == ["R2"]


def test_valid_records_are_typed_exactly():
    rows = [GOOD, {**TEXT, "customer_id": None}, {**GOOD, "question_id": "csat", "answer": "5.0"}]
    result = run("surveys", rows)
    expected = pl.DataFrame(
        {
            "response_id": ["R1"] * 3,
            "question_id": ["nps", "comment", "csat"],
            "customer_id": ["C1", None, "C1"],
            "site_id": ["S1"] * 3,
            "submitted_at": [datetime(2026, 1, 5, 9)] * 3,
            "channel": ["email"] * 3,
            "answer": [9.0, None, 5.0],
            "answer_text": [None, "服务很好", None],
            "source_file": ["x/dt=2026-01-05/f.csv"] * 3,
            "record_no": [1, 2, 3],
            "drop_date": [DROP] * 3,
        },  # fmt: skip
        schema_overrides={"submitted_at": pl.Datetime("us"), "answer": pl.Float64},
    )
    assert_frame_equal(result.valid, expected)
    assert result.quarantined.height == 0


@pytest.mark.parametrize(("question_id", "answer"), [("nps", "0"), ("nps", "10"), ("csat", "1"), ("csat", "5")])
def test_scale_ends_pass(question_id, answer):
    assert run("surveys", [{**GOOD, "question_id": question_id, "answer": answer}]).valid.height == 1


def test_numeric_question_may_carry_answer_text():
    assert run("surveys", [{**GOOD, "answer_text": "因为价格"}]).quarantined.height == 0


def test_several_faults_all_reported():
    result = run("surveys", [{**GOOD, "site_id": "", "submitted_at": "2026-01-05 9:00", "answer": "12"}])
    assert reasons_by_record(result) == {1: "answer:out_of_scale; site_id:missing; submitted_at:not_a_timestamp"}
    assert result.quarantined["reason_count"].to_list() == [3]


def test_unknown_question_gets_no_scale_reasons():
    result = run("surveys", [{**GOOD, "question_id": "zzz", "answer": "99"}])
    assert reasons_by_record(result) == {1: "question_id:not_in_catalog"}


def test_duplicate_answers_quarantine_every_row_and_keep_the_response():
    rows = [GOOD, {**GOOD, "answer": "3"}, {**GOOD, "question_id": "csat", "answer": "4"}, TEXT]
    result = run("surveys", rows)
    assert reasons_by_record(result) == {1: "response_id+question_id:duplicate", 2: "response_id+question_id:duplicate"}
    assert result.valid["question_id"].to_list() == ["csat", "comment"]


def test_null_key_parts_are_not_duplicates():
    result = run("surveys", [{**GOOD, "response_id": None}, {**GOOD, "response_id": None}])
    assert reasons_by_record(result) == {1: "response_id:missing", 2: "response_id:missing"}


def test_chinese_text_passes_untouched():
    text = "  店员态度很好，但是排队太久了。\n下次还会来！ "
    result = run("surveys", [{**TEXT, "answer_text": text, "site_id": "北京朝阳店"}])
    assert result.valid.select("answer_text", "site_id").row(0) == (text, "北京朝阳店")


def test_future_submitted_at_is_not_a_rule():
    assert run("surveys", [{**GOOD, "submitted_at": "2030-01-01 00:00:00"}]).quarantined.height == 0


def test_missing_required_column():
    rows = [{k: v for k, v in r.items() if k != "submitted_at"} for r in (GOOD, TEXT)]
    result = run("surveys", rows)
    assert reasons_by_record(result) == {1: "submitted_at:column_missing", 2: "submitted_at:column_missing"}


def test_missing_answer_column_means_no_numeric_answers():
    rows = [{k: v for k, v in r.items() if k != "answer"} for r in (GOOD, TEXT)]
    result = run("surveys", rows)
    assert reasons_by_record(result) == {1: "answer:missing"}
    assert result.valid["question_id"].to_list() == ["comment"]


def test_catalog_without_required_columns_fails():
    with pytest.raises(pl.exceptions.ColumnNotFoundError):
        validate("surveys", landing([GOOD]), CATALOG.drop("is_text"), datetime(2026, 1, 6))
