"""Prefect flows: the nightly run of one business date and the backfill of a range.

The run's policy lives in csi.pipeline.run (Prefect-free); a flow reads the settings once,
hands the owner its steps as Prefect tasks (PrefectSteps: drops staged in parallel on
threads or a Dask cluster, bounded by `workers`; loads, refresh and checks in order),
adds the run's artifacts (csi.flows.artifacts) and returns the typed RunResult.
Transient errors (a locked or unreachable warehouse, a busy filesystem) are retried
with backoff; data errors never are.
"""

from __future__ import annotations

import errno
import os
from datetime import date, timedelta
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from csi.clock import business_yesterday
from csi.flows import artifacts
from csi.pipeline import handle, steps
from csi.pipeline import plan as planning
from csi.pipeline.run import LOCK_WAIT_SECONDS, RunResult, run_dates
from csi.settings import Settings, load_settings
from csi.warehouse.engine import WarehouseError

RUNNERS = ("threads", "dask")
# Transient: the warehouse is locked or unreachable (WarehouseError wraps the driver's
# OperationalError), the network failed, or a filesystem said "busy, try again".
TRANSIENT = (WarehouseError, ConnectionError, TimeoutError, BlockingIOError, InterruptedError)
TRANSIENT_ERRNOS = {errno.EAGAIN, errno.EBUSY, errno.ESTALE, errno.ETIMEDOUT}
RETRIES = dict(retries=3, retry_delay_seconds=exponential_backoff(backoff_factor=1), retry_jitter_factor=0.5)


def is_transient(exc: BaseException) -> bool:
    """A locked or unreachable warehouse is worth retrying; a data error never is."""
    if isinstance(exc, TRANSIENT):
        return True
    return isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS


def _transient_only(task, task_run, state) -> bool:  # noqa: ARG001 - Prefect's signature
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001
        transient = is_transient(exc)
        if transient:
            get_run_logger().warning("transient error, retrying with backoff: %s: %s", type(exc).__name__, exc)
        return transient
    return False


@task(name="stage-drop", retry_condition_fn=_transient_only, cache_policy=None, **RETRIES)
def stage_task(settings: Settings, business_date: date, duplicates: dict[str, str], files: list) -> steps.Staged:
    return steps.stage_timed(settings, business_date, duplicates, files)


@task(name="load-drops", retry_condition_fn=_transient_only, cache_policy=None, **RETRIES)
def load_task(settings: Settings, batch: list[steps.Staged]) -> list[steps.DateResult]:
    """One transaction for a batch of staged drops (csi.pipeline.steps.load_batch)."""
    return steps.load_batch(handle.connect(settings), settings, batch)


@task(name="refresh-marts", retry_condition_fn=_transient_only, cache_policy=None, **RETRIES)
def refresh_task(settings: Settings, run_ids: list[str]) -> dict:
    return steps.refresh_marts(handle.connect(settings), settings, run_ids)


@task(name="quality-checks", cache_policy=None)
def quality_task(settings: Settings) -> tuple[str | None, dict | None]:
    """Great Expectations on the warehouse: (failure reason or None, counts)."""
    return steps.check_quality(handle.connect(settings), settings)


class PrefectSteps:
    """The run owner's steps as Prefect tasks: drops staged concurrently on the flow's task
    runner (threads or Dask), the rest in the flow's thread."""

    def stage(self, settings: Settings, plan: planning.RunPlan) -> dict:
        return {d: stage_task.submit(settings, d, plan.duplicates[d], plan.files[d]) for d in plan.todo}

    def load(self, settings: Settings, batch: list[steps.Staged]) -> list[steps.DateResult]:
        return load_task(settings, batch)

    def refresh(self, settings: Settings, run_ids: list[str]) -> dict:
        return refresh_task(settings, run_ids)

    def check(self, settings: Settings) -> tuple[str | None, dict | None]:
        return quality_task(settings)


def default_workers() -> int:
    return os.cpu_count() or 1


def make_task_runner(runner: str, workers: int, dask_address: str | None = None):
    """Threads in this process, or a Dask cluster (a LocalCluster of `workers` processes by
    default, or the scheduler at `dask_address`)."""
    if runner == "threads":
        return ThreadPoolTaskRunner(max_workers=workers)
    if runner == "dask":
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": ":0"})
    raise ValueError(f"runner must be one of {', '.join(RUNNERS)}, not {runner!r}")


def flow_settings(landing_dir: str | None = None) -> Settings:
    """The run's settings, read once per flow run from the environment (and CSI_CONFIG_FILE);
    `landing_dir` is the one override a caller passes (`csi demo --dir`)."""
    settings = load_settings()
    return settings.model_copy(update={"landing_dir": Path(landing_dir)}) if landing_dir else settings


@flow(name="csi-run", log_prints=True)
def run_flow(date_: str | None = None, lock_wait: float = LOCK_WAIT_SECONDS, allow_future: bool = False,
             landing_dir: str | None = None) -> RunResult:
    """The nightly job: one business date (default: yesterday in the configured time zone)."""
    settings = flow_settings(landing_dir)
    d = date.fromisoformat(date_) if date_ else business_yesterday(settings.timezone)
    result = run_dates(settings, [d], force=True, title=f"csi run {d}", allow_future=allow_future,
                       lock_wait=lock_wait, runner=PrefectSteps(), logger=get_run_logger())
    artifacts.create_run_artifacts(result)
    return result


@flow(name="csi-backfill", log_prints=True)
def backfill_flow(start: str, end: str, force: bool = False, workers: int | None = None,
                  runner: str = "threads", dask_address: str | None = None,
                  lock_wait: float = LOCK_WAIT_SECONDS, allow_future: bool = False,
                  landing_dir: str | None = None) -> RunResult:
    """Every date in [start, end]; dates already loaded with the same input are skipped.

    workers: dates staged at once (default: cores); runner: "threads" or "dask".
    """
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError(f"end {end} is before start {start}")
    workers = max(1, workers or default_workers())
    dates = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    task_runner = make_task_runner(runner, workers, dask_address)
    result = backfill_dates.with_options(task_runner=task_runner)(
        dates, force, lock_wait, allow_future, landing_dir, f"csi backfill {start} .. {end}")
    artifacts.create_run_artifacts(result)
    return result


@flow(name="csi-backfill-dates")
def backfill_dates(dates: list[date], force: bool, lock_wait: float = LOCK_WAIT_SECONDS,
                   allow_future: bool = False, landing_dir: str | None = None, title: str = "csi backfill"
                   ) -> RunResult:
    """The backfill's body, a subflow so that it runs on the task runner chosen for it."""
    return run_dates(flow_settings(landing_dir), dates, force=force, title=title, allow_future=allow_future,
                     lock_wait=lock_wait, runner=PrefectSteps(), logger=get_run_logger())
