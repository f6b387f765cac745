"""Scale-out: the staging of dates on a 2-worker Dask LocalCluster gives the same warehouse."""

from __future__ import annotations

import pytest

from csi.flows.pipeline import backfill_flow, make_task_runner
from tests.flows.compare import COMPARED, digests, statuses
from tests.pipeline import landing
from tests.pipeline.landing import DATES

pytest.importorskip("prefect_dask")


def test_dask_backfill_equals_the_default_runner(flow_env, reference_digests):
    """Staging on a 2-worker LocalCluster (processes) gives the tables of the serial threads run."""
    landing.build(flow_env["landing"])  # the cluster's worker processes inherit the CSI_* environment
    result = backfill_flow(start=DATES[0].isoformat(), end=DATES[-1].isoformat(), workers=2, runner="dask")
    assert set(statuses(result).values()) == {"success"}
    assert digests(flow_env["url"]) == reference_digests
    assert set(reference_digests) == set(COMPARED)


def test_runner_choice():
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    assert isinstance(make_task_runner("threads", 3), ThreadPoolTaskRunner)
    remote = make_task_runner("dask", 3, "tcp://10.0.0.5:8786")
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://10.0.0.5:8786"
    with pytest.raises(ValueError, match="runner must be one of"):
        make_task_runner("ray", 2)
