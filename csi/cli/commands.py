"""What each `csi` sub-command does, and the end-of-run summary it prints.

Every command checks its configuration and arguments (csi.preflight) before it
imports Prefect or the flows."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from contextlib import contextmanager, nullcontext
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from csi.cli import preflight
from csi.cli.summary import print_summary, print_warehouse
from csi.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from csi.pipeline.run import RunResult

console = Console()


def dispatch(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)


def cmd_config(args: argparse.Namespace) -> int:  # noqa: ARG001 - every command takes its arguments
    settings = load_settings()
    console.print_json(json.dumps(settings.masked(), default=str))
    preflight.check(settings, needs_landing=False)
    landing = Path(settings.landing_dir)
    note = "" if landing.is_dir() else f"; CSI_LANDING_DIR={landing} does not exist yet (`csi demo` creates it)"
    print(f"csi: configuration checked: ok{note}", file=sys.stderr)
    return 0


def wait_for_warehouse(seconds: float, settings: Settings | None = None) -> None:
    """Fail fast (WarehouseBusy, exit status 2) when another run holds the warehouse, before
    starting Prefect; the flow takes the lock itself for the run."""
    from csi.pipeline.lock import warehouse_lock

    settings = settings or load_settings()
    with warehouse_lock(settings.work_dir, settings.url, wait_seconds=seconds):
        pass


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    preflight.check(settings, needs_landing=True)
    if args.date:
        preflight.check_not_future(args.date, settings.timezone, allow_future=args.allow_future, option="--date")
    wait_for_warehouse(args.wait, settings)
    from csi.flows.pipeline import run_flow

    # --force is not passed: a nightly always re-runs its date (see `csi run --help`)
    result = call_flow(run_flow, "run", not args.no_progress, date_=args.date.isoformat() if args.date else None,
                       lock_wait=args.wait, allow_future=args.allow_future)
    return print_summary(result)


def cmd_backfill(args: argparse.Namespace) -> int:
    if args.dask_address and args.runner != "dask":
        raise ConfigError("--dask-address needs --runner dask")
    preflight.check_date_range(args.start, args.end)
    settings = load_settings()
    preflight.check(settings, needs_landing=True)
    preflight.check_not_future(args.end, settings.timezone, allow_future=args.allow_future, option="--end")
    wait_for_warehouse(args.wait, settings)
    from csi.flows.pipeline import backfill_flow

    result = call_flow(
        backfill_flow, "backfill", not args.no_progress,
        start=args.start.isoformat(),
        end=args.end.isoformat(),
        force=args.force,
        workers=args.workers,
        runner=args.runner,
        dask_address=args.dask_address,
        lock_wait=args.wait,
        allow_future=args.allow_future,
    )
    return print_summary(result)


def call_flow(flow, label: str, show_progress: bool, **parameters) -> RunResult:
    """Run a flow in this process, with the progress bar in a terminal. The time Prefect takes to
    start (until the flow's first phase begins) is measured here, the one place that sees it, and
    reported as the run's first phase, `prefect`."""
    import time

    from csi import events
    from csi.cli import progress

    started = time.perf_counter()
    body_began: list[float] = []

    def note(event: dict) -> None:
        if event.get("event") == "phase" and event.get("phase") != "prefect" and not body_began:
            body_began.append(time.perf_counter())

    bar = progress.BackfillProgress(console, label=label) if show_progress and console.is_terminal else nullcontext()
    with events.listening(note), bar, _quiet_task_successes():
        events.emit({"event": "phase", "phase": "prefect", "state": "start"})
        result = flow(**parameters)
    if body_began:
        result.phases = {"prefect": body_began[0] - started, **result.phases}
    result.wall_seconds = time.perf_counter() - started  # the run's own `seconds` leave Prefect out
    return result


class _TaskSuccessFilter(logging.Filter):
    """Drops Prefect's "Task run ... Finished in state Completed()" lines: a backfill has one per
    drop, and the run's own lines say the same per date. Retries, failures and crashes stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().endswith("Finished in state Completed()")


@contextmanager
def _quiet_task_successes():
    """For a flow run from the CLI; the task states stay in the Prefect API and UI."""
    task_logger, quiet = logging.getLogger("prefect.task_runs"), _TaskSuccessFilter()
    task_logger.addFilter(quiet)
    try:
        yield
    finally:
        task_logger.removeFilter(quiet)


def cmd_report(args: argparse.Namespace) -> int:
    from csi.report import write_report
    from csi.report.build import NoReportData

    settings = load_settings()
    preflight.check(settings, needs_landing=False)
    out = args.out or settings.report_dir
    preflight.check_writable_dir("--out" if args.out else "CSI_REPORT_DIR", out)
    try:
        path = write_report(settings, args.date, out_dir=out)
    except NoReportData as exc:
        raise ConfigError(str(exc)) from None
    console.print(f"insight report: {escape(str(path))}", highlight=False, soft_wrap=True)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Every check on every table whole, under the warehouse lock (a run cannot start meanwhile)."""
    settings = load_settings()
    preflight.check(settings, needs_landing=False)
    from csi.pipeline.lock import warehouse_lock
    from csi.quality.checkpoint import run_checks

    with warehouse_lock(settings.work_dir, settings.url, wait_seconds=args.wait):
        result = run_checks(settings, None)
    console.print(f"quality checks: {result.checked} expectations, {len(result.failed)} failed ({result.scope}) "
                  f"in {result.seconds:.1f} s", highlight=False)
    for failure in result.failed[:20]:
        console.print(f"[red]failed[/] {escape(failure)}", highlight=False)
    if len(result.failed) > 20:
        console.print(f"... and {len(result.failed) - 20} more (Data Docs)", highlight=False)
    if result.data_docs:
        console.print(f"Data Docs: {escape(str(result.data_docs))}", highlight=False)
    return 0 if result.success else 1


def cmd_serve(args: argparse.Namespace) -> int:
    from csi.cli.serve import serve

    settings = load_settings()
    preflight.check(settings, needs_landing=False)
    timezone = args.timezone or settings.timezone
    preflight.check_timezone(timezone, "--timezone" if args.timezone else "CSI_TIMEZONE")
    return serve(
        host=args.host,
        port=args.port,
        pool=args.pool,
        cron=args.cron,
        timezone=timezone,
        work_dir=settings.work_dir,
        say=lambda text: console.print(text, soft_wrap=True, highlight=False, markup=False),
    )


def cmd_generate(args: argparse.Namespace) -> int:
    from csi.generate import generate

    preflight.check_writable_dir("--out", args.out)
    summary = generate(args.out, customers=args.customers, days=args.days, seed=args.seed, start_date=args.start,
                       history_days=args.history_days)
    console.print(f"wrote sample landing data to [bold]{args.out}[/]: {summary}")
    return 0


DEMO_START = date(2026, 1, 1)


def cmd_demo(args: argparse.Namespace) -> int:
    from csi.generate import generate

    settings = load_settings(landing_dir=args.dir) if args.dir else load_settings()
    preflight.check(settings, needs_landing=False)
    landing = Path(settings.landing_dir)
    name = "--dir" if args.dir else "CSI_LANDING_DIR"
    preflight.check_writable_dir(name, landing)
    if landing.is_dir() and any(landing.iterdir()) and not (landing / "_manifest").is_dir():
        raise ConfigError(f"{name}={landing} already holds data that is not a demo's (no _manifest); "
                          "pass --dir to land the demo elsewhere")
    wait_for_warehouse(0, settings)
    end = DEMO_START + timedelta(days=args.days - 1)
    console.print(f"[bold]1/2[/] generating {args.customers} customers x {args.days} days "
                  f"(+ {args.history_days} days of history in the first drop) into {landing}")
    generate(landing, customers=args.customers, days=args.days, seed=7, start_date=DEMO_START,
             history_days=args.history_days)
    console.print(f"[bold]2/2[/] backfilling {DEMO_START} .. {end} into {settings.masked()['warehouse_url']}")
    from csi.flows.pipeline import backfill_flow

    result = call_flow(backfill_flow, "demo", True, start=DEMO_START.isoformat(), end=end.isoformat(),
                       force=True, workers=os.cpu_count() or 1, landing_dir=str(landing) if args.dir else None)
    code = print_summary(result)
    print_warehouse(settings)
    console.print(f"Data Docs (quality checks): {settings.data_docs_dir / 'index.html'}")
    console.print(f"insight report (open it in a browser, works offline): {settings.report_dir / 'latest.html'}"
                  if result.report else "insight report: not written (see the warning above)")
    console.print("BI tools: docs/bi.md says how to connect. Next: "
                  f"`csi run --date {DEMO_START + timedelta(days=min(59, args.days - 1))}` re-runs one date"
                  + (f" (with CSI_LANDING_DIR={landing})" if args.dir else ""))
    return code


COMMANDS = {
    "run": cmd_run,
    "backfill": cmd_backfill,
    "generate": cmd_generate,
    "demo": cmd_demo,
    "config": cmd_config,
    "report": cmd_report,
    "serve": cmd_serve,
    "check": cmd_check,
}
