"""Fixtures of the flow tests: one real Prefect server for the session, small landing zones.

PREFECT_HOME and analytics are set before Prefect is imported (tests/run_tests.sh sets
them too), so no test writes to ~/.prefect. The server is `prefect server start` on
127.0.0.1 (csi.cli.local_prefect.LocalPrefect, as `csi serve` runs it) with its own PREFECT_HOME:
the in-process flow tests talk to it through PREFECT_API_URL (what
prefect_test_harness would do, without a second server start), and the schedule test
uses its scheduler.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="csi-prefect-home-"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"

import pytest  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "schedule: starts a real Prefect work pool and worker and waits "
                            "for the cron scheduler (about 1-2 minutes)")


def clean_env(home) -> dict[str, str]:
    """This process's environment without Prefect or csi settings, with PREFECT_HOME=home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CSI_"))}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="INFO",
               PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="5")
    return env


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """A Prefect server on 127.0.0.1 (a free port, temporary PREFECT_HOME) for the session."""
    from csi.cli.local_prefect import LocalPrefect

    tmp = tmp_path_factory.mktemp("prefect-server")
    stack = LocalPrefect(log_dir=tmp / "logs", env=clean_env(tmp / "home"),
                         worker_env={"PREFECT_WORKER_QUERY_SECONDS": "3", "PREFECT_WORKER_PREFETCH_SECONDS": "5"})
    try:
        stack.start_server(timeout=180, ui=False)
        yield stack
    finally:
        stack.stop()
    assert stack.leftovers() == [], "processes left behind by the Prefect server"


@pytest.fixture(scope="session")
def prefect_harness(prefect_server):
    """Flows run in this process report to the session's server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: prefect_server.api_url}):
        yield prefect_server


@pytest.fixture
def flow_env(env, prefect_harness, monkeypatch):
    """The `env` fixture (fresh landing, work dir, DuckDB) with the Prefect server.

    The Great Expectations checks cost ~20 s a run; tests/flows/test_quality_in_flow.py
    turns them back on."""
    monkeypatch.setenv("CSI_QUALITY_CHECKS", "false")
    monkeypatch.setenv("CSI_REPORT_AFTER_RUN", "false")
    return env


@pytest.fixture(scope="session")
def reference_digests(prefect_harness, tmp_path_factory):
    """Digests of the compared tables after one serial (workers=1, threads) backfill of the
    tests/pipeline/landing.py drops: what every other runner must reproduce."""
    from tests.flows.compare import END, START, digests
    from tests.pipeline import landing

    tmp = tmp_path_factory.mktemp("reference")
    url = f"duckdb:///{tmp / 'wh.duckdb'}"
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("CSI_LANDING_DIR", str(tmp / "landing"))
        mp.setenv("CSI_WORK_DIR", str(tmp / "work"))
        mp.setenv("CSI_WAREHOUSE_URL", url)
        mp.delenv("CSI_CONFIG_FILE", raising=False)
        mp.setenv("CSI_QUALITY_CHECKS", "false")
        landing.build(tmp / "landing")
        from csi.flows.pipeline import backfill_flow

        result = backfill_flow(start=START, end=END, workers=1)
        assert {r.status for r in result.dates} == {"success"}
        return digests(url)
    finally:
        mp.undo()
