"""Chaos: kill a backfill (SIGKILL) at every phase, re-run, and get exactly one clean run's warehouse.

Each killed run is a real `csi backfill` process talking to the session's Prefect
server, killed by the named crash points of csi.faults (CSI_TEST_CRASH_AT). The
runs are chained: each re-run starts from what the previous kill left, so the
sequence also proves that a run recovers from a crash that followed a crash. At
the end every dim_, fct_, stg_, mart_ table, ops_quarantine and ops_ingested_file,
and the published read-only copy, equal one clean run's; ops_pipeline_run holds
exactly one `success` row per date and no row is counted twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from csi.generate import generate
from csi.warehouse.tables import TABLES
from tests.conftest import read_table, table_digest

START = date(2026, 3, 1)
DAYS = 8
END = START + timedelta(days=DAYS - 1)
COMPARED = tuple(d.name for d in TABLES if d.layer in ("dim", "fct", "stg", "mart")) + (
    "ops_quarantine", "ops_ingested_file")
KILLED = -9


# when an alert was first found and by which run differ between a chain of runs and one clean run
RUN_STAMPS = ("run_id", "first_detected_run", "first_detected_at", "sent_at", "resolved_at")


def digests(url: str) -> dict[str, str]:
    return {t: table_digest(url, t, exclude=RUN_STAMPS) for t in COMPARED}


@pytest.fixture(scope="module")
def chaos_landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("chaos-landing")
    generate(root, customers=60, days=DAYS, seed=5, start_date=START, history_days=20)
    return root


def backfill(env: dict, crash_at: str | None = None, *, force: bool = False, checks: bool = False,
             start: date = START, end: date = END) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "csi.cli", "backfill", "--start", start.isoformat(), "--end", end.isoformat(),
            "--workers", "2", "--no-progress"] + (["--force"] if force else [])
    child = {**env, "CSI_QUALITY_CHECKS": "true" if checks else "false"}
    if crash_at:
        child["CSI_TEST_CRASH_AT"] = crash_at
    done = subprocess.run(args, env=child, capture_output=True, text=True, timeout=300)
    if crash_at:
        assert done.returncode == KILLED, f"not killed at {crash_at}: {done.returncode}\n{done.stderr[-2000:]}"
    return done


def child_env(tmp: Path, landing: Path, url: str, api_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSI_")}
    env.update(CSI_LANDING_DIR=str(landing), CSI_WORK_DIR=str(tmp / "work"), CSI_WAREHOUSE_URL=url,
               CSI_DATA_DOCS_DIR=str(tmp / "docs"), CSI_REPORT_AFTER_RUN="false", PREFECT_API_URL=api_url,
               CSI_LOAD_BATCH_DAYS="1")  # the kill chain counts loads date by date; batches: below
    return env


def assert_runs_counted_once(url: str, dates: int = DAYS, history: tuple[str, ...] = ()) -> None:
    runs = read_table(url, "SELECT business_date, status, sales_rows_loaded FROM ops_pipeline_run")
    success = runs.filter(runs["status"] == "success")
    assert success.height == dates and success["business_date"].n_unique() == dates, runs
    assert set(runs["status"]) <= {"success", "interrupted", "replaced", *history}, runs  # nothing unfinished
    staged = read_table(url, "SELECT count(*) AS n FROM stg_sales_line")["n"][0]
    assert success["sales_rows_loaded"].sum() == staged  # every loaded row counted exactly once


@pytest.fixture(scope="module")
def clean(chaos_landing, prefect_server, tmp_path_factory):
    """One clean backfill: the tables and the published copy every chaos run must reproduce."""
    tmp = tmp_path_factory.mktemp("chaos-clean")
    url = f"duckdb:///{tmp / 'wh.duckdb'}"
    done = backfill(child_env(tmp, chaos_landing, url, prefect_server.api_url))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {"tables": digests(url), "published": digests(f"duckdb:///{tmp / 'wh.read.duckdb'}")}


def test_kills_in_every_phase_then_reruns_equal_one_clean_run(chaos_landing, prefect_server, clean, tmp_path):
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    env = child_env(tmp_path, chaos_landing, url, prefect_server.api_url)
    # the order matters: each kill leaves the state the next one starts from
    for crash_at, checks in [("flow_start", False), ("staged:3", False), ("load:2", False), ("loaded:3", False),
                             ("load:4", False), ("refresh", False), ("refreshed", False), ("checks", True),
                             ("checked", True), ("publish", False), ("published", False)]:
        backfill(env, crash_at, checks=checks)
    runs = read_table(url, "SELECT status FROM ops_pipeline_run")
    assert "success" not in set(runs["status"])  # every run so far died before it could finish
    done = backfill(env, checks=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert digests(url) == clean["tables"]
    assert digests(f"duckdb:///{tmp_path / 'wh.read.duckdb'}") == clean["published"]
    assert_runs_counted_once(url, history=("failed",))  # the failed attempts stay as history
    assert not list(tmp_path.glob(".wh.read.duckdb.*.tmp*"))  # the killed publish left no temp file behind

    again = backfill(env)  # nothing left to do: every date is skipped, nothing changes
    assert again.returncode == 0 and "skipped: 8" in again.stdout, again.stdout[-2000:]
    batched = {**env, "CSI_LOAD_BATCH_DAYS": "3"}  # 8 dates in batches of 3, 3 and 2
    backfill(batched, "load:2", force=True)  # a forced re-run killed inside its second batch, then forced again
    done = backfill(batched, force=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert digests(url) == clean["tables"]
    assert digests(f"duckdb:///{tmp_path / 'wh.read.duckdb'}") == clean["published"]
    assert_runs_counted_once(url, history=("failed",))  # the failed attempts stay as history


def test_publish_failure_fails_the_run_in_one_line_and_the_rerun_publishes(chaos_landing, prefect_server, clean,
                                                                           tmp_path):
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    env = child_env(tmp_path, chaos_landing, url, prefect_server.api_url)
    # the copy is written, then cannot take its name (a folder is in the way): the failure comes
    # at the very end, after the configuration checks passed, like a full disk would
    blocked = tmp_path / "copy.duckdb"
    (blocked / "in-the-way").mkdir(parents=True)
    done = backfill({**env, "CSI_PUBLISH_PATH": str(blocked)})
    assert done.returncode == 1
    assert "cannot publish the read-only copy" in done.stdout and "Traceback" not in done.stdout + done.stderr
    runs = read_table(url, "SELECT DISTINCT status FROM ops_pipeline_run")
    assert runs["status"].to_list() == ["failed"]
    done = backfill(env)  # the cause is gone: the re-run loads, checks and publishes
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert digests(f"duckdb:///{tmp_path / 'wh.read.duckdb'}") == clean["published"]
    assert_runs_counted_once(url, history=("failed",))  # the failed attempts stay as history


@pytest.fixture
def own_pg_server():
    """A PostgreSQL server of this test's own (tests/pg_server.sh with its own CSI_PG_DIR): the test
    restarts it mid-run, which must not break the tests sharing the suite's server."""
    pytest.importorskip("psycopg")
    from tests.warehouse.backends import pg_admin_url

    pg_admin_url()  # skips like every PostgreSQL test when the suite runs without a server
    # directly under /tmp: the server runs as `postgres`, which cannot enter pytest's root-only tmp dirs
    env = {**os.environ, "CSI_PG_DIR": f"/tmp/csi-pg-chaos-{uuid.uuid4().hex[:8]}"}
    env.pop("CSI_PG_PORT", None)
    started = subprocess.run(["bash", "tests/pg_server.sh", "start"], env=env, capture_output=True, text=True,
                             timeout=180, check=True)
    try:
        yield started.stdout.strip(), env
    finally:
        subprocess.run(["bash", "tests/pg_server.sh", "stop"], env=env, timeout=120)


@pytest.mark.postgres
def test_on_postgresql_kills_and_a_server_restart_mid_run_then_reruns_equal_one_clean_run(
        chaos_landing, prefect_server, own_pg_server, tmp_path, monkeypatch):
    from tests.warehouse.backends import fresh_url

    admin_url, pg_env = own_pg_server
    monkeypatch.setenv("CSI_TEST_PG_URL", admin_url)
    with fresh_url("postgres", tmp_path) as clean_url, fresh_url("postgres", tmp_path) as url:
        done = backfill(child_env(tmp_path / "clean", chaos_landing, clean_url, prefect_server.api_url))
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        env = child_env(tmp_path / "chaos", chaos_landing, url, prefect_server.api_url)
        for crash_at, checks in [("load:2", False), ("loaded:2", False), ("refresh", False), ("checks", True)]:
            backfill(env, crash_at, checks=checks)
        # the server goes away in the middle of a forced run, once it has re-loaded two dates
        args = [sys.executable, "-m", "csi.cli", "backfill", "--start", START.isoformat(), "--end",
                END.isoformat(), "--workers", "2", "--no-progress", "--force"]
        child = subprocess.Popen(args, env={**env, "CSI_QUALITY_CHECKS": "false"}, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            runs = read_table(url, "SELECT count(*) AS n FROM ops_pipeline_run WHERE status = 'interrupted' "
                                   "OR status = 'replaced'")
            if runs["n"][0] >= 2:
                break
            time.sleep(0.2)
        subprocess.run(["bash", "tests/pg_server.sh", "restart"], env=pg_env, check=True, timeout=120)
        child.communicate(timeout=300)
        done = backfill(env, checks=True)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert digests(url) == digests(clean_url)
        assert_runs_counted_once(url, history=("failed",))
