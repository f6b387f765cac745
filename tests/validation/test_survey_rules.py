"""Survey landing rules (CONTRACT.md surveys, METRICS.md section 1): catalog scales,
text questions, (response_id, question_id) uniqueness."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.validation.validate import validate
from tests.validation import cases
from tests.validation.helpers import CATALOG, DROP, landing, reasons_by_record, run


@pytest.mark.parametrize(("overrides", "reasons"), cases.SURVEY_CASES)
def test_one_fault_one_reason(overrides, reasons):
    result = run("surveys", [{**cases.SURVEY_GOOD, **overrides}, {**cases.SURVEY_GOOD, "response_id": "R2"}])
    assert reasons_by_record(result) == {1: reasons}
    assert result.valid["response_id"].to_list() == ["R2"]


def test_valid_records_are_typed_exactly():
    rows = [cases.SURVEY_GOOD, {**cases.SURVEY_TEXT, "customer_id": None}, {**cases.SURVEY_GOOD, "question_id": "csat", "answer": "5.0"}]
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
    assert run("surveys", [{**cases.SURVEY_GOOD, "question_id": question_id, "answer": answer}]).valid.height == 1


def test_numeric_question_may_carry_answer_text():
    assert run("surveys", [{**cases.SURVEY_GOOD, "answer_text": "因为价格"}]).quarantined.height == 0


def test_several_faults_all_reported():
    result = run("surveys", [{**cases.SURVEY_GOOD, "site_id": "", "submitted_at": "2026-01-05 9:00", "answer": "12"}])
    assert reasons_by_record(result) == {1: "answer:out_of_scale; site_id:missing; submitted_at:not_a_timestamp"}
    assert result.quarantined["reason_count"].to_list() == [3]


def test_unknown_question_gets_no_scale_reasons():
    result = run("surveys", [{**cases.SURVEY_GOOD, "question_id": "zzz", "answer": "99"}])
    assert reasons_by_record(result) == {1: "question_id:not_in_catalog"}


def test_duplicate_answers_quarantine_every_row_and_keep_the_response():
    rows = [cases.SURVEY_GOOD, {**cases.SURVEY_GOOD, "answer": "3"}, {**cases.SURVEY_GOOD, "question_id": "csat", "answer": "4"}, cases.SURVEY_TEXT]
    result = run("surveys", rows)
    assert reasons_by_record(result) == {1: "response_id+question_id:duplicate", 2: "response_id+question_id:duplicate"}
    assert result.valid["question_id"].to_list() == ["csat", "comment"]


def test_null_key_parts_are_not_duplicates():
    result = run("surveys", [{**cases.SURVEY_GOOD, "response_id": None}, {**cases.SURVEY_GOOD, "response_id": None}])
    assert reasons_by_record(result) == {1: "response_id:missing", 2: "response_id:missing"}


def test_chinese_text_passes_untouched():
    text = "  店员态度很好，但是排队太久了。\n下次还会来！ "
    result = run("surveys", [{**cases.SURVEY_TEXT, "answer_text": text, "site_id": "北京朝阳店"}])
    assert result.valid.select("answer_text", "site_id").row(0) == (text, "北京朝阳店")


def test_future_submitted_at_is_not_a_rule():
    assert run("surveys", [{**cases.SURVEY_GOOD, "submitted_at": "2030-01-01 00:00:00"}]).quarantined.height == 0


def test_missing_required_column():
    rows = [{k: v for k, v in r.items() if k != "submitted_at"} for r in (cases.SURVEY_GOOD, cases.SURVEY_TEXT)]
    result = run("surveys", rows)
    assert reasons_by_record(result) == {1: "submitted_at:column_missing", 2: "submitted_at:column_missing"}


def test_missing_answer_column_means_no_numeric_answers():
    rows = [{k: v for k, v in r.items() if k != "answer"} for r in (cases.SURVEY_GOOD, cases.SURVEY_TEXT)]
    result = run("surveys", rows)
    assert reasons_by_record(result) == {1: "answer:missing"}
    assert result.valid["question_id"].to_list() == ["comment"]


def test_catalog_without_required_columns_fails():
    with pytest.raises(pl.exceptions.ColumnNotFoundError):
        validate("surveys", landing([cases.SURVEY_GOOD]), CATALOG.drop("is_text"), datetime(2026, 1, 6))
