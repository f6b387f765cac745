"""A scoped run keeps the Data Docs complete: every table's latest result stays in the index, each
saying which rows it covered, and older results of a re-checked table are gone."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import unquote

from csi.quality.checkpoint import STORE_DIR, run_checks
from csi.settings import load_settings
from csi.warehouse.changes import mark_consumed
from csi.warehouse.ddl import create_schema
from csi.warehouse.engine import Warehouse
from csi.warehouse.tables import table
from tests.hand_made import full_rows

LINK = re.compile(r"validations/(\w+)/(\w+)/[^/]+/warehouse-([^'\"]+?)\.html")


def test_a_scoped_run_leaves_every_table_s_latest_result_in_the_index(tmp_path):
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    site, sat = table("dim_site"), table("mart_satisfaction_monthly")
    feb = date(2026, 2, 1)
    given = {"month": feb, "site_id": "S1", "nps": 30.0}  # the other NOT NULL columns (counts, flags): 0
    frame = full_rows(sat, [given])
    wh = Warehouse(url)
    try:
        create_schema(wh)
    finally:
        wh.dispose()
    settings = load_settings(warehouse_url=url, data_docs_dir=tmp_path / "docs")
    assert run_checks(settings, tables=(site, sat)).success  # both whole
    wh = Warehouse(url)
    try:
        with wh.transaction() as tx:
            mark_consumed(tx, "checks")
        with wh.transaction() as tx:
            tx.replace_partitions_from(sat, frame, feb)
    finally:
        wh.dispose()
    scoped = run_checks(settings, "changed", tables=(site, sat))
    assert (scoped.success, scoped.scope) == (True, "1 table, 1 from 2026-02-01")

    index = scoped.data_docs.read_text(encoding="utf-8")
    listed = {(s, run, unquote(asset)) for s, run, asset in LINK.findall(index)}
    assert listed == {("dim_site", "all", "dim_site, whole table"),
                      ("mart_satisfaction_monthly", "changed", "mart_satisfaction_monthly, month from 2026-02-01 on")}
    docs = tmp_path / "docs"
    pages = sorted(p.relative_to(docs / "validations").parts[0] for p in (docs / "validations").rglob("*.html"))
    assert pages == ["dim_site", "mart_satisfaction_monthly"]  # one page each: the older one is gone
    results = sorted(p.relative_to(docs / STORE_DIR / "validation_results").parts[0]
                     for p in (docs / STORE_DIR / "validation_results").rglob("*.json"))
    assert results == ["dim_site", "mart_satisfaction_monthly"]
