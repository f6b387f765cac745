"""BI readers are never locked out: they read the published copy while a run writes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import duckdb
import polars as pl
import pytest
from sqlalchemy.engine import make_url

from csi.settings import load_settings
from csi.warehouse import tables_marts_customers as cm
from csi.warehouse import tables_marts_satisfaction as sat
from csi.warehouse.ddl import create_schema
from csi.warehouse.engine import ANY_TABLE, Warehouse, note_written
from csi.warehouse.publish import generation_files, publish, publish_changes, publish_target
from tests.pipeline import landing
from tests.pipeline.landing import DATES
from tests.pipeline.runs import run_dates

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
        blocked = read_in_other_process(make_url(settings.url).database)
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


# -- publish proportional to the change (two generations, the change journal) --------------------

HOLD = ("import duckdb, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print('open', flush=True)\n"
        "sys.stdin.readline()\n"
        "print(con.execute('SELECT count(*) FROM dim_site').fetchone()[0], flush=True)\n")
JOURNAL = "('_csi_table_changes', '_csi_change_marks')"  # the warehouse's own bookkeeping, never published
CATALOG = (f"SELECT table_name, sql, comment FROM duckdb_tables() WHERE table_name NOT IN {JOURNAL} "
           "ORDER BY 1", "SELECT table_name, column_name, comment FROM duckdb_columns() "
           f"WHERE table_name NOT IN {JOURNAL} ORDER BY 1, 2",
           "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal ORDER BY 1")


def add_site(site_id: str) -> None:
    wh = Warehouse(load_settings().url)
    with wh.transaction() as tx:
        tx.execute("INSERT INTO dim_site VALUES (:s, DATE '2026-01-01', DATE '2026-01-02', 1, 2, 3)", {"s": site_id})
    wh.dispose()


def add_dirty_period(period: str) -> None:
    wh = Warehouse(load_settings().url)
    with wh.transaction() as tx:
        tx.execute("INSERT INTO ops_dirty_period VALUES ('month', CAST(:p AS DATE))", {"p": period})
    wh.dispose()


def fresh_schema() -> None:
    wh = Warehouse(load_settings().url)
    create_schema(wh)
    wh.dispose()


def read_only(path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def assert_copy_equals_working(target) -> None:
    """Every table's rows, every table's DDL and comment, every column and view comment."""
    copy = duckdb.connect(str(target), read_only=True)
    working = duckdb.connect(make_url(load_settings().url).database, read_only=True)
    try:
        tables = [t for (t,) in working.execute("SELECT table_name FROM duckdb_tables() "
                                                f"WHERE table_name NOT IN {JOURNAL}").fetchall()]
        assert sorted(t for (t,) in copy.execute("SELECT table_name FROM duckdb_tables()").fetchall()) == sorted(tables)
        for t in tables:
            sql = f'SELECT * FROM "{t}" ORDER BY ALL'
            assert copy.execute(sql).fetchall() == working.execute(sql).fetchall(), t
        for sql in CATALOG:
            assert copy.execute(sql).fetchall() == working.execute(sql).fetchall()
        assert copy.execute("SELECT count(*) FROM v_ops_quarantine").fetchall() == [(0,)]  # the views work
    finally:
        copy.close()
        working.close()


def test_statements_name_the_tables_they_write():
    written: set[str] = set()
    for sql in ("DELETE FROM fct_sales f USING _tmp k WHERE f.order_id = k.order_id",
                'INSERT INTO "dim_site" (site_id) SELECT site_id FROM x',
                "UPDATE ops_pipeline_run SET status = 'failed'",
                "ALTER TABLE main.fct_text ADD COLUMN x INT",
                "CREATE TEMP TABLE _load_keys AS SELECT 1",
                "SELECT * FROM fct_sales", "WITH a AS (SELECT 1) SELECT * FROM a",
                "COMMENT ON COLUMN fct_sales.margin IS 'revenue - cost'",  # compared by publish, not a write
                "CREATE OR REPLACE VIEW v_x AS SELECT 1", "DROP VIEW IF EXISTS v_x"):
        note_written(written, sql)
    assert written == {"fct_sales", "dim_site", "ops_pipeline_run", "fct_text", "_load_keys"}
    unnamed: set[str] = set()
    note_written(unnamed, "VACUUM ANALYZE")
    assert unnamed == {ANY_TABLE}  # a write it cannot name: the next publish copies everything


def test_a_rolled_back_transaction_records_no_change(env):
    fresh_schema()
    url = load_settings().url
    journal = "SELECT table_name, version, from_partition FROM _csi_table_changes WHERE table_name <> ''"
    before = set(read_only(make_url(url).database, journal))
    wh = Warehouse(url)
    with pytest.raises(RuntimeError), wh.transaction() as tx:
        tx.execute("INSERT INTO dim_site VALUES ('S1', DATE '2026-01-01', DATE '2026-01-02', 1, 2, 3)")
        raise RuntimeError("the load failed")
    with wh.transaction() as tx:
        tx.execute("INSERT INTO ops_dirty_period VALUES ('month', DATE '2026-01-01')")
    wh.dispose()
    after = set(read_only(make_url(url).database, journal))
    assert after - before == {("ops_dirty_period", 2, None)}
    assert {v for t, v, _ in after if t == "dim_site"} == {1}  # create_schema only, not the rolled-back load


def test_each_publish_copies_only_the_tables_written_since_its_spare_was_made(env):
    fresh_schema()
    settings = load_settings()
    first = publish_changes(settings)  # nothing published yet: a whole copy into generation 0
    assert first.is_whole_copy and "dim_site" in first.tables and "_csi_table_changes" not in first.tables
    second = publish_changes(settings)  # generation 1 has never been made: whole as well
    assert second.is_whole_copy
    gen0, gen1 = generation_files(first.path)
    assert os.path.samefile(first.path, gen1) and first.path.stat().st_nlink == 2
    add_site("S1")
    third = publish_changes(settings)  # updates generation 0 (made before S1): dim_site only
    assert (third.is_whole_copy, third.tables, third.rows) == (False, ("dim_site",), 1)
    assert os.path.samefile(third.path, gen0)
    assert read_only(third.path, "SELECT site_id FROM dim_site") == [("S1",)]
    add_dirty_period("2026-01-01")
    fourth = publish_changes(settings)  # generation 1 was made before S1 and the period: both
    assert (fourth.is_whole_copy, fourth.tables, fourth.rows) == (False, ("dim_site", "ops_dirty_period"), 2)
    fifth = publish_changes(settings)  # generation 0 lacks only the period
    assert (fifth.is_whole_copy, fifth.tables, fifth.rows) == (False, ("ops_dirty_period",), 1)
    sixth = publish_changes(settings)  # both generations are current: nothing to copy
    assert (sixth.is_whole_copy, sixth.tables, sixth.rows) == (False, (), 0)
    assert_copy_equals_working(sixth.path)
    tags = read_only(sixth.path, "SELECT tags FROM duckdb_databases() WHERE NOT internal AND database_name <> 'temp'")
    assert tags[0][0]["storage_version"].startswith("v1.0.0")
    assert not [p for p in os.listdir(sixth.path.parent) if p.startswith(".") and p.endswith((".tmp", ".wal"))]


def test_a_written_table_gets_only_its_differing_rows(env):
    fresh_schema()
    settings = load_settings()
    wh = Warehouse(settings.url)
    with wh.transaction() as tx:
        for i in range(10):
            tx.execute("INSERT INTO dim_site VALUES (:s, DATE '2026-01-01', DATE '2026-01-02', 1, 2, 3)", {"s": f"S{i}"})
        for month in ("01", "01", "02", "03"):  # two equal rows: a set difference cannot count them
            tx.execute("INSERT INTO ops_dirty_period VALUES ('month', CAST(:p AS DATE))", {"p": f"2026-{month}-01"})
    publish_changes(settings)
    publish_changes(settings)  # both generations hold the 10 sites and the 4 periods
    with wh.transaction() as tx:
        tx.execute("UPDATE dim_site SET complaints = 7 WHERE site_id = 'S3'")
        tx.execute("DELETE FROM dim_site WHERE site_id = 'S9'")
        tx.execute("INSERT INTO dim_site VALUES ('S10', DATE '2026-01-01', DATE '2026-01-02', 1, 2, 3)")
        tx.execute("INSERT INTO ops_dirty_period VALUES ('month', DATE '2026-04-01')")
    wh.dispose()
    done = publish_changes(settings)
    # dim_site: S3's old row and S9 deleted, S3's new row and S10 inserted (4 of 10 rows);
    # ops_dirty_period has equal rows: re-created whole (5 rows)
    assert (done.is_whole_copy, done.tables, done.rows) == (False, ("dim_site", "ops_dirty_period"), 4 + 5)
    assert_copy_equals_working(done.path)
    wh = Warehouse(settings.url)
    with wh.transaction() as tx:
        tx.execute("ALTER TABLE dim_site ADD COLUMN note VARCHAR")
    wh.dispose()
    done = publish_changes(settings)  # the other generation: dim_site's columns changed, re-created whole
    assert (done.is_whole_copy, done.tables, done.rows) == (False, ("dim_site", "ops_dirty_period"), 10 + 5)
    assert_copy_equals_working(done.path)


def test_a_change_to_most_of_the_rows_is_published_as_a_whole_copy(env):
    fresh_schema()
    settings = load_settings()
    wh = Warehouse(settings.url)
    with wh.transaction() as tx:  # 150,000 dates: the one big table
        tx.execute("INSERT INTO dim_date SELECT d, year(d), quarter(d), month(d), d, d, 1, 1, false "
                   "FROM (SELECT DATE '1700-01-01' + CAST(i AS INTEGER) AS d FROM range(150000) t(i))")
    publish_changes(settings)
    publish_changes(settings)
    add_site("S1")  # 1 of 150,001 rows written: updated in place
    small = publish_changes(settings)
    assert (small.is_whole_copy, small.tables, small.rows) == (False, ("dim_site",), 1)
    with wh.transaction() as tx:
        tx.execute("UPDATE dim_date SET iso_week = 2")
    wh.dispose()
    big = publish_changes(settings)  # written since this spare: dim_date (150,000 rows) and dim_site (1)
    assert big.is_whole_copy and big.reason.startswith("the written tables hold")
    assert_copy_equals_working(big.path)


def test_a_reader_holding_the_spare_forces_a_whole_copy_and_keeps_its_snapshot(env):
    fresh_schema()
    settings = load_settings()
    target = publish_changes(settings).path  # generation 0
    reader = subprocess.Popen([sys.executable, "-c", HOLD, str(target)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"  # a BI session on generation 0, kept open
        publish_changes(settings)  # generation 1; the reader's file is now the spare
        add_site("S1")
        held = publish_changes(settings)
        assert held.is_whole_copy and held.reason.startswith("spare copy not writable")
        assert read_only(target, "SELECT site_id FROM dim_site") == [("S1",)]
        out, _ = reader.communicate("\n", timeout=60)
        assert out.strip() == "0"  # the reader still read its own snapshot, from before S1
    finally:
        reader.kill()
    add_site("S2")
    after = publish_changes(settings)  # nobody holds the spare any more: back to the changes only
    assert (after.is_whole_copy, after.tables) == (False, ("dim_site",))
    assert_copy_equals_working(after.path)


KILLED_IN_UPDATE = ("import os, signal, sys\n"
                    "import csi.warehouse.publish as p\n"
                    "from csi.settings import load_settings\n"
                    "p._comments = lambda duck, source: os.kill(os.getpid(), signal.SIGKILL)\n"
                    "p.publish_changes(load_settings())\n")
KILLED_AT = "from csi.settings import load_settings\nfrom csi.warehouse.publish import publish\npublish(load_settings())\n"


@pytest.mark.parametrize("crash", ["in the update", "publish", "published"])
def test_a_publish_killed_at_any_step_keeps_a_whole_copy_and_the_next_one_is_correct(env, crash):
    fresh_schema()
    settings = load_settings()
    target = publish_changes(settings).path
    publish_changes(settings)  # both generations exist, without sites; the target is generation 1
    add_site("S2")
    script, child = (KILLED_IN_UPDATE, dict(os.environ)) if crash == "in the update" else \
        (KILLED_AT, {**os.environ, "CSI_TEST_CRASH_AT": crash})
    done = subprocess.run([sys.executable, "-c", script], env=child, capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr[-2000:]
    expected = ["S2"] if crash == "published" else []  # renamed or not: always a whole file
    assert [s for (s,) in read_only(target, "SELECT site_id FROM dim_site ORDER BY 1")] == expected
    add_site("S3")
    again = publish_changes(settings)
    # killed inside the update, the spare lost its manifest: it is copied whole
    assert again.is_whole_copy == (crash == "in the update")
    assert [s for (s,) in read_only(target, "SELECT site_id FROM dim_site ORDER BY 1")] == ["S2", "S3"]
    assert_copy_equals_working(target)


# -- partition deltas: a published copy equals a whole copy -------------------------------------

def whale(days: list[str], margin: float) -> pl.DataFrame:
    """mart_whale_curve rows (partition as_of_date), one per day, all with `margin`."""
    n = len(days)
    return pl.DataFrame({"as_of_date": [date.fromisoformat(d) for d in days], "rank_share_pct": [10] * n,
                         "customers": [1] * n, "n_customers": [10] * n, "cumulative_margin": [margin] * n,
                         "total_margin": [margin] * n, "cumulative_margin_share": [1.0] * n,
                         "top20_margin_share": [None] * n, "bottom30_margin_share": [None] * n})


def recovery(groups: list[str]) -> pl.DataFrame:
    n = len(groups)
    return pl.DataFrame({"month": [date(2026, 1, 1)] * n, "customer_group": groups, "customers": [3] * n,
                         "nps_n": [2] * n, "nps_sum": [10.0] * n, "mean_latest_nps": [5.0] * n,
                         "reorder_count": [1] * n, "reorder_pct": [33.3] * n, "window_complete": [True] * n})


def in_a_transaction(write) -> None:
    wh = Warehouse(load_settings().url)
    with wh.transaction() as tx:
        write(tx)
    wh.dispose()


def assert_same_tables(copy_path, whole_path) -> None:
    """Table by table, row by row (and the catalog) the two files hold the same."""
    copy, whole = duckdb.connect(str(copy_path), read_only=True), duckdb.connect(str(whole_path), read_only=True)
    try:
        tables = [t for (t,) in whole.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        assert [t for (t,) in copy.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()] == tables
        for t in tables:
            sql = f'SELECT * FROM "{t}" ORDER BY ALL'
            assert copy.execute(sql).fetchall() == whole.execute(sql).fetchall(), t
        for sql in CATALOG:
            assert copy.execute(sql).fetchall() == whole.execute(sql).fetchall()
    finally:
        copy.close()
        whole.close()


def whole_copy(tmp_path, name: str):
    """A whole copy of the warehouse as it is now, made by DuckDB itself (COPY FROM DATABASE)."""
    path = tmp_path / f"{name}.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"ATTACH '{make_url(load_settings().url).database}' AS working (READ_ONLY)")
    con.execute(f"COPY FROM DATABASE working TO {path.stem}")
    for journal in ("_csi_table_changes", "_csi_change_marks"):
        con.execute(f"DROP TABLE {journal}")
    con.close()
    return path


DAYS = ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05", "2026-01-06"]


def test_partition_deltas_publish_the_same_copy_as_a_whole_copy(env, tmp_path):
    fresh_schema()
    settings = load_settings()
    in_a_transaction(lambda tx: tx.insert(cm.MART_WHALE_CURVE, whale(DAYS, 1.0)))
    publish_changes(settings)
    publish_changes(settings)  # both generations: the six days of margin 1.0
    # a snapshot restated from a mid date (3 days rewritten, 2 added), a whole-table rewrite, a new table
    in_a_transaction(lambda tx: (
        tx.replace_partitions_from(cm.MART_WHALE_CURVE, whale(DAYS[3:] + ["2026-01-07", "2026-01-08"], 2.0),
                                   date(2026, 1, 4)),
        tx.replace_table(sat.MART_SERVICE_RECOVERY_MONTHLY, recovery(["promoters", "detractors"])),
        tx.execute("CREATE TABLE extra_note (note VARCHAR)"),
        tx.execute("INSERT INTO extra_note VALUES ('new')")))
    first = publish_changes(settings)
    # whale: 3 spare rows from 01-04 deleted, 5 working rows inserted; recovery: re-created (2 rows,
    # all of them new); extra_note: created (1 row)
    assert (first.is_whole_copy, first.tables, first.rows) == (
        False, ("extra_note", "mart_service_recovery_monthly", "mart_whale_curve"), 3 + 5 + 2 + 1)
    assert_same_tables(first.path, whole_copy(tmp_path, "whole1"))
    in_a_transaction(lambda tx: tx.replace_partitions_from(cm.MART_WHALE_CURVE, whale(["2026-01-08"], 3.0), date(2026, 1, 8)))
    second = publish_changes(settings)
    # the other generation was made before both changes: their union, from 01-04 on (3 deleted,
    # 5 inserted), not the last one's 01-08 alone
    assert (second.is_whole_copy, second.tables, second.rows) == (
        False, ("extra_note", "mart_service_recovery_monthly", "mart_whale_curve"), 3 + 5 + 2 + 1)
    assert read_only(second.path, "SELECT as_of_date, cumulative_margin FROM mart_whale_curve "
                     "WHERE as_of_date >= DATE '2026-01-03' ORDER BY 1") == [
        (date(2026, 1, 3), 1.0), (date(2026, 1, 4), 2.0), (date(2026, 1, 5), 2.0), (date(2026, 1, 6), 2.0),
        (date(2026, 1, 7), 2.0), (date(2026, 1, 8), 3.0)]
    assert_same_tables(second.path, whole_copy(tmp_path, "whole2"))
    third = publish_changes(settings)  # the first generation lacks only 01-08's restatement
    assert (third.is_whole_copy, third.tables, third.rows) == (False, ("mart_whale_curve",), 1 + 1)
    assert_same_tables(third.path, second.path)


KILLED_IN_PARTITIONS = ("import os, signal\n"
                        "import csi.warehouse.publish as p\n"
                        "from csi.settings import load_settings\n"
                        "p._apply_partitions = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n"
                        "p.publish_changes(load_settings())\n")


@pytest.mark.parametrize("crash", ["in the partition delta", "publish"])
def test_a_publish_killed_during_a_partition_delta_keeps_the_target_and_the_next_is_right(env, crash, tmp_path):
    fresh_schema()
    settings = load_settings()
    in_a_transaction(lambda tx: tx.insert(cm.MART_WHALE_CURVE, whale(DAYS, 1.0)))
    target = publish_changes(settings).path
    publish_changes(settings)
    in_a_transaction(lambda tx: tx.replace_partitions_from(cm.MART_WHALE_CURVE, whale(DAYS[2:], 2.0), date(2026, 1, 3)))
    script, child = (KILLED_IN_PARTITIONS, dict(os.environ)) if crash == "in the partition delta" else \
        (KILLED_AT, {**os.environ, "CSI_TEST_CRASH_AT": crash})
    done = subprocess.run([sys.executable, "-c", script], env=child, capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr[-2000:]
    # the target still holds the six days of 1.0 (sum 6.0)
    assert read_only(target, "SELECT sum(cumulative_margin) FROM mart_whale_curve") == [(6.0,)]
    in_a_transaction(lambda tx: tx.replace_partitions_from(cm.MART_WHALE_CURVE, whale(DAYS[4:], 3.0), date(2026, 1, 5)))
    again = publish_changes(settings)
    # killed inside the delta: the spare lost its manifest, a whole copy; killed after writing the
    # spare (before the rename): the spare and its mark are current but for the 01-05 restatement
    # (2 rows deleted, 2 inserted)
    if crash == "publish":
        assert (again.is_whole_copy, again.tables, again.rows) == (False, ("mart_whale_curve",), 2 + 2)
    else:
        assert again.is_whole_copy
    # 01-01, 01-02 of 1.0; 01-03, 01-04 of 2.0; 01-05, 01-06 of 3.0
    assert read_only(target, "SELECT sum(cumulative_margin) FROM mart_whale_curve") == [(12.0,)]
    assert_same_tables(target, whole_copy(tmp_path, "whole"))
