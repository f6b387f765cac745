"""The one owner of a run: what happens to each business date, from the plan to `success`.

plan -> stage (parallel-safe) -> load (date order) -> refresh -> checks -> alerts ->
publish -> success -> report. Free of Prefect: the flows (csi.flows.pipeline) hand in a
`Steps` whose stage/load/refresh/checks run as Prefect tasks; the benchmark and the tests
use `INLINE`, which calls the same step functions directly. Either way the policy below
is the only one:

- one failed date never stops the others; a date whose staging or load fails is
  recorded `failed` with one line, and a rejected drop (quarantine threshold) is too;
- the refresh, checks and publish run once for every date loaded (and for dates left
  `loaded` or `refreshed` by a crashed run, or a refresh cut short): when any of them
  fails, every pending date fails with the same line, and the next run redoes them;
- alerts are evaluated after the checks and before the publish (the copy carries the
  day's alerts); alerts and the report never fail a run;
- a date is `success` only once its rows are loaded, the marts refreshed, the checks
  passed and the read-only copy published (csi.pipeline.steps, docs/operations.md).

Settings are passed in, never re-read. Events for a progress bar go through csi.events.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from csi import events
from csi.clock import business_now
from csi.faults import crash_point
from csi.pipeline import handle, steps
from csi.pipeline import plan as planning
from csi.pipeline.lock import warehouse_lock
from csi.pipeline.plan import RunPlan
from csi.pipeline.steps import DateResult, Staged
from csi.secrets import scrub
from csi.settings import Settings
from csi.warehouse.publish import PublishError, publish

LOCK_WAIT_SECONDS = 600.0


@dataclass
class RunResult:
    """What a run did: one DateResult per date (date order), where the time went, what it wrote."""

    title: str
    dates: list[DateResult] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # plan, load, refresh, checks, publish, report
    marts_seconds: dict[str, float] = field(default_factory=dict)
    published: str | None = None  # the read-only copy (DuckDB), None on PostgreSQL or when not reached
    checks: dict[str, Any] | None = None  # {"checked", "failed", ...} or None when not run
    report: str | None = None
    bad_folders: list[tuple[str, str]] = field(default_factory=list)  # (path, why): not a drop folder
    cascaded: list[date] = field(default_factory=list)  # later drops re-run: an earlier drop holds their file
    seconds: float = 0.0  # the run itself; the CLI adds Prefect's start-up as phase `prefect`
    wall_seconds: float | None = None  # as the CLI measured it, Prefect included

    @property
    def failed(self) -> list[DateResult]:
        return [r for r in self.dates if r.status == "failed"]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (a Prefect flow run's return value)."""
        return {"title": self.title, "dates": [r.to_dict() for r in self.dates], "phases": self.phases,
                "marts_seconds": self.marts_seconds, "published": self.published, "checks": self.checks,
                "report": self.report, "bad_folders": [{"path": p, "why": w} for p, w in self.bad_folders],
                "cascaded": [d.isoformat() for d in self.cascaded], "seconds": self.seconds,
                "wall_seconds": self.wall_seconds}


class Pending(Protocol):
    def result(self) -> Staged: ...


class Steps(Protocol):
    """How the heavy steps run: INLINE here, or as Prefect tasks (csi.flows.pipeline)."""

    def stage(self, settings: Settings, plan: RunPlan) -> dict[date, Pending]: ...
    def load(self, settings: Settings, batch: list[Staged]) -> list[DateResult]: ...
    def refresh(self, settings: Settings, run_ids: list[str]) -> dict[str, float]: ...
    def check(self, settings: Settings) -> tuple[str | None, dict | None]: ...


class _Later:
    """Staging on demand, in the order the loads ask for it (one drop staged at a time)."""

    def __init__(self, fn: Callable[[], Staged]):
        self._fn = fn

    def result(self) -> Staged:
        return self._fn()


class Inline:
    """The steps called directly in this process, one after the other."""

    def stage(self, settings: Settings, plan: RunPlan) -> dict[date, Pending]:
        return {d: _Later(lambda d=d: steps.stage_timed(settings, d, plan.duplicates[d], plan.files[d]))
                for d in plan.todo}

    def load(self, settings: Settings, batch: list[Staged]) -> list[DateResult]:
        return steps.load_batch(handle.connect(settings), settings, batch)

    def refresh(self, settings: Settings, run_ids: list[str]) -> dict[str, float]:
        return steps.refresh_marts(handle.connect(settings), settings, run_ids)

    def check(self, settings: Settings) -> tuple[str | None, dict | None]:
        return steps.check_quality(handle.connect(settings), settings)


INLINE = Inline()


def run_dates(settings: Settings, dates: list[date], *, force: bool, title: str = "csi run",
              allow_future: bool = False, lock_wait: float = LOCK_WAIT_SECONDS, runner: Steps = INLINE,
              logger: logging.Logger | logging.LoggerAdapter | None = None) -> RunResult:
    """Run `dates` under the warehouse lock; see the module docstring for the policy."""
    return _Run(settings, runner, logger or logging.getLogger("csi.run"), title).run(
        dates, force, allow_future, lock_wait)


class _Run:
    def __init__(self, settings: Settings, runner: Steps, logger, title: str):
        self.settings, self.runner, self.log = settings, runner, logger
        self.result = RunResult(title=title)
        self.by_date: dict[date, DateResult] = {}
        self.counter = events.Counter()

    def finished(self, r: DateResult, log: bool = True) -> None:
        self.by_date[r.business_date] = r
        self.counter.add(r.status)
        events.emit({"event": "date", "business_date": r.business_date.isoformat(), "status": r.status})
        if log:
            self.log.info("%s %s; %s", r.business_date, r.status, self.counter.line())

    def finished_together(self, results: list[DateResult]) -> None:
        """Dates that end at the same moment with one status (a backfill's success, a re-run's
        skipped dates): one log line, not one per date."""
        if len(results) == 1:
            self.finished(results[0])
            return
        for r in results:
            self.finished(r, log=False)
        if results:
            days = sorted(r.business_date for r in results)
            self.log.info("%d dates (%s .. %s) %s; %s", len(days), days[0], days[-1], results[0].status,
                          self.counter.line())

    def fail(self, d: date, started, error: str) -> None:
        error = scrub(error, self.settings.url)
        self.log.error("FAILED %s: %s", d, error.splitlines()[0] if error else error)
        try:
            run_id = steps.record_failure(handle.connect(self.settings), self.settings, d, started, error)
        except Exception as exc:  # noqa: BLE001 - the warehouse itself may be what failed
            self.log.error("could not record the failure of %s in ops_pipeline_run: %s", d,
                           scrub(str(exc), self.settings.url))
            run_id = ""
        self.finished(DateResult(d, run_id, "failed", error=error))

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        events.emit({"event": "phase", "phase": name, "state": "start"})
        started = time.perf_counter()
        try:
            yield
        finally:
            self.result.phases[name] = self.result.phases.get(name, 0.0) + time.perf_counter() - started
            events.emit({"event": "phase", "phase": name, "state": "end"})

    def run(self, dates: list[date], force: bool, allow_future: bool, lock_wait: float) -> RunResult:
        events.emit({"event": "phase", "phase": "prefect", "state": "end"})  # the CLI said "start"
        crash_point("flow_start")
        t0 = time.perf_counter()
        settings = self.settings
        with warehouse_lock(settings.work_dir, settings.url, wait_seconds=lock_wait):
            wh = handle.open_warehouse(settings)
            try:
                with self.phase("plan"):
                    plan = planning.plan(wh, settings, dates, force, allow_future)
                self.planned(plan)
                pending = self.load(plan)
                if pending or plan.has_pending_refresh:
                    self.finish(wh, pending)
            finally:
                handle.release(settings)
        self.result.dates = [self.by_date[d] for d in sorted(self.by_date)]
        self.result.seconds = time.perf_counter() - t0
        failed = self.result.failed
        if failed:
            self.log.error("%d date(s) failed: %s (re-run the same command: only these run again)",
                           len(failed), ", ".join(r.business_date.isoformat() for r in failed))
        return self.result

    def planned(self, plan: RunPlan) -> None:
        self.counter.total = len(plan.dates)
        self.result.bad_folders = list(plan.bad_folders)
        self.result.cascaded = list(plan.cascaded)
        events.emit({"event": "planned", "total": len(plan.dates)})
        self.log.info("%d date(s): %d to load, %d to finish, %d already done, %d failed in planning%s",
                      len(plan.dates), len(plan.todo), len(plan.unfinished),
                      len(plan.dates) - len(plan.todo) - len(plan.unfinished) - len(plan.errors),
                      len(plan.errors), f"; re-run because an earlier drop now holds their files: "
                      f"{', '.join(map(str, plan.cascaded))}" if plan.cascaded else "")
        for folder, why in plan.bad_folders:
            self.log.warning("not a drop folder, not read: %s (%s)", folder, why)
        self.plan_at = business_now(self.settings.timezone)
        for d in plan.dates:
            if d in plan.errors:
                self.fail(d, self.plan_at, plan.errors[d])
        self.finished_together([DateResult(d, "", "skipped") for d in plan.dates
                                if d not in plan.errors and d not in plan.todo and d not in plan.unfinished])

    def load(self, plan: RunPlan) -> dict[date, DateResult]:
        """Stage (in parallel where the runner does) and load strictly in date order, in batches of
        `load_batch_days` dates: the dates awaiting refresh, checks and publish."""
        pending = {d: DateResult(d, run_id, "loaded", note="loaded by an earlier run that did not finish: "
                                 "finished now") for d, run_id in plan.unfinished.items()}
        batch: list[Staged] = []

        def loaded(r: DateResult) -> None:
            if r.status == "failed":  # over the quarantine threshold: its failed run is recorded
                self.log.error("FAILED %s: %s", r.business_date, r.error)
                self.finished(r)
                return
            if r.business_date in plan.cascaded:
                r.note = "re-run: an earlier drop now holds one of its files"
            pending[r.business_date] = r
            events.emit({"event": "loaded", "business_date": r.business_date.isoformat()})

        def flush() -> None:
            todo = list(batch)
            batch.clear()
            if not todo:
                return
            try:
                results = self.runner.load(self.settings, todo)
            except Exception as exc:  # noqa: BLE001 - the batch rolled back: isolate the date that broke it
                if len(todo) == 1:
                    self.fail(todo[0].summary.business_date, self.plan_at,
                              f"{type(exc).__name__}: {exc}")
                    return
                self.log.warning("a batch of %d dates failed to load (%s: %s); loading them one by one",
                                 len(todo), type(exc).__name__, scrub(str(exc), self.settings.url))
                for staged in todo:
                    batch.append(staged)
                    flush()
                return
            for r in results:
                loaded(r)

        with self.phase("load"):
            staging = self.runner.stage(self.settings, plan)
            for d in plan.todo:
                try:
                    batch.append(staging[d].result())
                except Exception as exc:  # noqa: BLE001 - reported per date, the others go on
                    self.fail(d, self.plan_at, f"{type(exc).__name__}: {exc}")
                    continue
                if len(batch) >= self.settings.load_batch_days:
                    flush()
            flush()
        return pending

    def finish(self, wh, pending: dict[date, DateResult]) -> None:
        """Refresh, checks, alerts, publish for everything pending; then success (or all failed)."""
        settings, result = self.settings, self.result
        run_ids = [r.run_id for r in pending.values()]
        error = None
        try:
            with self.phase("refresh"):
                result.marts_seconds = self.runner.refresh(settings, run_ids)
        except Exception as exc:  # noqa: BLE001 - the loads stay `loaded`: the next run refreshes
            error = scrub(f"marts refresh failed: {type(exc).__name__}: {exc}", wh.url)
        if error is None:
            try:
                with self.phase("checks"):
                    error, result.checks = self.runner.check(settings)
            except Exception as exc:  # noqa: BLE001 - a check that cannot run fails the runs, named
                error = scrub(f"data quality checks could not run: {type(exc).__name__}: {exc}", wh.url)
        if error is None:
            self.alerts(wh, pending)  # before the publish, so the read-only copy carries the day's alerts
            crash_point("checked")
            try:
                with self.phase("publish"):
                    published = publish(settings)
                result.published = str(published) if published else None
                if published:
                    self.log.info("published a read-only copy for BI: %s", published)
            except PublishError as exc:
                error = str(exc)
            except Exception as exc:  # noqa: BLE001 - whatever stops the copy fails the runs, in one line
                error = scrub(f"cannot publish the read-only copy: {type(exc).__name__}: {exc}", wh.url)
        if error is not None:
            self.log.error("FAILED: %s", error.splitlines()[0])
            try:
                steps.fail_runs(wh, settings, run_ids, error)
            except Exception as exc:  # noqa: BLE001 - the warehouse itself may be what failed
                self.log.error("could not record the failure in ops_pipeline_run: %s", scrub(str(exc), wh.url))
            for r in pending.values():
                r.status, r.error = "failed", error
            self.finished_together(list(pending.values()))
            return
        steps.finish_runs(wh, settings, run_ids)
        for r in pending.values():
            r.status = "success"
        self.finished_together(list(pending.values()))
        if settings.report_after_run:
            with self.phase("report"):
                result.report = self.report(wh, max(pending, default=None))

    def alerts(self, wh, pending: dict[date, DateResult]) -> None:
        """METRICS 9 alerts into mart_alerts and to the notifiers (csi.alerts): never a failed run."""
        try:
            from csi.alerts.evaluate import evaluate

            evaluate(self.settings, pending[max(pending)].run_id if pending else "refresh", wh)
        except Exception as exc:  # noqa: BLE001 - whatever stops the alerts, the run stands
            self.log.warning("alerts were not evaluated: %s", scrub(f"{type(exc).__name__}: {exc}", wh.url))

    def report(self, wh, business_date: date | None) -> str | None:
        """The insight report of the newest date just finished (csi.report): never a failed run."""
        try:
            from csi.report import write_report

            path = write_report(self.settings, business_date, checks=self.result.checks, wh=wh)
        except Exception as exc:  # noqa: BLE001 - whatever stops the report, the run stands
            self.log.warning("the insight report was not written: %s", scrub(f"{type(exc).__name__}: {exc}", wh.url))
            return None
        self.log.info("insight report: %s (latest: %s)", path, path.parent / "latest.html")
        return str(path)
