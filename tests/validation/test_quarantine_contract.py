"""What csi.quarantine guarantees about its valid rows without re-running pandera on them:
they pass the full model validation, the model declares nothing the rules do not
enforce, and a check's null output means what pandera makes of it."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pandera.polars as pa
import polars as pl
import pytest
from pandera.api.polars.types import PolarsData

from csi.validation import validate as quarantine
from schemas.landing_complaints import LandingComplaints
from schemas.landing_sales import LandingSales
from schemas.landing_surveys import LandingSurveys
from tests.validation import cases
from tests.validation.helpers import reasons_by_record, run

# source -> (model, good row, one-fault cases, the key column made unique per row)
SOURCES = {
    "sales": (LandingSales, cases.SALES_GOOD, cases.SALES_CASES, "order_id"),
    "surveys": (LandingSurveys, cases.SURVEY_GOOD, cases.SURVEY_CASES, "response_id"),
    "complaints": (LandingComplaints, cases.COMPLAINT_GOOD, cases.COMPLAINT_CASES, "complaint_id"),
}


@pytest.mark.parametrize("source", list(SOURCES))
def test_valid_rows_pass_the_full_model_validation(source):
    model, good, cases, key = SOURCES[source]
    rows = [{**good, key: f"K{i}", **overrides} for i, (overrides, _) in enumerate(cases)]
    rows += [{**good, key: f"G{i}"} for i in range(3)]
    result = run(source, rows)
    assert result.valid.height == 3 and result.quarantined.height == len(cases)
    model.validate(result.valid)  # raises on any dtype, nullability or check failure


class _Toy(pa.DataFrameModel):
    x: pl.Float64 = pa.Field(nullable=True)

    class Config:
        strict = False

    @pa.check("x", name="negative", ignore_na=False)
    def _x(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key) >= 0)


def _toy(monkeypatch, model, required=()):
    spec = SimpleNamespace(KEY=(), REQUIRED=required, CROSS_FIELD={})
    monkeypatch.setitem(quarantine._SOURCES, "toy", (model, spec))
    quarantine._contract.cache_clear()
    quarantine._rules.cache_clear()


def test_a_null_check_output_fails_when_the_check_does_not_ignore_nulls(monkeypatch):
    _toy(monkeypatch, _Toy)
    result = run("toy", [{"x": "1"}, {"x": None}, {"x": "-1"}])
    assert reasons_by_record(result) == {2: "x:negative", 3: "x:negative"}
    assert result.valid["x"].to_list() == [1.0]


def test_a_model_rule_the_fast_path_does_not_enforce_is_refused(monkeypatch):
    class Strict(_Toy):
        x: pl.Float64 = pa.Field(nullable=False)  # not in REQUIRED: nothing would flag a null

    _toy(monkeypatch, Strict)
    with pytest.raises(TypeError, match="does not enforce"):
        run("toy", [{"x": "1"}])
    _toy(monkeypatch, Strict, required=("x",))
    assert run("toy", [{"x": "1"}, {"x": ""}]).valid.height == 1


def test_dtype_guarantee():
    dtypes = {"t": pl.Datetime("us"), "n": pl.Int64}
    quarantine._assert_dtypes(pl.Schema({"t": pl.Datetime("us"), "n": pl.Int64, "extra": pl.String}), dtypes)
    with pytest.raises(TypeError, match="dtypes"):
        quarantine._assert_dtypes(pl.Schema({"t": pl.Datetime("ns"), "n": pl.Int64}), dtypes)


@pytest.fixture(autouse=True)
def _fresh_caches():
    yield
    quarantine._contract.cache_clear()
    quarantine._rules.cache_clear()


def test_rules_are_reused_across_drops_and_runs():
    quarantine._rules.cache_clear()
    run("sales", [cases.SALES_GOOD], run_started_at=datetime(2026, 1, 6))
    late = run("sales", [cases.SALES_GOOD], run_started_at=datetime(2026, 1, 5, 10))
    assert quarantine._rules.cache_info().hits == 1
    assert reasons_by_record(late) == {1: "ordered_at:in_future"}
