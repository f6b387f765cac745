"""BI views: every column of every view carries a comment in the database, pass-through
columns the comment of their table, and v_pipeline_runs adds up a run's counters."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import polars as pl
import pytest

from csi.settings import load_settings
from csi.vocab import RUN_STATUSES
from csi.warehouse.ddl import create_schema
from csi.warehouse.engine import Warehouse
from csi.warehouse.publish import publish
from csi.warehouse.tables_ops import OPS_PIPELINE_RUN, OPS_QUARANTINE
from csi.warehouse.view import View
from csi.warehouse.views import RUN_STATUS_LABELS, VIEWS

DUCKDB_COMMENTS = ("SELECT table_name, column_name, comment FROM duckdb_columns() "
                   "WHERE database_name = current_database() AND table_name IN ({names})")
PG_COMMENTS = ("SELECT c.relname AS table_name, a.attname AS column_name, col_description(c.oid, a.attnum) AS comment "
               "FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
               "WHERE c.relkind = 'v' AND a.attnum > 0 AND NOT a.attisdropped AND c.relname IN ({names})")


def view_comments(tx) -> dict[tuple[str, str], str | None]:
    names = ", ".join(f"'{v.name}'" for v in VIEWS)
    rows = tx.read((DUCKDB_COMMENTS if tx.is_duckdb else PG_COMMENTS).format(names=names)).rows()
    return {(view, column): comment for view, column, comment in rows}


def test_every_view_column_has_a_comment(warehouse_url):
    wh = Warehouse(warehouse_url)
    create_schema(wh)
    create_schema(wh)  # re-created views get their comments again
    with wh.transaction() as tx:
        comments = view_comments(tx)
    wh.dispose()
    assert {view for view, _ in comments} == {v.name for v in VIEWS}
    assert [key for key, comment in comments.items() if not comment] == []
    # passed through: the table's own comment; computed: the view's
    assert comments[("v_pipeline_runs", "business_date")] == "the drop processed"
    assert comments[("v_pipeline_runs", "quarantined_pct")] == \
        "100 * rows_quarantined / rows_read; null when nothing was read"
    assert comments[("v_ops_quarantine", "reasons")] == \
        "every reason code, sorted, joined by '; ' (docs/validation.md)"
    assert comments[("mart_customer_value_latest", "clv_365d")] == \
        "expected_orders_365d * expected_order_value * margin_ratio"
    assert comments[("v_mart_acsi_model", "t_value")] == \
        "estimate / std_error; null without a positive bootstrap standard error"
    # a column both sources of a join declare takes the first source's comment
    assert comments[("v_declining_valuable_customers", "as_of_date")] == \
        "snapshot date D (a business date); figures use data on or before D"


def test_published_copy_keeps_the_view_column_comments(env):
    wh = Warehouse(env["url"])
    create_schema(wh)
    wh.dispose()
    target = publish(load_settings())
    con = duckdb.connect(str(target), read_only=True)
    try:
        comment = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'v_pipeline_runs' "
                              "AND column_name = 'rows_loaded'").fetchone()[0]
    finally:
        con.close()
    assert comment == "records that passed validation and were staged, the three sources together"


def test_a_column_nobody_describes_is_named():
    view = View("v_x", "SELECT 1 AS a, 2 AS b", "x", sources=(OPS_QUARANTINE,), columns={"a": "one"})
    assert view.column_comment("a") == "one"
    assert view.column_comment("run_id") == "the run that quarantined it"
    with pytest.raises(ValueError, match="view v_x: column b has no comment .*sources: ops_quarantine"):
        view.column_comment("b")


def test_every_run_status_has_a_label():
    assert sorted(RUN_STATUS_LABELS) == sorted(RUN_STATUSES)


def _run_row(**counts) -> dict:
    row = {c.name: 0 for c in OPS_PIPELINE_RUN.columns if c.type in ("int", "bigint")}
    row.update(run_id="r1", business_date=date(2026, 1, 30), status="success",
               started_at=datetime(2026, 1, 31, 2, 30, 0), finished_at=datetime(2026, 1, 31, 2, 31, 15),
               duration_seconds=75.0, input_fingerprint="f", stage_seconds=10.0, load_seconds=20.0,
               marts_seconds=30.0, error=None)
    return {**row, **counts}


def test_pipeline_runs_adds_up_rows_and_files(warehouse_url):
    wh = Warehouse(warehouse_url)
    create_schema(wh)
    row = _run_row(files_read=5, files_duplicate=1, files_unreadable=1, files_unsupported=2, files_refused=1,
                   files_quarantined=2,
                   sales_rows_read=100, sales_rows_loaded=96, sales_rows_quarantined=4,
                   surveys_rows_read=50, surveys_rows_loaded=49, surveys_rows_quarantined=1,
                   complaints_rows_read=10, complaints_rows_loaded=7, complaints_rows_quarantined=3)
    killed = _run_row(run_id="r0", business_date=date(2026, 1, 29), status="interrupted",
                      started_at=datetime(2026, 1, 31, 2, 29, 0), finished_at=None, duration_seconds=None)
    with wh.transaction() as tx:
        tx.insert(OPS_PIPELINE_RUN, pl.DataFrame([row, killed]))
        got = tx.read("SELECT * FROM v_pipeline_runs ORDER BY business_date").to_dicts()
    wh.dispose()
    assert [(r["business_date"], r["status_label"], r["started_at"], r["duration_seconds"]) for r in got] == [
        (date(2026, 1, 29), "interrupted: killed before it finished, a later run replaced its rows",
         datetime(2026, 1, 31, 2, 29, 0), None),
        (date(2026, 1, 30), "loaded, marts refreshed, checked and published", datetime(2026, 1, 31, 2, 30, 0), 75.0),
    ]
    r = got[1]
    # 100 + 50 + 10 read, 96 + 49 + 7 loaded, 4 + 1 + 3 quarantined; ops_quarantine also holds one row
    # for the unreadable file and one for each of the two quarantined whole: 8 + 1 + 2
    assert (r["rows_read"], r["rows_loaded"], r["rows_quarantined"], r["quarantine_rows"]) == (160, 152, 8, 11)
    assert r["quarantined_pct"] == pytest.approx(5.0)  # 100 * 8 / 160
    assert (r["files_read"], r["files_duplicate"], r["files_unreadable"], r["files_unsupported"],
            r["files_refused"], r["files_quarantined"]) == (5, 1, 1, 2, 1, 2)
    assert (r["started_at"], r["finished_at"], r["duration_seconds"]) == \
        (datetime(2026, 1, 31, 2, 30, 0), datetime(2026, 1, 31, 2, 31, 15), 75.0)
