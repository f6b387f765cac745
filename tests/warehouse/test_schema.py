"""Schema management: comments in both catalogs, migrations that keep data, the data dictionary, views,
and one column declaration behind the DDL, the dictionary, the quality checks and the frame schema."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from csi.quality.suites import checks_for
from csi.warehouse import tables_core as core
from csi.warehouse import tables_marts_customers as cm
from csi.warehouse.ddl import create_schema
from csi.warehouse.declare import FRAME, NN, C, TableDecl, in_order, to_sqlalchemy, typed
from csi.warehouse.dictionary import render, table_section
from csi.warehouse.engine import Warehouse
from csi.warehouse.frame_schema import pandera_schema

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


def test_ddl_dictionary_quality_checks_and_frame_schema_come_from_the_same_column(warehouse_url):
    # mart_churn_signals.risk_score is declared once: NOT NULL double, between 0 and 100 (METRICS 8)
    decl = cm.MART_CHURN_SIGNALS
    comment = "min(100, sum of the weights of triggered signals)"
    wh = Warehouse(warehouse_url)
    create_schema(wh)
    with wh.transaction() as tx:
        nullable, data_type = tx.read(
            "SELECT is_nullable, data_type FROM information_schema.columns "
            "WHERE table_name = 'mart_churn_signals' AND column_name = 'risk_score'").rows()[0]
        stored_comment = column_comment(tx, "mart_churn_signals", "risk_score")
    wh.dispose()
    assert (nullable, data_type.lower(), stored_comment) == (
        "NO", "double" if warehouse_url.startswith("duckdb") else "double precision", comment)
    assert f"| `risk_score` | double | no | between 0 and 100 | {comment} |" in render()
    [check] = [c for c in checks_for(decl) if c.column == "risk_score"]
    assert (check.expectation, check.kwargs) == (
        "ExpectColumnValuesToBeBetween", {"column": "risk_score", "min_value": 0, "max_value": 100})
    assert check.label() == "mart_churn_signals.risk_score: values between 0 and 100"
    [rule] = pandera_schema(decl).columns["risk_score"].checks
    assert rule.statistics == {"min_value": 0, "max_value": 100, "include_min": True, "include_max": True}

    # change nothing but the declaration: the DDL, the dictionary, the check and the schema all follow
    changed = decl.with_column("risk_score", nullable=True, max=50, strict_max=True)
    assert to_sqlalchemy(changed, sa.MetaData(), with_keys=False).c.risk_score.nullable is True
    assert f"| `risk_score` | double | yes | >= 0 and < 50 | {comment} |" in table_section(changed)
    [check] = [c for c in checks_for(changed) if c.column == "risk_score"]
    assert check.kwargs == {"column": "risk_score", "min_value": 0, "max_value": 50, "strict_max": True}
    [rule] = pandera_schema(changed).columns["risk_score"].checks
    assert rule.statistics == {"min_value": 0, "max_value": 50, "include_min": True, "include_max": False}
    assert pandera_schema(changed).columns["risk_score"].nullable is True


def test_in_order_takes_the_transforms_order_and_keeps_the_edges_columns_in_place():
    a, b, x, k = (NN("a", "text", "a"), NN("b", "text", "b"), C("x", "int", "x"), NN("k", "date", "k"))
    # x is declared after a, k first: the transform writes b then a
    assert [c.name for c in in_order(["b", "a"], (a, x, b))] == ["b", "a", "x"]
    assert [c.name for c in in_order(["b", "a"], (k, a, b))] == ["k", "b", "a"]
    with pytest.raises(ValueError, match=r"the transform writes columns \['z'\] that the declaration lacks"):
        in_order(["a", "z"], (a, b))


def test_typed_gives_frame_columns_the_transforms_dtypes():
    schema = {"n": pl.Int64, "v": pl.Float64(), "at": pl.Datetime("us")}
    cols = typed(schema, (NN("v", FRAME, "value", min=0), C("n", FRAME, "count"), NN("k", "date", "key"),
                          C("at", "timestamp", "when")))
    # k is declared after n, so it follows n; at keeps the explicit type the schema agrees with
    assert [(c.name, c.type, c.nullable, c.rule) for c in cols] == [
        ("n", "bigint", True, ""), ("k", "date", False, ""), ("v", "double", False, ">= 0"),
        ("at", "timestamp", True, "")]
    with pytest.raises(ValueError, match="column n: declared int, the transform writes Int64"):
        typed(schema, (C("n", "int", "count"), C("v", FRAME, "value"), C("at", FRAME, "when")))
    with pytest.raises(ValueError, match="column v: a range needs a numeric type, not text"):
        typed({"v": pl.String}, (C("v", FRAME, "value", min=0),))
    with pytest.raises(ValueError, match="no warehouse type for the polars dtype Int8"):
        typed({"v": pl.Int8}, (C("v", FRAME, "value"),))
    with pytest.raises(ValueError, match=r"t: columns \['v'\] are declared FRAME but not typed\(\)"):
        TableDecl("t", "mart", "a table", (C("v", FRAME, "value"),))


def test_the_declarations_load_no_numerical_library():
    # every command imports the declarations; the transforms' column lists they read load polars only
    code = "import sys, csi.warehouse.tables; print(sorted({'numpy', 'scipy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
