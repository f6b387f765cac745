"""The same landing data gives the same warehouse on DuckDB and on PostgreSQL, table by table."""

from __future__ import annotations

import hashlib

from csi.warehouse.engine import Warehouse
from csi.warehouse.tables import TABLES
from tests.pipeline import landing
from tests.pipeline.landing import DATES
from tests.pipeline.runs import run_dates
from tests.warehouse.backends import fresh_url, pg_admin_url

COMPARED = [t for t in TABLES if t.layer in ("dim", "fct", "stg", "mart") or t.name == "ops_quarantine"]


def digests(url: str) -> dict[str, str]:
    """sha256 per table of its rows in the declared dtypes, sorted on every column (run ids excluded)."""
    wh = Warehouse(url)
    out = {}
    with wh.transaction() as tx:
        for decl in COMPARED:
            frame = tx.read_table(decl).drop("run_id", strict=False)
            frame = frame.sort(frame.columns, nulls_last=True)
            out[decl.name] = hashlib.sha256(frame.write_csv().encode()).hexdigest()
        counts = {d.name: tx.scalar(f"SELECT count(*) FROM {d.name}") for d in COMPARED}
    wh.dispose()
    assert counts["fct_sales"] and counts["ops_quarantine"] and counts["dim_customer"]
    return out


def test_duckdb_and_postgres_give_identical_tables(env, tmp_path, monkeypatch):
    pg_admin_url()  # skips with a reason when no server is configured
    landing.build(env["landing"])
    result = {}
    for backend in ("duckdb", "postgres"):
        with fresh_url(backend, tmp_path) as url:
            monkeypatch.setenv("CSI_WAREHOUSE_URL", url)
            monkeypatch.setenv("CSI_WORK_DIR", str(tmp_path / f"work-{backend}"))
            run_dates(DATES)
            result[backend] = digests(url)
    differing = [t for t in result["duckdb"] if result["duckdb"][t] != result["postgres"][t]]
    assert not differing, f"tables differ between DuckDB and PostgreSQL: {differing}"
