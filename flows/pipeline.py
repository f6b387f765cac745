"""Prefect flows: the nightly run of one business date and the backfill of a range.

Flows only wire steps (csi.pipeline.steps) and pass small values: dates, paths,
summaries. Drops are staged in parallel (bounded by `workers`, on threads or on a
Dask cluster), loaded one at a time in date order, then the marts are refreshed
once for everything loaded. The whole write side holds the warehouse lock.
"""

from __future__ import annotations

import errno
import os
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from csi import artifacts, progress
from csi.pipeline import steps
from csi.pipeline.lock import warehouse_lock
from csi.secrets import scrub
from csi.settings import load_settings
from csi.warehouse.engine import WarehouseError
from csi.warehouse.publish import publish

RUNNERS = ("threads", "dask")
LOCK_WAIT_SECONDS = 600.0
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
def stage_task(business_date: str, run_started_at: str, duplicates: dict[str, str]) -> dict:
    started = time.perf_counter()
    summary = steps.stage(load_settings(), date.fromisoformat(business_date),
                          datetime.fromisoformat(run_started_at), duplicates)
    return {"summary": summary.to_dict(), "seconds": time.perf_counter() - started}


@task(name="load-drop", retry_condition_fn=_transient_only, cache_policy=None, **RETRIES)
def load_task(staged: dict, started_at: str) -> dict:
    settings = load_settings()
    wh = steps.connect(settings)
    summary = steps.StageSummary(**staged["summary"])
    result = steps.load(wh, settings, summary, datetime.fromisoformat(started_at), staged["seconds"])
    return result.__dict__


@task(name="refresh-marts", retry_condition_fn=_transient_only, cache_policy=None, **RETRIES)
def refresh_task() -> dict:
    settings = load_settings()
    return steps.refresh_marts(steps.connect(settings), settings)


@task(name="quality-checks", cache_policy=None)
def quality_task(run_ids: list[str]) -> str | None:
    """Great Expectations on the warehouse; a failed expectation fails the runs, named."""
    settings = load_settings()
    return steps.check_quality(steps.connect(settings), settings, run_ids)


def yesterday(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date() - timedelta(days=1)


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


def process_dates(dates: list[date], force: bool, lock_wait: float = LOCK_WAIT_SECONDS) -> dict:
    """Stage in parallel, load in order, refresh once; one failed date never stops the others."""
    logger = get_run_logger()
    settings = load_settings()
    t0 = time.perf_counter()
    results: list[dict] = []
    counter = progress.Counter(len(dates))

    def finished(r: dict) -> dict:
        results.append(r)
        counter.add(r["status"])
        progress.emit({"event": "date", "business_date": r["business_date"], "status": r["status"]})
        logger.info("%s %s; %s", r["business_date"], r["status"], counter.line())
        return r

    with warehouse_lock(settings.work_dir, settings.url, wait_seconds=lock_wait):
        wh = steps.open_warehouse(settings)
        try:
            todo, duplicates, errors = steps.plan(wh, settings, dates, force)
            progress.emit({"event": "planned", "total": len(dates)})
            logger.info("%d date(s): %d to run, %d already loaded with unchanged input, %d without a drop",
                        len(dates), len(todo), len(dates) - len(todo) - len(errors), len(errors))
            for d in dates:
                if d in errors:
                    finished(_failed(wh, d, datetime.now(), errors[d], logger))
                elif d not in todo:
                    finished({"business_date": d.isoformat(), "status": "skipped"})
            started = {d: datetime.now() for d in todo}
            futures = {d: stage_task.submit(d.isoformat(), started[d].isoformat(), duplicates[d]) for d in todo}
            for d in todo:  # load strictly in date order, whatever order staging finished in
                try:
                    staged = futures[d].result()
                    finished(load_task(staged, started[d].isoformat()))
                except steps.QuarantineThresholdExceeded as exc:  # already recorded by steps.load
                    logger.error("FAILED %s: %s", d, exc)
                    finished({"business_date": d.isoformat(), "status": "failed", "error": str(exc)})
                except Exception as exc:  # noqa: BLE001 - reported per date, the others go on
                    finished(_failed(wh, d, started[d], f"{type(exc).__name__}: {exc}", logger))
            loaded = [r for r in results if r["status"] == "loaded"]
            timings = {}
            if loaded:
                try:
                    timings = refresh_task()  # marks the loaded runs a success in ops_pipeline_run
                except Exception as exc:  # noqa: BLE001 - the loads stay unconfirmed: a re-run redoes them
                    error = scrub(f"marts refresh failed: {type(exc).__name__}: {exc}", wh.url)
                    logger.error("FAILED refresh: %s", error)
                    for r in loaded:
                        r.update(status="failed", error=error)
                    loaded = []
            if loaded:
                verdict = quality_task([r["run_id"] for r in loaded])
                if verdict:
                    logger.error("FAILED quality: %s", verdict)
                    for r in loaded:
                        r.update(status="failed", error=verdict)
                else:  # the warehouse is consistent even when some dates failed: readers get it
                    published = publish(settings)
                    if published:
                        logger.info("published a read-only copy for BI: %s", published)
        finally:
            steps.release(settings)
    order = {d.isoformat(): i for i, d in enumerate(dates)}
    results.sort(key=lambda r: order[r["business_date"]])
    failed = [r["business_date"] for r in results if r["status"] == "failed"]
    if failed:
        logger.error("%d date(s) failed: %s (re-run the same command: only these run again)",
                     len(failed), ", ".join(failed))
    return {"dates": results, "marts_seconds": timings, "seconds": time.perf_counter() - t0}


def _failed(wh, d: date, started: datetime, error: str, logger) -> dict:
    error = scrub(error, wh.url)
    logger.error("FAILED %s: %s", d, error.splitlines()[0] if error else error)
    try:
        steps.record_failure(wh, d, started, error)
    except Exception as exc:  # noqa: BLE001 - the warehouse itself may be what failed
        logger.error("could not record the failure of %s in ops_pipeline_run: %s", d, exc)
    return {"business_date": d.isoformat(), "status": "failed", "error": error}


@flow(name="csi-run", log_prints=True)
def run_flow(date_: str | None = None, lock_wait: float = LOCK_WAIT_SECONDS) -> dict:
    """The nightly job: one business date (default: yesterday in the configured time zone)."""
    settings = load_settings()
    d = date.fromisoformat(date_) if date_ else yesterday(settings.timezone)
    result = process_dates([d], force=True, lock_wait=lock_wait)
    artifacts.publish(result, f"csi run {d}")
    return result


@flow(name="csi-backfill", log_prints=True)
def backfill_flow(start: str, end: str, force: bool = False, workers: int | None = None,
                  runner: str = "threads", dask_address: str | None = None,
                  lock_wait: float = LOCK_WAIT_SECONDS) -> dict:
    """Every date in [start, end]; dates already loaded with the same input are skipped.

    workers: dates staged at once (default: cores); runner: "threads" or "dask".
    """
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError(f"end {end} is before start {start}")
    workers = max(1, workers or default_workers())
    dates = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    task_runner = make_task_runner(runner, workers, dask_address)
    result = backfill_dates.with_options(task_runner=task_runner)(dates, force, lock_wait)
    artifacts.publish(result, f"csi backfill {start} .. {end}")
    return result


@flow(name="csi-backfill-dates")
def backfill_dates(dates: list[date], force: bool, lock_wait: float = LOCK_WAIT_SECONDS) -> dict:
    return process_dates(dates, force, lock_wait)
