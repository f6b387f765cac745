"""Complaint landing rules (CONTRACT.md complaints), and coverage of the reason vocabulary."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.validation.casting import NOT_A, kind_of
from schemas import landing_complaints, landing_sales, landing_surveys
from schemas.landing_complaints import LandingComplaints
from schemas.landing_sales import LandingSales
from schemas.landing_surveys import LandingSurveys
from schemas.reasons import INGEST_CODES, REASONS
from tests.validation import cases
from tests.validation.helpers import DROP, reasons_by_record, run


@pytest.mark.parametrize(("overrides", "reasons"), cases.COMPLAINT_CASES)
def test_one_fault_one_reason(overrides, reasons):
    result = run("complaints", [{**cases.COMPLAINT_GOOD, **overrides}, {**cases.COMPLAINT_GOOD, "complaint_id": "K2"}])
    assert reasons_by_record(result) == {1: reasons}
    assert result.valid["complaint_id"].to_list() == ["K2"]


def test_every_reason_code_has_a_single_fault_test():
    covered = cases.COMPLAINT_CODES | cases.SALES_CODES | cases.SURVEY_CODES
    assert set(REASONS) - covered == INGEST_CODES  # ingest's codes (tests/ingest), not validation's


@pytest.mark.parametrize("module", [landing_sales, landing_surveys, landing_complaints])
def test_every_code_the_validator_can_emit_is_in_the_vocabulary(module):
    model = {landing_sales: LandingSales, landing_surveys: LandingSurveys}.get(module, LandingComplaints)
    schema = model.to_schema()
    codes = {f"{c}:{check.name}" for c, col in schema.columns.items() for check in col.checks}
    codes |= {check.name for check in schema.checks} | {f"{c}:missing" for c in module.REQUIRED}
    codes |= {
        f"{c}:{NOT_A[kind_of(col.dtype.type)]}" for c, col in schema.columns.items() if col.dtype.type != pl.String
    }
    assert codes - set(REASONS) == set()
    assert set(module.CROSS_FIELD) == {check.name for check in schema.checks}


def test_valid_record_is_typed_exactly():
    open_one = {**cases.COMPLAINT_GOOD, "complaint_id": "K2", "first_response_at": "", "closed_at": None, "status": "open",
                "resolved": "FALSE", "channel": None, "severity": "4.0", "compensation": "0"}  # fmt: skip
    result = run("complaints", [cases.COMPLAINT_GOOD, open_one])
    ts = datetime
    expected = pl.DataFrame(
        {
            "complaint_id": ["K1", "K2"],
            "customer_id": ["C1", "C1"],
            "site_id": ["S1", "S1"],
            "opened_at": [ts(2026, 1, 4, 8)] * 2,
            "first_response_at": [ts(2026, 1, 4, 9), None],
            "closed_at": [ts(2026, 1, 5, 8), None],
            "updated_at": [ts(2026, 1, 5, 8)] * 2,
            "status": ["resolved", "open"],
            "resolved": [True, False],
            "channel": ["phone", None],
            "category": ["billing"] * 2,
            "severity": [2, 4],
            "compensation": [50.0, 0.0],
            "description": ["charged twice"] * 2,
            "source_file": ["x/dt=2026-01-05/f.csv"] * 2,
            "record_no": [1, 2],
            "drop_date": [DROP] * 2,
        },  # fmt: skip
        schema_overrides={c: pl.Datetime("us") for c in ("opened_at", "first_response_at", "closed_at", "updated_at")},
    )
    assert_frame_equal(result.valid, expected)


@pytest.mark.parametrize(("text", "value"), [("True", True), ("1", True), ("FALSE", False), ("0", False)])
def test_boolean_spellings(text, value):
    closed = {"closed_at": None} if not value else {}
    assert run("complaints", [{**cases.COMPLAINT_GOOD, **closed, "resolved": text}]).valid["resolved"].to_list() == [value]


def test_equal_timestamps_pass():
    same = "2026-01-04 08:00:00"
    row = {**cases.COMPLAINT_GOOD, "first_response_at": same, "closed_at": same, "updated_at": same}
    assert run("complaints", [row]).quarantined.height == 0


def test_unparseable_opened_at_does_not_cascade():
    result = run("complaints", [{**cases.COMPLAINT_GOOD, "opened_at": "x", "updated_at": "2000-01-01 00:00:00"}])
    assert reasons_by_record(result) == {1: "opened_at:not_a_timestamp"}


def test_unparseable_closed_at_does_not_cascade_into_resolved():
    result = run("complaints", [{**cases.COMPLAINT_GOOD, "closed_at": "2026-01-05"}])
    assert reasons_by_record(result) == {1: "closed_at:not_a_timestamp"}


def test_several_faults_all_reported():
    bad = {**cases.COMPLAINT_GOOD, "status": "Open", "closed_at": None, "severity": "9", "compensation": "-5", "channel": "wechat"}
    result = run("complaints", [bad])
    assert reasons_by_record(result) == {
        1: "channel:not_allowed; compensation:negative; resolved:without_closed_at; severity:out_of_range; "
        "status:not_allowed"
    }


def test_versions_of_a_complaint_are_not_duplicates():
    result = run("complaints", [cases.COMPLAINT_GOOD, {**cases.COMPLAINT_GOOD, "updated_at": "2026-01-05 09:00:00"}, cases.COMPLAINT_GOOD])
    assert result.quarantined.height == 0 and result.valid.height == 3


def test_chinese_text_passes_untouched():
    row = {**cases.COMPLAINT_GOOD, "category": "收费问题", "description": "重复扣款两次，要求退款。", "customer_id": "王小明"}
    got = run("complaints", [row]).valid.select("category", "description", "customer_id").row(0)
    assert got == ("收费问题", "重复扣款两次，要求退款。", "王小明")


def test_missing_required_column_and_missing_optional_column():
    rows = [{k: v for k, v in cases.COMPLAINT_GOOD.items() if k not in ("severity", "first_response_at")}]
    assert reasons_by_record(run("complaints", rows)) == {1: "severity:column_missing"}


def test_missing_closed_at_column_means_not_closed():
    rows = [{k: v for k, v in r.items() if k != "closed_at"} for r in (cases.COMPLAINT_GOOD, {**cases.COMPLAINT_GOOD, "resolved": "0"})]
    assert reasons_by_record(run("complaints", rows)) == {1: "resolved:without_closed_at"}


def test_missing_opened_at_column_skips_the_ordering_rules():
    rows = [{k: v for k, v in cases.COMPLAINT_GOOD.items() if k != "opened_at"}]
    assert reasons_by_record(run("complaints", rows)) == {1: "opened_at:column_missing"}
