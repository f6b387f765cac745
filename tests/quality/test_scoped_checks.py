"""Checks proportional to the change, on real warehouses (DuckDB file, PostgreSQL database): a
scoped run reads the journal's tables and partitions only, marks the journal after a pass only,
and `scope=None` still reads everything."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import date

import polars as pl

from csi.quality import checkpoint
from csi.quality.checkpoint import run_checks
from csi.settings import load_settings
from csi.warehouse.changes import changes_since, mark_consumed
from csi.warehouse.engine import Warehouse
from csi.warehouse.tables import table

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)
SAT = table("mart_satisfaction_monthly")  # partition month, key (month, site_id): 9 checks
SAT_CHECKS = 9


def _write(url: str, fn) -> None:
    wh = Warehouse(url)
    try:
        with wh.transaction() as tx:
            fn(tx)
    finally:
        wh.dispose()


def _seen(url: str) -> None:
    """As if a check had passed just now: the journal's "checks" mark moves to the present."""
    _write(url, lambda tx: mark_consumed(tx, "checks"))


def _sat(rows, month: date, nps: float) -> object:
    return rows(SAT, [{"month": month, "site_id": "S1", "nps": nps}, {"month": month, "site_id": "ALL", "nps": nps}])


def _settings(url, tmp_path):
    return load_settings(warehouse_url=url, data_docs_dir=tmp_path / "docs")


def test_a_bad_old_partition_is_unseen_by_a_scoped_run_and_seen_whole(schema_url, tmp_path, rows):
    # January carries nps 150 from before the last passing check; February is rewritten cleanly
    _write(schema_url, lambda tx: tx.insert(SAT, _sat(rows, JAN, 150.0)))
    _seen(schema_url)
    _write(schema_url, lambda tx: tx.replace_partitions_from(SAT, _sat(rows, FEB, 40.0), FEB))
    settings = _settings(schema_url, tmp_path)

    scoped = run_checks(settings, "changed")
    assert (scoped.success, scoped.failed, scoped.scope) == (True, [], "1 table, 1 from 2026-02-01")
    assert scoped.checked == SAT_CHECKS  # no staging or run record written: no reconciliation
    assert scoped.setup_seconds > 0

    again = run_checks(settings, "changed")  # passed and marked: nothing left to check
    assert (again.success, again.checked, again.scope, again.setup_seconds) == (True, 0, "nothing changed", 0.0)

    whole = run_checks(settings, tables=(SAT,))  # scope None: the table whole (limited to it to stay fast)
    assert whole.scope == "all 1 table whole"
    # the two January rows (S1 and ALL), both 150
    assert whole.failed == ["mart_satisfaction_monthly.nps: values between -100 and 100 (2 rows, e.g. 150.0)"]


def test_a_failed_check_checks_the_same_scope_next_run_until_it_passes(schema_url, tmp_path, rows):
    _write(schema_url, lambda tx: tx.insert(SAT, _sat(rows, JAN, 10.0)))
    _seen(schema_url)
    _write(schema_url, lambda tx: tx.replace_partitions_from(SAT, _sat(rows, FEB, 101.0), FEB))
    settings = _settings(schema_url, tmp_path)
    bad = ["mart_satisfaction_monthly.nps: values between -100 and 100 (2 rows, e.g. 101.0)"]

    first = run_checks(settings, "changed")
    assert (first.success, first.failed, first.scope) == (False, bad, "1 table, 1 from 2026-02-01")
    second = run_checks(settings, "changed")  # nothing written since: the failed scope again
    assert (second.failed, second.scope, second.checked) == (bad, "1 table, 1 from 2026-02-01", SAT_CHECKS)
    wh = Warehouse(schema_url)
    try:
        with wh.transaction() as tx:
            assert changes_since(tx, "checks") == {"mart_satisfaction_monthly": FEB}
    finally:
        wh.dispose()

    _write(schema_url, lambda tx: tx.replace_partitions_from(SAT, _sat(rows, FEB, 99.0), FEB))
    fixed = run_checks(settings, "changed")
    assert (fixed.success, fixed.scope) == (True, "1 table, 1 from 2026-02-01")
    assert run_checks(settings, "changed").scope == "nothing changed"


def test_a_key_repeated_across_an_old_and_a_new_partition_is_caught(schema_url, tmp_path, rows):
    """A key without the partition column (here: one row per customer in all snapshots, a rule made
    for the test): the scoped batch takes the old rows that share a changed row's key."""
    signals = table("mart_churn_signals")  # partition as_of_date
    once = replace(signals, key=("customer_id",))
    jan31, feb28 = date(2026, 1, 31), date(2026, 2, 28)
    def snapshot(day, *customers, risk_score=0.0):
        return rows(signals, [{"as_of_date": day, "customer_id": c, "risk_band": "low", "risk_score": risk_score}
                              for c in customers])

    _write(schema_url, lambda tx: tx.insert(signals, pl.concat([
        snapshot(jan31, "C1", risk_score=500.0), snapshot(jan31, "C9", risk_score=500.0)])))
    _seen(schema_url)
    _write(schema_url, lambda tx: tx.replace_partitions_from(signals, snapshot(feb28, "C1", "C2"), feb28))

    result = run_checks(_settings(schema_url, tmp_path), "changed", tables=(once,))
    # C1 of Jan 31 and of Feb 28. Old C9 (no new row) is not read: its risk score 500 goes unseen;
    # old C1's is seen, read for its key (the batch is a superset of the changed rows, never less)
    assert sorted(result.failed) == ["mart_churn_signals.customer_id: unique (2 rows, e.g. 'C1')",
                                     "mart_churn_signals.risk_score: values between 0 and 100 (1 row, e.g. 500.0)"]
    assert result.scope == "1 table, 1 from 2026-02-28"
    wh = Warehouse(schema_url)
    try:
        with wh.transaction() as tx:  # `tables` given: the journal is left for the full run
            assert changes_since(tx, "checks") == {"mart_churn_signals": feb28}
    finally:
        wh.dispose()


def test_the_context_is_built_once_per_process(tmp_path):
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    from csi.warehouse.ddl import create_schema

    wh = Warehouse(url)
    create_schema(wh)
    wh.dispose()
    settings = _settings(url, tmp_path)
    decls = (table("dim_site"),)
    cold = run_checks(settings, tables=decls)
    ctx = checkpoint._WARM[(tmp_path / "docs").resolve()]
    warm = run_checks(settings, tables=decls)
    assert checkpoint._WARM[(tmp_path / "docs").resolve()] is ctx
    assert cold.success and warm.success and warm.setup_seconds > 0


def test_a_run_with_nothing_to_check_does_not_import_great_expectations(tmp_path):
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    code = f"""
import sys
from csi.quality.checkpoint import run_checks
from csi.settings import load_settings
from csi.warehouse.ddl import create_schema
from csi.warehouse.changes import mark_consumed
from csi.warehouse.engine import Warehouse
wh = Warehouse({url!r})
create_schema(wh)
with wh.transaction() as tx:
    mark_consumed(tx, "checks")
wh.dispose()
r = run_checks(load_settings(warehouse_url={url!r}, data_docs_dir={str(tmp_path / 'docs')!r}), "changed")
print(r.success, r.checked, r.scope, any(m.startswith("great_expectations") for m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "True 0 nothing changed False"


def test_a_scoped_run_that_wrote_staging_reconciles_every_date(schema_url, tmp_path, rows):
    runs, staging = table("ops_pipeline_run"), table("stg_sales_line")
    d1, d2 = date(2026, 1, 30), date(2026, 1, 31)
    line = {"order_type": "sale", "quantity": 1, "source_file": "f.csv"}
    # Jan 30 was loaded (2 lines) and checked before; Jan 31 is the new run: 1 line loaded
    _write(schema_url, lambda tx: (
        tx.insert(runs, rows(runs, [{"run_id": "A", "business_date": d1, "status": "success",
                                     "sales_rows_loaded": 2}])),
        tx.insert(staging, rows(staging, [{**line, "drop_date": d1, "record_no": n} for n in (1, 2)]))))
    _seen(schema_url)
    _write(schema_url, lambda tx: (
        tx.insert(runs, rows(runs, [{"run_id": "B", "business_date": d2, "status": "refreshed",
                                     "sales_rows_loaded": 1}])),
        tx.insert(staging, rows(staging, [{**line, "drop_date": d2, "record_no": 1}])),
        tx.execute("DELETE FROM stg_sales_line WHERE drop_date = :d AND record_no = 2", {"d": d1})))

    result = run_checks(_settings(schema_url, tmp_path), "changed")
    assert result.scope == "2 tables"  # both whole: neither has a partition column
    assert result.checked == 3 + 8 + 1  # ops_pipeline_run, stg_sales_line, the reconciliation
    # the old date is compared too: its staged rows changed under it
    assert result.failed == ["stg_sales_line.drop_date=2026-01-30: rows equal ops_pipeline_run.sales_rows_loaded "
                             "(2 loaded, 1 staged)"]
