"""Schema management: comments in both catalogs, migrations that keep data, the data dictionary, views."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from csi.warehouse import tables_core as core
from csi.warehouse.ddl import create_schema
from csi.warehouse.declare import TableDecl, to_sqlalchemy
from csi.warehouse.dictionary import render
from csi.warehouse.engine import Warehouse

ROOT = Path(__file__).resolve().parents[2]


def column_comment(tx, table: str, column: str) -> str | None:
    if tx.is_duckdb:
        return tx.scalar("SELECT comment FROM duckdb_columns() WHERE table_name = :t AND column_name = :c",
                         {"t": table, "c": column})
    return tx.scalar("SELECT col_description(a.attrelid, a.attnum) FROM pg_attribute a "
                     "WHERE a.attrelid = CAST(:t AS regclass) AND a.attname = :c", {"t": table, "c": column})


def test_table_and_column_comments_are_in_the_catalog(warehouse_url):
    wh = Warehouse(warehouse_url)
    create_schema(wh)
    with wh.transaction() as tx:
        assert column_comment(tx, "fct_sales", "margin") == "revenue - cost"
        assert column_comment(tx, "ops_quarantine", "reasons").startswith("every reason code")
        if tx.is_duckdb:
            table = tx.scalar("SELECT comment FROM duckdb_tables() WHERE table_name = 'fct_sales'")
        else:
            table = tx.scalar("SELECT obj_description(CAST('fct_sales' AS regclass), 'pg_class')")
    wh.dispose()
    assert table == core.FCT_SALES.comment


def test_migration_adds_a_missing_column_and_keeps_the_rows(warehouse_url):
    old = TableDecl("fct_survey_response", "fct", "older version",
                    tuple(c for c in core.FCT_RESPONSE.columns if c.name != "nps_class"),
                    key=core.FCT_RESPONSE.key)
    wh = Warehouse(warehouse_url)
    md = sa.MetaData()
    to_sqlalchemy(old, md, with_keys=wh.dialect != "duckdb")
    md.create_all(wh.engine)
    row = pl.DataFrame([{"response_id": "R1", "customer_id": "C1", "site_id": "S1",
                         "submitted_at": datetime(2026, 1, 30, 18), "submitted_date": date(2026, 1, 30),
                         "channel": "web", "answer_count": 2, "nps_answer": 10}], schema=old.polars_schema)
    with wh.transaction() as tx:
        tx.insert(old, row)
    changes = create_schema(wh)
    assert "added column fct_survey_response.nps_class" in changes
    assert "created table fct_sales" in changes
    with wh.transaction() as tx:
        kept = tx.read("SELECT response_id, nps_answer, nps_class FROM fct_survey_response")
        versions = tx.read("SELECT version FROM ops_schema_version")
    assert kept.rows() == [("R1", 10, None)]
    assert sorted(versions["version"].to_list()) == [1, 2, 3]
    assert create_schema(wh) == []  # idempotent
    wh.dispose()


def test_duckdb_staging_ART_indexes_of_older_warehouses_are_dropped(tmp_path):
    """Older DuckDB warehouses had an ART index on stg_*.drop_date (docs/warehouse.md, 'Doubled
    staging rows'): migration 2 drops it, and new warehouses never get one."""
    url = f"duckdb:///{tmp_path / 'old.duckdb'}"
    wh = Warehouse(url)
    md = sa.MetaData()
    for decl in (core.STG_SALES, core.STG_ANSWER, core.STG_COMPLAINT):
        to_sqlalchemy(decl, md, with_keys=False)  # the old DDL: with the declared index
    md.create_all(wh.engine)
    with wh.transaction() as tx:
        before = tx.scalar("SELECT count(*) FROM duckdb_indexes() WHERE table_name LIKE 'stg_%'")
    assert before == 3
    create_schema(wh)
    with wh.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM duckdb_indexes()") == 0
    wh.dispose()


def test_committed_data_dictionary_is_current():
    committed = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == render(), "docs/data-dictionary.md is stale: run `make docs`"


def test_bi_views_label_codes(warehouse_url):
    wh = Warehouse(warehouse_url)
    create_schema(wh)
    with wh.transaction() as tx:
        tx.execute("INSERT INTO ops_quarantine (drop_date, source, source_file, record_no, raw_record, reasons, "
                   "reason_count, run_id) VALUES (:d, 'sales', 'a.csv', 4, '{}', :r, 2, 'r1'), "
                   "(:d, 'sales', 'b.csv', NULL, NULL, 'file:unreadable (bad: gzip)', 1, 'r1'), "
                   "(:d, 'sales', 'c.csv', 1, '{}', 'site_id:column_missing', 1, 'r1')",
                   {"d": date(2026, 1, 30), "r": "cost:wrong_sign; quantity:not_positive"})
        rows = tx.read("SELECT source_file, first_reason, first_reason_description FROM v_ops_quarantine "
                       "ORDER BY source_file").rows()
        runs = tx.read("SELECT * FROM v_pipeline_runs")
    wh.dispose()
    assert rows == [("a.csv", "cost:wrong_sign", "cost must be >= 0 for a sale and <= 0 for a return"),
                    ("b.csv", "file:unreadable", "the file cannot be read (corrupt or wrong format)"),
                    ("c.csv", "site_id:column_missing", "the file lacks this required column")]
    assert {"status_label", "rows_read", "quarantined_pct"} <= set(runs.columns)
