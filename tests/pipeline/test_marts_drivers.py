"""The insight families on a real warehouse (METRICS 10-12): which snapshot weights the `clv`
model, who is left out, `equal` = mart_acsi_model, CLV holdout dates and counts, and an
incremental refresh = a full one. Small hand-built facts (seconds), DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.catalog import load_model
from csi.pipeline.marts import refresh_acsi_model
from csi.pipeline.marts_drivers import quarter_end, refresh_clv_validation, refresh_drivers
from csi.settings import load_settings
from csi.warehouse import tables_core as core
from csi.warehouse import tables_marts_customers as cm
from csi.warehouse import tables_marts_drivers as dm
from csi.warehouse.ddl import create_schema
from csi.warehouse.declare import TableDecl
from csi.warehouse.engine import Warehouse
from csi.warehouse.tables_ops import OPS_PIPELINE_RUN
from tests.warehouse.backends import BACKENDS, fresh_url
from transforms import clv_validation as cv
from transforms import driver_importance as di
from transforms import pls_quality as pq

MODEL = load_model("acsi")
Q4, Q1, Q2 = date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1)
HOLDOUT = 10


def full(decl: TableDecl, frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every column of the table (placeholders for those the marts do not read)."""
    def placeholder(t: pl.DataType) -> object:
        return "x" if t == pl.String else False if t == pl.Boolean else Q1 if t.is_temporal() else 0

    return frame.with_columns(pl.lit(placeholder(t)).cast(t).alias(c) for c, t in decl.polars_schema.items()
                              if c not in frame.columns)


def answers(rng: np.random.Generator, ids: list[str], customers: list[str | None], at: datetime) -> pl.DataFrame:
    """Complete ACSI answers from latent constructs that follow the model's paths (1-10; COMP 0/1)."""
    n = len(ids)
    z = {"EXP": rng.normal(size=n)}
    z["PQ"] = 0.6 * z["EXP"] + 0.8 * rng.normal(size=n)
    z["PV"] = 0.3 * z["EXP"] + 0.5 * z["PQ"] + 0.7 * rng.normal(size=n)
    z["SAT"] = 0.3 * z["EXP"] + 0.4 * z["PQ"] + 0.3 * z["PV"] + 0.6 * rng.normal(size=n)
    z["COMP"] = -0.5 * z["SAT"] + 0.9 * rng.normal(size=n)
    z["LOY"] = 0.6 * z["SAT"] - 0.2 * z["COMP"] + 0.7 * rng.normal(size=n)
    rows = []
    for construct, items in MODEL.constructs.items():
        for item in items:
            raw = z[construct] + 0.5 * rng.normal(size=n)
            values = (raw > 0).astype(float) if construct == "COMP" else np.clip(np.round(6 + 2 * raw), 1, 10)
            rows += [{"response_id": r, "question_id": item, "customer_id": c, "answer": v}
                     for r, c, v in zip(ids, customers, values, strict=True)]
    schema = {"response_id": pl.String, "question_id": pl.String, "customer_id": pl.String, "answer": pl.Float64}
    return pl.DataFrame(rows, schema=schema).with_columns(site_id=pl.lit("S1"), submitted_at=pl.lit(at),
                                           submitted_date=pl.lit(at.date()))


def survey_facts() -> pl.DataFrame:
    rng = np.random.default_rng(17)
    q4 = answers(rng, [f"A{i:03d}" for i in range(5)], [None] * 5, datetime(2025, 11, 3, 9))
    # Q1: R000-R034 of customers C00-C34, R035-R039 of customers without a snapshot row, R040-R059 anonymous
    q1_customers = [f"C{i:02d}" for i in range(35)] + [f"C9{i}" for i in range(5)] + [None] * 20
    q1 = answers(rng, [f"R{i:03d}" for i in range(60)], q1_customers, datetime(2026, 2, 15, 9))
    q2 = answers(rng, [f"S{i:03d}" for i in range(60)], [f"D{i:02d}" for i in range(60)], datetime(2026, 5, 10, 9))
    return pl.concat([q4, q1, q2])


def snapshots() -> pl.DataFrame:
    q1 = [(f"C{i:02d}", 0.0 if i < 10 else None if i < 20 else 1.0 + (i + 1) % 3) for i in range(35)]
    rows = [{"as_of_date": date(2026, 3, 30), "customer_id": c, "clv_365d": v} for c, v in q1]
    # 2026-04-05: every Q2 respondent weighs 2 (the `equal` model); 2026-07-02 is after Q2 and unused
    rows += [{"as_of_date": date(2026, 4, 5), "customer_id": f"D{i:02d}", "clv_365d": 2.0} for i in range(60)]
    rows += [{"as_of_date": date(2026, 7, 2), "customer_id": f"D{i:02d}", "clv_365d": 1.0 + i} for i in range(60)]
    return pl.DataFrame(rows, schema={"as_of_date": pl.Date, "customer_id": pl.String, "clv_365d": pl.Float64})


def sales_facts() -> pl.DataFrame:
    """Orders (customer, order, date); K1's order O2 has two lines, K3's return is not an order."""
    lines = [("K1", "O1", 1), ("K1", "O2", 4), ("K1", "O2", 4), ("K1", "O3", 12), ("K1", "O4", 15),
             ("K2", "O5", 2), ("K2", "O6", 8), ("K3", "O7", 9), ("K3", "O8", 13), ("K4", "O9", 14)]  # fmt: skip
    rows = [{"customer_id": c, "order_id": o, "order_date": date(2026, 1, d), "order_type": "sale"}
            for c, o, d in lines]
    rows.append({"customer_id": "K3", "order_id": "R1", "order_date": date(2026, 1, 16), "order_type": "return"})
    return pl.DataFrame(rows).with_columns(line_no=pl.int_range(pl.len()).cast(pl.Int32))


SETTINGS = {"acsi_model": {"min_complete_responses": 10, "site_min_responses": 1000, "bootstrap_resamples": 30},
            "customer_value": {"clv_holdout_days": HOLDOUT}}
RUN_DATES = [date(2026, 1, d) for d in (5, 11, 16)]


@pytest.fixture(scope="module", params=BACKENDS)
def wh(request, tmp_path_factory):
    with fresh_url(request.param, tmp_path_factory.mktemp("drivers")) as url:
        warehouse = Warehouse(url)
        create_schema(warehouse)
        facts = survey_facts()
        responses = facts.group_by("response_id").agg(pl.col("customer_id", "site_id", "submitted_at",
                                                              "submitted_date").first())
        runs = pl.DataFrame({"run_id": [str(d) for d in RUN_DATES], "business_date": RUN_DATES, "status": "success"})
        settings = load_settings(warehouse_url=url, **SETTINGS)
        with warehouse.transaction() as tx:
            for decl, frame in ((core.FCT_ANSWER, facts), (core.FCT_RESPONSE, responses),
                                (cm.MART_CUSTOMER_VALUE, snapshots()), (core.FCT_SALES, sales_facts()),
                                (OPS_PIPELINE_RUN, runs)):
                tx.insert(decl, full(decl, frame))
            refresh_acsi_model(tx, settings, Q4)
            refresh_drivers(tx, settings, Q4)
            refresh_clv_validation(tx, settings, RUN_DATES[0])
        yield {"wh": warehouse, "settings": settings}
        warehouse.dispose()


def read(wh: Warehouse, table: str) -> pl.DataFrame:
    with wh.transaction() as tx:
        frame = tx.read(f"SELECT * FROM {table}")
    return frame.sort(frame.columns, nulls_last=True)


def drivers(wh: Warehouse, quarter: date, weighting: str) -> pl.DataFrame:
    return read(wh, "mart_driver_importance").filter(pl.col("quarter") == quarter,
                                                     pl.col("weighting") == weighting).sort("driver")


def test_clv_weights_are_the_latest_snapshot_on_or_before_the_quarter_end(wh):
    q1 = drivers(wh["wh"], Q1, "clv")
    # C00-C09 have clv 0 and C10-C19 none; C90-C94 no snapshot row; anonymous ones no customer:
    # C20-C34 remain, weights 1 + (i + 1) % 3 = 1, 2, 3, 1, ... (five times 1 + 2 + 3)
    assert q1["n"].unique().to_list() == [15]
    assert q1["weight_sum"].unique().to_list() == [30.0]
    assert q1["weights_as_of_date"].unique().to_list() == [date(2026, 3, 30)]
    assert set(q1["status"]) == {"ok"}
    q2 = drivers(wh["wh"], Q2, "clv")  # 2026-07-02 is after the quarter's end, 2026-06-30
    assert (q2["n"].unique().to_list(), q2["weight_sum"].unique().to_list()) == ([60], [120.0])
    assert q2["weights_as_of_date"].unique().to_list() == [date(2026, 4, 5)]
    assert quarter_end(Q2) == date(2026, 6, 30) and quarter_end(Q4) == date(2025, 12, 31)


def test_quarter_before_any_snapshot_and_too_few_responses_have_a_status(wh):
    q4 = drivers(wh["wh"], Q4, "clv")
    assert q4["driver"].to_list() == ["EXP", "PQ", "PV"]
    assert set(q4["status"]) == {"no_clv_snapshot: no mart_customer_value snapshot on or before 2025-12-31"}
    assert drivers(wh["wh"], Q4, "equal")["status"].unique().to_list() == ["too_few_responses: 5 < 10"]
    assert q4["total_effect_index"].null_count() == 3


def test_equal_clv_weights_give_the_equal_model(wh):
    equal, clv = drivers(wh["wh"], Q2, "equal"), drivers(wh["wh"], Q2, "clv")
    assert set(equal["status"]) == {"ok"} and equal["weight_sum"].null_count() == 3
    for col in ("total_effect_index", "total_effect_loyalty", "performance", "impact_5pt"):
        np.testing.assert_allclose(clv[col].to_numpy(), equal[col].to_numpy(), rtol=1e-9)
    assert clv["quadrant"].to_list() == equal["quadrant"].to_list()


def test_equal_rows_carry_the_standard_errors_of_mart_acsi_model(wh):
    mart = read(wh["wh"], "mart_acsi_model").filter(pl.col("kind") == "total_effect", pl.col("to_construct") == "SAT")
    for q in (Q1, Q2):
        equal = drivers(wh["wh"], q, "equal")
        published = mart.filter(pl.col("quarter") == q).sort("from_construct")
        assert published["from_construct"].to_list() == equal["driver"].to_list() == ["EXP", "PQ", "PV"]
        assert equal["total_effect_index_se"].to_list() == published["std_error"].to_list()
        np.testing.assert_allclose(equal["total_effect_index"].to_numpy(), published["estimate"].to_numpy(),
                                   rtol=1e-9)


def test_quality_rows_of_every_estimated_cell(wh):
    quality = read(wh["wh"], "mart_pls_quality")
    counts = quality.group_by("quarter", "weighting", "kind").len()
    # ACSI: 14 items, 6 constructs (one single-item: COMP), 15 construct pairs, 9 paths
    expected = {"loading": 14, "alpha": 6, "rho_a": 6, "rho_c": 6, "ave": 6, "htmt": 15, "vif": 9, "f2": 9}
    assert tuple(expected) == dm.QUALITY_KINDS
    for (q, w), part in counts.group_by("quarter", "weighting"):
        assert dict(part.select("kind", "len").iter_rows()) == expected, (q, w)
    assert sorted(counts.select("quarter", "weighting").unique().rows()) == [
        (Q1, "clv"), (Q1, "equal"), (Q2, "clv"), (Q2, "equal")]  # Q4 was not estimated
    comp = quality.filter(pl.col("kind") == "alpha", pl.col("construct") == "COMP")
    assert comp["estimate"].null_count() == comp.height == 4 and comp["note"].null_count() == 0
    assert quality.filter(pl.col("quarter") == Q1, pl.col("weighting") == "clv")["n"].unique().to_list() == [15]


def test_clv_validation_dates_and_holdout_counts(wh):
    rows = read(wh["wh"], "mart_clv_validation")
    # first order 2026-01-01: 01-05 is 4 days after it (< 10), 01-11 and 01-16 are validation dates
    assert sorted(rows["as_of_date"].unique()) == [date(2026, 1, 11), date(2026, 1, 16)]
    d16 = rows.filter(pl.col("as_of_date") == date(2026, 1, 16))
    assert d16["calibration_end"].unique().to_list() == [date(2026, 1, 6)]
    # on or before 01-06: K1 (O1, O2: 1 repeat), K2 (O5: 0 repeats); K3 and K4 start later.
    # holdout (01-06, 01-16]: K1 O3, O4 (2 orders), K2 O6 (1); K3's return is no order
    by_bin = {r["frequency_bin"]: (r["customers"], r["actual_orders"]) for r in d16.iter_rows(named=True)}
    assert by_bin == {"0": (1, 1), "1": (1, 2), "2": (0, 0), "3": (0, 0), "4": (0, 0), "5": (0, 0), "6": (0, 0),
                      "7+": (0, 0), "total": (2, 3)}
    d11 = rows.filter(pl.col("as_of_date") == date(2026, 1, 11), pl.col("frequency_bin") == "total")
    assert d11.select("calibration_end", "customers", "actual_orders").row(0) == (date(2026, 1, 1), 1, 1)


def test_incremental_refresh_equals_full(wh):
    before = {t: read(wh["wh"], t) for t in ("mart_driver_importance", "mart_pls_quality", "mart_clv_validation")}
    with wh["wh"].transaction() as tx:
        refresh_drivers(tx, wh["settings"], date(2026, 5, 10))  # from Q2 on
        refresh_clv_validation(tx, wh["settings"], date(2026, 1, 16))
    for table, frame in before.items():
        assert_frame_equal(read(wh["wh"], table), frame, check_exact=True)


def test_declared_vocabularies_are_the_transforms_codes():
    assert {di.quadrant(i, p, 0.5, 0.5) for i in (0, 1) for p in (0, 1)} == set(dm.QUADRANTS)
    assert set(dm.FREQUENCY_BINS) == {str(k) for k in range(cv.TOP_BIN)} | {f"{cv.TOP_BIN}+", "total"}
    assert set(pq.QUALITY_SCHEMA) <= set(dm.MART_PLS_QUALITY.column_names)
    assert set(di.DRIVER_SCHEMA) <= set(dm.MART_DRIVER_IMPORTANCE.column_names)
    assert set(cv.VALIDATION_SCHEMA) == set(dm.MART_CLV_VALIDATION.column_names)
    assert [c for c in dm.MART_DRIVER_IMPORTANCE.column_names if c not in di.DRIVER_SCHEMA] == [
        "quarter", "site_id", "model_name", "weighting", "weights_as_of_date"]


def test_quality_thresholds_and_holdout_come_from_the_settings(monkeypatch):
    from csi.pipeline.marts_drivers import thresholds

    monkeypatch.setenv("CSI_ACSI_MODEL__QUALITY_HTMT_MAX", "0.8")
    monkeypatch.setenv("CSI_CUSTOMER_VALUE__CLV_HOLDOUT_DAYS", "30")
    settings = load_settings()
    th = thresholds(settings)
    assert (th.htmt_max, th.htmt_warn, th.loading_min, th.vif_max) == (0.8, 0.9, 0.708, 3.0)
    assert settings.customer_value.clv_holdout_days == 30
    monkeypatch.delenv("CSI_CUSTOMER_VALUE__CLV_HOLDOUT_DAYS")
    assert load_settings().customer_value.clv_holdout_days == 90
