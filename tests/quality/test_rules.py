"""Real Great Expectations runs on hand-made mart rows: the checks say what METRICS says,
and a failure names the table, the column, the rule, the row count and sample values."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from csi.quality.checkpoint import run_checks
from csi.quality.reconcile import reconcile
from csi.settings import load_settings
from csi.warehouse.ddl import create_schema
from csi.warehouse.declare import C
from csi.warehouse.engine import Warehouse
from csi.warehouse.tables import table
from tests.hand_made import full_rows


def _check(url: str, tmp_path, frames: dict[str, list[dict]], unkeyed: tuple[str, ...] = ()):
    """Load the rows into a fresh warehouse and run the checks of their tables only.

    `unkeyed`: tables whose primary key PostgreSQL would enforce itself (DuckDB gets none), so a
    duplicate key can reach the check."""
    wh = Warehouse(url)
    try:
        create_schema(wh)
        with wh.transaction() as tx:
            for name in unkeyed if not tx.is_duckdb else ():
                tx.execute(f"ALTER TABLE {name} DROP CONSTRAINT pk_{name}")
            for name, rows in frames.items():
                tx.insert(table(name), full_rows(table(name), rows))
    finally:
        wh.dispose()
    settings = load_settings(warehouse_url=url, data_docs_dir=tmp_path / "docs")
    return run_checks(settings, tables=tuple(table(n) for n in frames))


def test_complaint_rate_above_100_passes_and_nps_above_100_fails_by_name(warehouse_url, tmp_path):
    jan, feb = date(2026, 1, 1), date(2026, 2, 1)
    result = _check(warehouse_url, tmp_path, {
        # 3 complainants, 2 active customers: 150 % is legitimate (METRICS 6)
        "mart_complaints_monthly": [
            {"month": jan, "site_id": "S1", "complainants": 3, "active_customers": 2, "complaint_rate_pct": 150.0},
            {"month": jan, "site_id": "ALL", "complainants": 3, "active_customers": 2,
             "complaint_rate_pct": 150.0, "sla_met_pct": 100.0}],
        "mart_satisfaction_monthly": [
            {"month": jan, "site_id": "S1", "nps": 101.0, "csat_top2_pct": 100.0},
            {"month": jan, "site_id": "ALL", "nps": -100.0},
            {"month": feb, "site_id": "S1", "nps": 130.0},
            {"month": feb, "site_id": "ALL", "nps": 100.0, "nps_delta": 200.0}],
    })
    assert not result.success
    assert result.failed == ["mart_satisfaction_monthly.nps: values between -100 and 100 (2 rows, e.g. 101.0, 130.0)"]
    # 3 + 4 key checks (2 not null + unique together each), complaint_rate_pct, sla_met_pct,
    # nps, nps_prev, nps_delta, csat_top2_pct, ces_easy_pct, complaint_rate_survey_pct, + reconciliation
    assert result.checked == 3 + 2 + 3 + 6 + 1


def test_strict_bounds_sets_and_keys_fail_with_their_values(warehouse_url, tmp_path):
    day = date(2026, 1, 30)
    line = {"order_id": "O1", "customer_id": "C1", "site_id": "S1", "quantity": 1, "unit_price": 5.0,
            "order_type": "sale", "drop_date": day, "source_file": "f.csv"}
    result = _check(warehouse_url, tmp_path, {
        "fct_sales": [
            {**line, "line_no": 1, "discount": 0.99, "record_no": 1},
            {**line, "line_no": 2, "discount": 1.0, "record_no": 2},  # discount < 1 (CONTRACT)
            {**line, "line_no": 2, "discount": 0.0, "record_no": 3, "order_type": "refund", "quantity": 0}],
        "mart_churn_backtest": [
            {"as_of_date": day, "risk_band": "ALL", "customers": 2, "churned": 1, "churn_rate_pct": 50.0, "auc": 1.0},
            {"as_of_date": day, "risk_band": "extreme", "customers": 1, "churned": 1, "churn_rate_pct": 100.0}],
        "mart_whale_curve": [  # points every 5 %
            {"as_of_date": day, "rank_share_pct": 5, "customers": 1, "n_customers": 20},
            {"as_of_date": day, "rank_share_pct": 7, "customers": 1, "n_customers": 20}],
    }, unkeyed=("fct_sales",))
    assert sorted(result.failed) == [
        "fct_sales.discount: values >= 0 and < 1 (1 row, e.g. 1.0)",
        "fct_sales.order_id+line_no: unique together (2 rows, e.g. ('O1', 2))",
        "fct_sales.order_type: values in (sale, return) (1 row, e.g. 'refund')",
        "fct_sales.quantity: values >= 1 (1 row, e.g. 0)",
        "mart_churn_backtest.risk_band: values in (ALL, low, medium, high) (1 row, e.g. 'extreme')",
        "mart_whale_curve.rank_share_pct: values in (5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, "
        "75, 80, 85, 90, 95, 100) (1 row, e.g. 7)",
    ]


def test_an_expectation_that_cannot_run_fails_with_gx_s_reason(warehouse_url, tmp_path):
    """A declared column the live table lacks (say, a migration not yet applied): a failure, not a crash."""
    wh = Warehouse(warehouse_url)
    try:
        create_schema(wh)
    finally:
        wh.dispose()
    kano = table("mart_kano_quarterly")
    ghost = replace(kano, columns=(*kano.columns, C("ghost", "double", "not in the table", min=0)))
    result = run_checks(load_settings(warehouse_url=warehouse_url, data_docs_dir=tmp_path / "docs"), tables=(ghost,))
    (failure,) = result.failed
    assert failure.startswith("mart_kano_quarterly.ghost: values >= 0 (error: ") and '"ghost"' in failure


def test_reconciliation_compares_the_run_that_holds_each_date(warehouse_url):
    """Hand-made runs: only the latest (non-skipped) run of a date that holds rows is compared."""
    d1, d2, d3, d4 = (date(2026, 1, day) for day in (1, 2, 3, 4))

    def run(run_id, day, status, loaded, hour):
        return {"run_id": run_id, "business_date": day, "status": status, "sales_rows_loaded": loaded,
                "started_at": datetime(2026, 1, 5, hour)}

    runs = [run("A", d1, "replaced", 5, 1), run("B", d1, "refreshed", 2, 2),  # B holds d1's 2 rows
            run("C", d2, "success", 1, 1), run("D", d2, "failed", 0, 2),  # latest failed: not compared
            run("E", d3, "loaded", 1, 1),  # 1 loaded, 2 staged: doubled
            run("F", d4, "success", 3, 1), run("G", d4, "skipped", 0, 2)]  # skipped: F is compared
    staged = [(d1, 1), (d1, 2), (d2, 1), (d3, 1), (d3, 2)]
    wh = Warehouse(warehouse_url)
    try:
        create_schema(wh)
        with wh.transaction() as tx:
            tx.insert(table("ops_pipeline_run"), full_rows(table("ops_pipeline_run"), runs))
            tx.insert(table("stg_sales_line"), full_rows(table("stg_sales_line"), [
                {"drop_date": d, "record_no": n} for d, n in staged]))
            failures = reconcile(tx)
    finally:
        wh.dispose()
    assert failures == [
        "stg_sales_line.drop_date=2026-01-03: rows equal ops_pipeline_run.sales_rows_loaded (1 loaded, 2 staged)",
        "stg_sales_line.drop_date=2026-01-04: rows equal ops_pipeline_run.sales_rows_loaded (3 loaded, 0 staged)",
    ]
