"""The schedule, not just the flow: a real Prefect server's scheduler creates a run of the
nightly deployment (deployments/prefect.yaml with a per-minute cron) and a process
worker completes it into a temporary warehouse.

Select it with `pytest -m schedule`; it is part of `make test`. It takes one to two
minutes (the next minute boundary, then a flow-run process start).
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy

from csi.cli.deployments import render_prefect_file
from csi.cli.local_prefect import LocalPrefect
from tests.conftest import read_table
from tests.pipeline import landing

pytestmark = pytest.mark.schedule
TIMEOUT = 150
POOL = "csi-test-pool"


def test_cron_schedule_creates_a_run_that_the_worker_completes(prefect_server, tmp_path):
    """prefect_server (conftest) is `prefect server start --host 127.0.0.1 --port <free>` with a
    temporary PREFECT_HOME, its scheduler on; this test adds the pool, the deployments, a worker."""
    assert sqlalchemy.__version__ == "2.0.44"  # SQLAlchemy 2.1 breaks the scheduler
    landing.build(tmp_path / "landing")
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    csi_env = {"CSI_LANDING_DIR": str(tmp_path / "landing"), "CSI_WORK_DIR": str(tmp_path / "work"),
               "CSI_WAREHOUSE_URL": url}
    stack = prefect_server
    deployment = None
    try:
        stack.create_pool(POOL)
        stack.start_worker(POOL)  # boots while the deployments are created
        prefect_file = render_prefect_file(tmp_path / "prefect.yaml", cron="* * * * *", timezone="UTC",
                                           pool=POOL, nightly_parameters={"date_": "2026-01-31"}, env=csi_env)
        stack.deploy(prefect_file)
        deployment = stack.api("GET", "/deployments/name/csi-run/nightly")
        assert deployment["global_concurrency_limit"]["limit"] == 1
        assert [s["schedule"]["cron"] for s in deployment["schedules"]] == ["* * * * *"]
        assert deployment["job_variables"]["env"]["CSI_WAREHOUSE_URL"] == url
        backfill = stack.api("GET", "/deployments/name/csi-backfill/backfill")
        assert backfill["parameters"] == {"force": False, "workers": None, "runner": "threads"}

        run = _wait_for_completed_scheduled_run(stack, deployment["id"])
        assert run["auto_scheduled"] is True  # created by the scheduler, not by the test
        assert run["parameters"] == {"date_": "2026-01-31"}
        sales = read_table(url, "SELECT order_id, line_no, drop_date FROM fct_sales ORDER BY 1, 2")
        assert sales.height > 0 and set(sales["drop_date"].cast(str)) == {"2026-01-31"}
        runs = read_table(url, "SELECT business_date, status FROM ops_pipeline_run")
        assert ("success" in runs["status"].to_list()) and str(runs["business_date"][0]) == "2026-01-31"
    finally:
        stack.stop(only="worker")
        if deployment:  # no more per-minute runs for the rest of the session
            stack.api("POST", f"/deployments/{deployment['id']}/pause_deployment")
    assert stack.leftovers(only="worker") == []  # the worker and the flow-run processes are gone


def _wait_for_completed_scheduled_run(stack: LocalPrefect, deployment_id: str) -> dict:
    deadline = time.monotonic() + TIMEOUT
    seen: list[dict] = []
    while time.monotonic() < deadline:
        seen = stack.api("POST", "/flow_runs/filter", {
            "deployments": {"id": {"any_": [deployment_id]}}, "sort": "EXPECTED_START_TIME_ASC", "limit": 20})
        for run in seen:
            state = run["state"]["type"]
            if state == "COMPLETED":
                return run
            if state in ("FAILED", "CRASHED"):
                pytest.fail(f"flow run {run['name']} {state}: {run['state'].get('message')}; "
                            f"see {stack.log_dir / 'worker.log'}")
        time.sleep(2)
    states = [(r["name"], r["state"]["type"], r["expected_start_time"]) for r in seen]
    pytest.fail(f"no completed scheduled run within {TIMEOUT} s; runs: {states}; "
                f"logs: {stack.log_dir}")
