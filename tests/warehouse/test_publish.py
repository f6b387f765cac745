"""BI readers are never locked out: they read the published copy while a run writes."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from csi.settings import load_settings
from csi.warehouse.engine import Warehouse
from csi.warehouse.publish import publish, publish_target
from tests.pipeline import landing
from tests.pipeline.landing import DATES
from tests.pipeline.test_load import run_dates

READ = ("import duckdb, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print(con.execute('SELECT count(*) FROM fct_sales').fetchone()[0])\n"
        "print(con.execute(\"SELECT count(*) FROM v_ops_quarantine\").fetchone()[0])\n")


def read_in_other_process(path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", READ, str(path)], capture_output=True, text=True, timeout=120)


def test_reader_in_another_process_reads_the_published_copy_during_a_write(wh_env):
    if not wh_env["url"].startswith("duckdb"):
        assert publish(load_settings()) is None  # PostgreSQL readers never wait for writers
        return
    landing.build(wh_env["landing"])
    run_dates(DATES[:1])
    settings = load_settings()
    target = publish(settings)
    assert target == publish_target(settings) and target.name.endswith(".read.duckdb")
    wh = Warehouse(settings.url)
    with wh.transaction() as tx:  # a run in the middle of its write transaction
        tx.execute("INSERT INTO fct_sales SELECT * FROM fct_sales")
        blocked = read_in_other_process(settings.url.removeprefix("duckdb:///"))
        assert blocked.returncode != 0 and "lock" in blocked.stderr.lower()  # the problem publish solves
        during = read_in_other_process(target)
        assert during.returncode == 0, during.stderr
        assert during.stdout.split() == ["3", "3"]
    wh.dispose()
    snapshot = duckdb.connect(str(target), read_only=True)  # a BI session open across the next publish
    publish(settings)
    assert snapshot.execute("SELECT count(*) FROM fct_sales").fetchone()[0] == 3
    snapshot.close()
    assert read_in_other_process(target).stdout.split() == ["6", "3"]
    assert not [p for p in os.listdir(target.parent) if p.endswith(".tmp")]


def test_publish_path_setting_and_storage_version(wh_env, tmp_path, monkeypatch):
    if not wh_env["url"].startswith("duckdb"):
        pytest.skip("the published copy is a DuckDB feature")
    monkeypatch.setenv("CSI_PUBLISH_PATH", str(tmp_path / "bi" / "csi.duckdb"))
    run_dates(DATES[:1])
    target = publish(load_settings())
    assert target == tmp_path / "bi" / "csi.duckdb"
    con = duckdb.connect(str(target), read_only=True)
    tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'csi'").fetchone()[0]
    comment = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'fct_sales' "
                          "AND column_name = 'margin'").fetchone()[0]
    con.close()
    assert tags["storage_version"].startswith("v1.0.0")
    assert comment == "revenue - cost"
