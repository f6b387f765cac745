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
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from prefect import flow, get_run_logger, task
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from csi import artifacts, progress
from csi.clock import business_now, business_yesterday
from csi.faults import crash_point
from csi.pipeline import steps
from csi.pipeline.lock import warehouse_lock
from csi.secrets import scrub
from csi.settings import load_settings
from csi.warehouse.engine import WarehouseError
from csi.warehouse.publish import PublishError, publish

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
def stage_task(business_date: date, duplicates: dict[str, str], files: list) -> dict:
    settings = load_settings()
    started_at = business_now(settings.timezone)  # the date's own start, and the `in_future` bound
    t0 = time.perf_counter()
    summary = steps.stage(settings, business_date, started_at, duplicates, files)
    return {"summary": summary, "started_at": started_at, "seconds": time.perf_counter() - t0}


@task(name="load-drop", retry_condition_fn=_transient_only, cache_policy=None, **RETRIES)
def load_task(staged: dict) -> steps.DateResult:
    settings = load_settings()
    return steps.load(steps.connect(settings), settings, staged["summary"], staged["started_at"], staged["seconds"])


@task(name="refresh-marts", retry_condition_fn=_transient_only, cache_policy=None, **RETRIES)
def refresh_task(run_ids: list[str]) -> dict:
    settings = load_settings()
    return steps.refresh_marts(steps.connect(settings), settings, run_ids)


@task(name="quality-checks", cache_policy=None)
def quality_task() -> tuple[str | None, dict | None]:
    """Great Expectations on the warehouse: (failure reason or None, counts)."""
    settings = load_settings()
    return steps.check_quality(steps.connect(settings), settings)


def yesterday(tz: str) -> date:
    return business_yesterday(tz)


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


def process_dates(dates: list[date], force: bool, lock_wait: float = LOCK_WAIT_SECONDS,
                  allow_future: bool = False) -> dict:
    """Stage in parallel, load in order, refresh once, check, publish, then mark success.

    One failed date never stops the others. A date is `success` only once its rows are
    loaded, the marts refreshed, the checks passed and the read-only copy published; a
    run after a crash finishes what the crashed run left (csi.pipeline.steps)."""
    logger = get_run_logger()
    progress.emit({"event": "phase", "phase": "prefect", "state": "end"})  # the CLI said "start"
    crash_point("flow_start")
    settings = load_settings()
    t0 = time.perf_counter()
    results: dict[date, dict] = {}
    phases: dict[str, float] = {}
    counter = progress.Counter(len(dates))
    outcome: dict = {"published": None, "checks": None}

    def finished(d: date, r: dict) -> None:
        results[d] = r
        counter.add(r["status"])
        progress.emit({"event": "date", "business_date": d.isoformat(), "status": r["status"]})
        logger.info("%s %s; %s", d, r["status"], counter.line())

    @contextmanager
    def phase(name: str):
        progress.emit({"event": "phase", "phase": name, "state": "start"})
        started = time.perf_counter()
        try:
            yield
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - started
            progress.emit({"event": "phase", "phase": name, "state": "end"})

    def fail(d: date, started: datetime, error: str) -> None:
        finished(d, _failed(settings, d, started, error, logger))

    with warehouse_lock(settings.work_dir, settings.url, wait_seconds=lock_wait):
        wh = steps.open_warehouse(settings)
        try:
            with phase("plan"):
                plan = steps.plan(wh, settings, dates, force, allow_future)
            counter.total = len(plan.dates)
            progress.emit({"event": "planned", "total": len(plan.dates)})
            logger.info("%d date(s): %d to load, %d to finish, %d already done, %d failed in planning%s",
                        len(plan.dates), len(plan.todo), len(plan.unfinished),
                        len(plan.dates) - len(plan.todo) - len(plan.unfinished) - len(plan.errors),
                        len(plan.errors), f"; re-run because an earlier drop now holds their files: "
                        f"{', '.join(map(str, plan.cascaded))}" if plan.cascaded else "")
            for folder, why in plan.bad_folders:
                logger.warning("not a drop folder, not read: %s (%s)", folder, why)
            plan_at = business_now(settings.timezone)
            for d in plan.dates:
                if d in plan.errors:
                    fail(d, plan_at, plan.errors[d])
                elif d not in plan.todo and d not in plan.unfinished:
                    finished(d, {"business_date": d.isoformat(), "status": "skipped"})
            pending: dict[date, dict] = {}  # loaded or unfinished: awaiting refresh, checks, publish
            for d, run_id in plan.unfinished.items():
                pending[d] = {"business_date": d.isoformat(), "run_id": run_id, "status": "loaded",
                              "note": "loaded by an earlier run that did not finish: finished now"}
            with phase("load"):
                futures = {d: stage_task.submit(d, plan.duplicates[d], plan.files[d]) for d in plan.todo}
                for d in plan.todo:  # load strictly in date order, whatever order staging finished in
                    try:
                        staged = futures[d].result()
                        r = load_task(staged).to_dict()
                        if d in plan.cascaded:
                            r["note"] = "re-run: an earlier drop now holds one of its files"
                        pending[d] = r
                        progress.emit({"event": "loaded", "business_date": d.isoformat()})
                    except steps.QuarantineThresholdExceeded as exc:  # already recorded by steps.load
                        logger.error("FAILED %s: %s", d, exc)
                        finished(d, {"business_date": d.isoformat(), "status": "failed", "error": str(exc)})
                    except Exception as exc:  # noqa: BLE001 - reported per date, the others go on
                        fail(d, plan_at, f"{type(exc).__name__}: {exc}")
            timings: dict[str, float] = {}
            if pending or plan.has_pending_refresh:
                run_ids = [r["run_id"] for r in pending.values()]
                error = None
                try:
                    with phase("refresh"):
                        timings = refresh_task(run_ids)
                except Exception as exc:  # noqa: BLE001 - the loads stay `loaded`: the next run refreshes
                    error = scrub(f"marts refresh failed: {type(exc).__name__}: {exc}", wh.url)
                if error is None:
                    try:
                        with phase("checks"):
                            error, outcome["checks"] = quality_task()
                    except Exception as exc:  # noqa: BLE001 - a check that cannot run fails the runs, named
                        error = scrub(f"data quality checks could not run: {type(exc).__name__}: {exc}", wh.url)
                if error is None:
                    # before the publish, so the read-only copy carries the day's alerts
                    _evaluate_alerts(settings, wh, pending, logger)
                    crash_point("checked")
                    try:
                        with phase("publish"):
                            outcome["published"] = publish(settings)
                        if outcome["published"]:
                            logger.info("published a read-only copy for BI: %s", outcome["published"])
                    except PublishError as exc:
                        error = str(exc)
                    except Exception as exc:  # noqa: BLE001 - whatever stops the copy fails the runs, in one line
                        error = scrub(f"cannot publish the read-only copy: {type(exc).__name__}: {exc}", wh.url)
                if error is None:
                    steps.finish_runs(wh, settings, run_ids)
                    for d, r in pending.items():
                        finished(d, {**r, "status": "success"})
                    if settings.report_after_run:
                        with phase("report"):
                            newest = max(pending, default=None)
                            outcome["report"] = _write_report(settings, wh, newest, outcome["checks"], logger)
                else:
                    logger.error("FAILED: %s", error.splitlines()[0])
                    try:
                        steps.fail_runs(wh, settings, run_ids, error)
                    except Exception as exc:  # noqa: BLE001 - the warehouse itself may be what failed
                        logger.error("could not record the failure in ops_pipeline_run: %s", scrub(str(exc), wh.url))
                    for d, r in pending.items():
                        finished(d, {**r, "status": "failed", "error": error})
        finally:
            steps.release(settings)
    ordered = [results[d] for d in sorted(results)]
    failed = [r["business_date"] for r in ordered if r["status"] == "failed"]
    if failed:
        logger.error("%d date(s) failed: %s (re-run the same command: only these run again)",
                     len(failed), ", ".join(failed))
    return {"dates": ordered, "marts_seconds": timings, "phases": phases, "published":
            str(outcome["published"]) if outcome["published"] else None, "checks": outcome["checks"],
            "report": outcome.get("report"),
            "bad_folders": [{"path": p, "why": w} for p, w in plan.bad_folders],
            "cascaded": [d.isoformat() for d in plan.cascaded], "seconds": time.perf_counter() - t0}


def _write_report(settings, wh, business_date: date | None, checks: dict | None, logger) -> str | None:
    """The insight report of the newest date just finished (csi.report). The runs are already a
    success: a report that cannot be written is a warning, never a failed run."""
    try:
        from csi.report import write_report

        path = write_report(settings, business_date, checks=checks, wh=wh)
    except Exception as exc:  # noqa: BLE001 - whatever stops the report, the run stands
        logger.warning("the insight report was not written: %s", scrub(f"{type(exc).__name__}: {exc}", wh.url))
        return None
    logger.info("insight report: %s (latest: %s)", path, path.parent / "latest.html")
    return str(path)


def _evaluate_alerts(settings, wh, pending: dict, logger) -> None:
    """METRICS 9 alerts into mart_alerts, sent to the configured notifiers (csi.alerts), once the
    refresh and the checks passed: alerts that cannot be evaluated are a warning, never a failed run."""
    try:
        from csi.alerts.evaluate import evaluate

        run_id = pending[max(pending)]["run_id"] if pending else "refresh"
        evaluate(settings, run_id, wh)
    except Exception as exc:  # noqa: BLE001 - whatever stops the alerts, the run stands
        logger.warning("alerts were not evaluated: %s", scrub(f"{type(exc).__name__}: {exc}", wh.url))


def _failed(settings, d: date, started: datetime, error: str, logger) -> dict:
    error = scrub(error, settings.url)
    logger.error("FAILED %s: %s", d, error.splitlines()[0] if error else error)
    try:
        steps.record_failure(steps.connect(settings), settings, d, started, error)
    except Exception as exc:  # noqa: BLE001 - the warehouse itself may be what failed
        logger.error("could not record the failure of %s in ops_pipeline_run: %s", d, scrub(str(exc), settings.url))
    return {"business_date": d.isoformat(), "status": "failed", "error": error}


@flow(name="csi-run", log_prints=True)
def run_flow(date_: str | None = None, lock_wait: float = LOCK_WAIT_SECONDS, allow_future: bool = False) -> dict:
    """The nightly job: one business date (default: yesterday in the configured time zone)."""
    settings = load_settings()
    d = date.fromisoformat(date_) if date_ else yesterday(settings.timezone)
    result = process_dates([d], force=True, lock_wait=lock_wait, allow_future=allow_future)
    result["title"] = f"csi run {d}"
    artifacts.publish(result, result["title"])
    return result


@flow(name="csi-backfill", log_prints=True)
def backfill_flow(start: str, end: str, force: bool = False, workers: int | None = None,
                  runner: str = "threads", dask_address: str | None = None,
                  lock_wait: float = LOCK_WAIT_SECONDS, allow_future: bool = False) -> dict:
    """Every date in [start, end]; dates already loaded with the same input are skipped.

    workers: dates staged at once (default: cores); runner: "threads" or "dask".
    """
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError(f"end {end} is before start {start}")
    workers = max(1, workers or default_workers())
    dates = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    task_runner = make_task_runner(runner, workers, dask_address)
    result = backfill_dates.with_options(task_runner=task_runner)(dates, force, lock_wait, allow_future)
    result["title"] = f"csi backfill {start} .. {end}"
    artifacts.publish(result, result["title"])
    return result


@flow(name="csi-backfill-dates")
def backfill_dates(dates: list[date], force: bool, lock_wait: float = LOCK_WAIT_SECONDS,
                   allow_future: bool = False) -> dict:
    return process_dates(dates, force, lock_wait, allow_future)
