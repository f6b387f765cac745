"""Prefect flows: the nightly run of one business date and the backfill of a range.

Flows only wire steps (csi.pipeline.steps) and pass small values: dates, paths,
summaries. Drops are staged in parallel (bounded by `workers`), loaded one at a
time in date order, then the marts are refreshed once for everything loaded.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.task_runners import ThreadPoolTaskRunner

from csi.pipeline import steps
from csi.pipeline.lock import warehouse_lock
from csi.settings import load_settings
from csi.warehouse.engine import WarehouseError

TRANSIENT = (WarehouseError, OSError)


def _transient_only(task, task_run, state) -> bool:  # noqa: ARG001 - Prefect's signature
    """Retry a locked or unreachable warehouse, never a data error."""
    try:
        state.result()
    except TRANSIENT:
        return True
    except Exception:  # noqa: BLE001
        return False
    return False


@task(name="stage-drop", retries=2, retry_delay_seconds=[1, 5], retry_condition_fn=_transient_only,
      cache_policy=None)
def stage_task(business_date: str, run_started_at: str, duplicates: dict[str, str]) -> dict:
    started = time.perf_counter()
    summary = steps.stage(load_settings(), date.fromisoformat(business_date),
                          datetime.fromisoformat(run_started_at), duplicates)
    return {"summary": summary.to_dict(), "seconds": time.perf_counter() - started}


@task(name="load-drop", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_transient_only,
      cache_policy=None)
def load_task(staged: dict, started_at: str) -> dict:
    settings = load_settings()
    wh = steps.open_warehouse(settings)
    summary = steps.StageSummary(**staged["summary"])
    result = steps.load(wh, settings, summary, datetime.fromisoformat(started_at), staged["seconds"])
    wh.dispose()
    return result.__dict__


@task(name="refresh-marts", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_transient_only,
      cache_policy=None)
def refresh_task() -> dict:
    settings = load_settings()
    wh = steps.open_warehouse(settings)
    timings = steps.refresh_marts(wh, settings)
    wh.dispose()
    return timings


def yesterday(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date() - timedelta(days=1)


def process_dates(dates: list[date], force: bool, workers: int) -> dict:
    """Stage in parallel, load in order, refresh once; one failed date never stops the others."""
    logger = get_run_logger()
    settings = load_settings()
    wh = steps.open_warehouse(settings)
    results: list[dict] = []
    with warehouse_lock(settings.work_dir, settings.url, wait_seconds=600):
        todo, duplicates, errors = steps.plan(wh, settings, dates, force)
        for d in dates:
            if d in errors:
                results.append(_failed(wh, d, datetime.now(), errors[d], logger))
            elif d not in todo:
                results.append({"business_date": d.isoformat(), "status": "skipped"})
        started = {d: datetime.now() for d in todo}
        futures = {d: stage_task.submit(d.isoformat(), started[d].isoformat(), duplicates[d]) for d in todo}
        for d in todo:  # load strictly in date order, whatever order staging finished in
            try:
                staged = futures[d].result()
                results.append(load_task(staged, started[d].isoformat()))
                logger.info("%s loaded", d)
            except steps.QuarantineThresholdExceeded as exc:
                logger.error("%s", exc)
                results.append({"business_date": d.isoformat(), "status": "failed", "error": str(exc)})
            except Exception as exc:  # noqa: BLE001 - reported per date, the others go on
                results.append(_failed(wh, d, started[d], f"{type(exc).__name__}: {exc}", logger))
        timings = refresh_task() if todo else {}
    wh.dispose()
    return {"dates": results, "marts_seconds": timings}


def _failed(wh, d: date, started: datetime, error: str, logger) -> dict:
    error = steps.scrub(error, wh.url)
    logger.error("%s failed: %s", d, error)
    steps.record_failure(wh, d, started, error)
    return {"business_date": d.isoformat(), "status": "failed", "error": error}


@flow(name="csi-run", log_prints=True)
def run_flow(date_: str | None = None) -> dict:
    """The nightly job: one business date (default: yesterday in the configured time zone)."""
    settings = load_settings()
    d = date.fromisoformat(date_) if date_ else yesterday(settings.timezone)
    return process_dates([d], force=True, workers=1)


@flow(name="csi-backfill", log_prints=True)
def backfill_flow(start: str, end: str, force: bool = False, workers: int = 1) -> dict:
    """Every date in [start, end]; dates already loaded with the same input are skipped."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError(f"end {end} is before start {start}")
    dates = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    runner = ThreadPoolTaskRunner(max_workers=max(1, workers))
    return backfill_flow_inner.with_options(task_runner=runner)(dates, force, workers)


@flow(name="csi-backfill-dates")
def backfill_flow_inner(dates: list[date], force: bool, workers: int) -> dict:
    return process_dates(dates, force, workers)
