"""Shared fixtures: a real DuckDB file per test, the landing builder, table hashes."""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from csi.warehouse.engine import Warehouse
from tests.warehouse.backends import BACKENDS, fresh_url

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Point the settings at a fresh landing dir, work dir and DuckDB warehouse."""
    landing, work = tmp_path / "landing", tmp_path / "work"
    landing.mkdir()
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    monkeypatch.setenv("CSI_LANDING_DIR", str(landing))
    monkeypatch.setenv("CSI_WORK_DIR", str(work))
    monkeypatch.setenv("CSI_WAREHOUSE_URL", url)
    monkeypatch.setenv("CSI_REPORT_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("CSI_DATA_DOCS_DIR", str(tmp_path / "data_docs"))
    monkeypatch.delenv("CSI_CONFIG_FILE", raising=False)
    return {"landing": landing, "work": work, "url": url, "tmp": tmp_path}


def table_digest(url: str, table: str, exclude: tuple[str, ...] = ("run_id",)) -> str:
    """sha256 of a table's rows sorted on every column (run ids and clocks excluded)."""
    wh = Warehouse(url)
    with wh.transaction() as tx:
        frame = tx.read(f"SELECT * FROM {tx.q(table)}")
    wh.dispose()
    frame = frame.drop([c for c in exclude if c in frame.columns])
    frame = frame.sort(frame.columns, nulls_last=True)
    return hashlib.sha256(frame.write_csv().encode()).hexdigest()


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def read_table(url: str, sql: str) -> pl.DataFrame:
    wh = Warehouse(url)
    with wh.transaction() as tx:
        frame = tx.read(sql)
    wh.dispose()
    return frame


@dataclass(frozen=True)
class Cdnow:
    """The CDNOW data of Fader, Hardie & Lee (2005): `summary` (ID,x,t_x,T,zbar, weeks) and
    `transactions` (the 1/10 sample's log: customer, id, yyyymmdd, quantity, amount)."""

    summary: Path
    transactions: Path


@pytest.fixture(scope="session")
def cdnow() -> Cdnow:
    """CSI_CDNOW_SUMMARY (tests/run_tests.sh sets it) or tests/fetch_cdnow.sh run here; the
    published-parameter tests fail, never skip, when the data cannot be had."""
    given = os.environ.get("CSI_CDNOW_SUMMARY")
    summary = Path(given) if given else None
    if summary is None or not (summary.parent / "CDNOW_sample.txt").is_file():
        env = os.environ | ({"CSI_TEST_CACHE": str(summary.parent)} if summary else {})
        out = subprocess.run(["bash", "tests/fetch_cdnow.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
        printed = out.stdout.strip()
        summary = ROOT / printed if printed else None
    if summary is None or not summary.is_file() or not (summary.parent / "CDNOW_sample.txt").is_file():
        pytest.fail(
            "CDNOW data could not be had: tests/fetch_cdnow.sh downloads lifetimes==0.11.3 from PyPI "
            "with .venv/bin/pip (network needed), or set CSI_CDNOW_SUMMARY to a cached copy"
        )
    return Cdnow(summary, summary.parent / "CDNOW_sample.txt")


@pytest.fixture(scope="session")
def chromium() -> str:
    """$CSI_TEST_CHROMIUM (tests/run_tests.sh sets it), else tests/chromium.sh installs and names it."""
    path = os.environ.get("CSI_TEST_CHROMIUM")
    if not path:
        script = Path(__file__).resolve().parent / "chromium.sh"
        proc = subprocess.run(["bash", str(script)], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.fail(f"no headless Chromium: tests/chromium.sh failed: {proc.stderr.strip()[-500:]}")
        path = proc.stdout.strip()
    return path


@pytest.fixture(params=BACKENDS)
def warehouse_url(request, tmp_path):
    """The URL of a fresh, empty warehouse; the postgres param skips only without CSI_TEST_PG_URL."""
    with fresh_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def wh_env(env, warehouse_url, monkeypatch):
    """`env` (landing, work dir) pointed at the fresh warehouse of `warehouse_url`."""
    monkeypatch.setenv("CSI_WAREHOUSE_URL", warehouse_url)
    return {**env, "url": warehouse_url}


# the longest modules start first, one per worker, so no long file is left running alone at the end
# (--dist loadfile hands out files in collection order)
LONGEST_FIRST = ("tests/flows/test_chaos.py", "tests/cli/test_demo.py", "tests/pipeline/test_demo_data.py",
                 "tests/flows/test_schedule.py")


def pytest_collection_modifyitems(config, items):  # noqa: ARG001 - pytest's hook signature
    def rank(item) -> int:
        path = item.nodeid.split("::")[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the other modules keep their order
