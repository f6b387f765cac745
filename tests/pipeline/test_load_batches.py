"""Batched loads (csi.pipeline.load.load_drops): a backfill loaded in batches of dates writes
exactly what loading it date by date writes, one transaction per batch, and a crash inside a
batch rolls back that batch only."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy.engine import make_url

from csi.generate import generate
from csi.ingest.dedup import plan_duplicates
from csi.ingest.discover import discover
from csi.pipeline.load import StagedDrop, load_drops, rebuild_pending_facts
from csi.pipeline.stage import stage_drop
from csi.settings import load_settings
from csi.warehouse.ddl import create_schema
from csi.warehouse.engine import Warehouse
from csi.warehouse.staging import files_by_status
from tests.conftest import read_table
from tests.pipeline import landing
from tests.pipeline.landing import DATES, RUN_AT
from tests.warehouse.backends import BACKENDS, fresh_url

DAYS = 40
REJECTED = 9  # the 10th drop is loaded as rejected (over the quarantine threshold): files and quarantine only
LOADED = ("stg_sales_line", "stg_survey_answer", "stg_complaint_version", "ops_quarantine", "ops_ingested_file",
          "ops_pending_sales_key", "ops_pending_surveys_key", "ops_pending_complaints_key", "ops_dirty_period")
REBUILT = ("fct_sales", "fct_survey_answer", "fct_survey_response", "fct_complaint", "ops_dirty_period")
NO_RECORDS = pl.DataFrame(schema={"drop_date": pl.Date, "file_sha256": pl.String, "file_path": pl.String,
                                  "status": pl.String})


def stage_all(landing_dir: Path, work_dir: Path, dates: list[date]) -> dict[date, Path]:
    """Stage every date as one run would (duplicates planned over all of them, nothing recorded yet)."""
    settings = load_settings(landing_dir=landing_dir, work_dir=work_dir)
    files = {d: discover(landing_dir, d) for d in dates}
    duplicates = plan_duplicates(NO_RECORDS, files)
    return {d: Path(stage_drop(settings, d, RUN_AT, duplicates[d], files[d]).stage_dir) for d in dates}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> list[tuple[Path, date]]:
    """40 staged drops of the sample generator (late rows, corrections, complaint versions,
    bad records, a duplicate and an unreadable file)."""
    root = tmp_path_factory.mktemp("generated")
    start = generate(root / "landing", customers=60, days=DAYS, seed=7).start_date
    dates = [start + timedelta(days=i) for i in range(DAYS)]
    return [(path, d) for d, path in stage_all(root / "landing", root / "work", dates).items()]


def drops_of(staged: list[tuple[Path, date]], tag: str) -> list[StagedDrop]:
    return [StagedDrop(path, d, f"{tag}-{d}", reject=i == REJECTED) for i, (path, d) in enumerate(staged)]


def load_in_batches(url: str, drops: list[StagedDrop], batch_days: int) -> None:
    wh = Warehouse(url)
    for i in range(0, len(drops), batch_days):
        with wh.transaction() as tx:
            load_drops(tx, drops[i:i + batch_days])
    wh.dispose()


def rebuild(url: str) -> None:
    wh = Warehouse(url)
    with wh.transaction() as tx:
        rebuild_pending_facts(tx)
    wh.dispose()


def tables(url: str, names: tuple[str, ...]) -> dict[str, pl.DataFrame]:
    """Every row of each table, run stamps aside, in one order (one connection for all)."""
    wh = Warehouse(url)
    with wh.transaction() as tx:
        frames = {t: tx.read(f"SELECT * FROM {t}") for t in names}
    wh.dispose()
    frames = {t: f.drop([c for c in ("run_id",) if c in f.columns]) for t, f in frames.items()}
    return {t: f.sort(f.columns, nulls_last=True) for t, f in frames.items()}


def assert_same(url_a: str, url_b: str, names: tuple[str, ...]) -> None:
    a, b = tables(url_a, names), tables(url_b, names)
    for table in names:
        try:
            assert_frame_equal(a[table], b[table])
        except AssertionError as exc:
            raise AssertionError(f"{table}: {exc}") from None


@pytest.fixture(scope="module")
def duckdb_template(tmp_path_factory) -> Path:
    """An empty DuckDB warehouse with the schema, copied for each test (creating it costs seconds)."""
    path = tmp_path_factory.mktemp("template") / "wh.duckdb"
    wh = Warehouse(f"duckdb:///{path}")
    create_schema(wh)
    wh.dispose()
    return path


@contextmanager
def empty_warehouse(backend: str, tmp_path: Path, template: Path) -> Iterator[str]:
    """The URL of a fresh warehouse with the schema on the backend."""
    with fresh_url(backend, tmp_path) as url:
        if backend == "duckdb":
            shutil.copyfile(template, make_url(url).database)
        else:
            wh = Warehouse(url)
            create_schema(wh)
            wh.dispose()
        yield url


@pytest.fixture(params=BACKENDS)
def urls(request, tmp_path, duckdb_template):
    """Two fresh warehouses on the backend."""
    with empty_warehouse(request.param, tmp_path, duckdb_template) as a, \
            empty_warehouse(request.param, tmp_path, duckdb_template) as b:
        yield a, b


def test_batches_of_seven_equal_date_by_date(generated, urls):
    by_date, batched = urls
    load_in_batches(by_date, drops_of(generated, "one"), 1)
    load_in_batches(batched, drops_of(generated, "seven"), 7)
    # the comparison is not empty: every drop recorded its files, the rejected one staged nothing
    dates = read_table(batched, "SELECT count(DISTINCT drop_date) AS n FROM ops_ingested_file").item()
    assert dates == DAYS
    rejected = generated[REJECTED][1]
    assert read_table(batched, f"SELECT count(*) FROM stg_sales_line WHERE drop_date = DATE '{rejected}'").item() == 0
    assert read_table(batched, "SELECT count(*) FROM stg_sales_line").item() > 0
    assert_same(by_date, batched, LOADED)
    rebuild(by_date)
    rebuild(batched)
    assert_same(by_date, batched, LOADED + REBUILT)
    # the batch's run ids are each drop's own
    runs = read_table(batched, "SELECT DISTINCT drop_date, run_id FROM ops_ingested_file ORDER BY 1")
    assert runs["run_id"].to_list() == [f"seven-{d}" for _, d in generated]
    # a re-run in other batches replaces the drops: once the facts are rebuilt, as one load
    load_in_batches(batched, drops_of(generated, "thirty"), 30)
    rebuild(batched)
    assert_same(by_date, batched, LOADED + REBUILT)


CRASH = textwrap.dedent("""
    import json, os, signal, sys
    from datetime import date
    from pathlib import Path
    from csi.pipeline import load
    from csi.pipeline.load import StagedDrop
    from csi.warehouse.engine import Warehouse
    original, calls = load.check_replaced, []
    def crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:  # the second batch's second staging table: its rows are written
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    load.check_replaced = crash
    drops = [StagedDrop(Path(p), date.fromisoformat(d), "crashed", r) for p, d, r in json.loads(sys.argv[2])]
    wh = Warehouse(sys.argv[1])
    for i in range(0, len(drops), 7):
        with wh.transaction() as tx:
            load.load_drops(tx, drops[i:i + 7])
""")


def test_crash_inside_a_batch_rolls_back_that_batch_only(generated, urls, tmp_path):
    crashed, clean = urls
    drops = drops_of(generated, "x")
    spec = json.dumps([[str(d.stage_dir), d.business_date.isoformat(), d.reject] for d in drops])
    proc = subprocess.run([sys.executable, "-c", CRASH, crashed, spec], env=os.environ.copy(), cwd=os.getcwd(),
                          capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    # the first batch committed, nothing of the second
    load_in_batches(clean, drops[:7], 7)
    assert_same(crashed, clean, LOADED)
    held = read_table(crashed, "SELECT DISTINCT drop_date FROM stg_survey_answer ORDER BY 1")["drop_date"]
    assert held.max() <= drops[6].business_date
    # the re-run loads the rest and ends where one clean load ends
    load_in_batches(crashed, drops[7:], 7)
    load_in_batches(clean, drops[7:], 7)
    rebuild(crashed)
    rebuild(clean)
    assert_same(crashed, clean, LOADED + REBUILT)


@pytest.fixture
def three(tmp_path) -> dict[date, Path]:
    """The hand-written three drops of tests/pipeline/landing.py, staged."""
    landing.build(tmp_path / "landing")
    return stage_all(tmp_path / "landing", tmp_path / "work", DATES)


@pytest.fixture(params=BACKENDS)
def warehouse(request, tmp_path, duckdb_template):
    with empty_warehouse(request.param, tmp_path, duckdb_template) as url:
        wh = Warehouse(url)
        yield wh
        wh.dispose()


def test_one_batch_of_three_drops(three, warehouse):
    d1, d2, d3 = DATES
    with warehouse.transaction() as tx:
        staged = load_drops(tx, [StagedDrop(three[d], d, f"run-{d}") for d in DATES])
        files = files_by_status(tx, DATES)
    # day 1: O3 (quantity 0) and R2's two nps answers are quarantined; day 2: pos_copy.csv is a
    # duplicate, not read; day 3: surveys only
    assert staged == {d1: {"sales": 3, "surveys": 2, "complaints": 1},
                      d2: {"sales": 3, "surveys": 0, "complaints": 1},
                      d3: {"sales": 0, "surveys": 2, "complaints": 0}}
    assert files == {d1: {"ingested": 3}, d2: {"ingested": 2, "duplicate": 1}, d3: {"ingested": 1}}
    url = warehouse.url
    # pending keys de-duplicated per drop, as three single loads record them: O2/1 twice (d1, d2)
    pending = read_table(url, "SELECT order_id, line_no, count(*) AS n FROM ops_pending_sales_key "
                              "GROUP BY 1, 2 ORDER BY 1, 2")
    assert pending.rows() == [("O1", 1, 1), ("O1", 2, 1), ("O2", 1, 2), ("O4", 1, 1), ("O5", 1, 1)]
    assert read_table(url, "SELECT count(*) FROM ops_pending_surveys_key").item() == 4
    assert read_table(url, "SELECT count(*) FROM ops_pending_complaints_key").item() == 2
    # date: each drop's earliest event per source (O4 of 15 January came late in day 2);
    # snapshot: the same for sales and surveys, plus each drop's own date
    dirty = read_table(url, "SELECT grain, period_start FROM ops_dirty_period ORDER BY 1, 2")
    assert dirty.rows() == [
        ("date", date(2026, 1, 15)), ("date", date(2026, 1, 30)), ("date", date(2026, 2, 1)),
        ("snapshot", date(2026, 1, 15)), ("snapshot", date(2026, 1, 30)), ("snapshot", date(2026, 1, 31)),
        ("snapshot", date(2026, 2, 1)),
    ]
    quarantined = read_table(url, "SELECT drop_date, count(*) AS n FROM ops_quarantine GROUP BY 1 ORDER BY 1")
    assert quarantined.rows() == [(d1, 3)]


def test_a_rejected_drop_in_a_batch_keeps_files_and_quarantine_only(three, warehouse):
    d1, d2, d3 = DATES
    with warehouse.transaction() as tx:
        staged = load_drops(tx, [StagedDrop(three[d], d, "r", reject=d == d1) for d in DATES])
    assert staged[d1] == {"sales": 0, "surveys": 0, "complaints": 0}
    url = warehouse.url
    assert read_table(url, "SELECT DISTINCT drop_date FROM stg_sales_line").rows() == [(d2,)]
    assert read_table(url, "SELECT count(*) FROM ops_quarantine WHERE drop_date = DATE '2026-01-30'").item() == 3
    assert read_table(url, "SELECT count(*) FROM ops_ingested_file WHERE drop_date = DATE '2026-01-30'").item() == 3
    # the rejected date's own snapshot is still marked (its run is refreshed like any other);
    # no event of it: 'date' starts at O4 of day 2 and K1's version of day 2
    dirty = read_table(url, "SELECT grain, period_start FROM ops_dirty_period ORDER BY 1, 2")
    assert dirty.rows() == [
        ("date", date(2026, 1, 15)), ("date", date(2026, 1, 30)), ("date", date(2026, 2, 1)),
        ("snapshot", date(2026, 1, 15)), ("snapshot", date(2026, 1, 30)), ("snapshot", date(2026, 1, 31)),
        ("snapshot", date(2026, 2, 1)),
    ]
    assert read_table(url, "SELECT count(*) FROM stg_survey_answer WHERE drop_date = DATE '2026-01-30'").item() == 0


def test_a_batch_names_each_date_once(three, warehouse):
    drop = StagedDrop(three[DATES[0]], DATES[0], "r")
    with pytest.raises(ValueError, match="a batch loads each date once"), warehouse.transaction() as tx:
        load_drops(tx, [drop, drop])
    with warehouse.transaction() as tx:
        assert load_drops(tx, []) == {}
