"""What each `csi` sub-command does, and the end-of-run summary it prints."""

from __future__ import annotations

import argparse
import json
import os
from datetime import timedelta

from rich.console import Console
from rich.table import Table

console = Console()


def dispatch(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)


def cmd_config(args: argparse.Namespace) -> int:
    from csi.settings import load_settings

    console.print_json(json.dumps(load_settings().masked(), default=str))
    return 0


def wait_for_warehouse(seconds: float) -> None:
    """Fail fast (WarehouseBusy, exit status 2) when another run holds the warehouse, before
    starting Prefect; the flow takes the lock itself for the run."""
    from csi.pipeline.lock import warehouse_lock
    from csi.settings import load_settings

    settings = load_settings()
    with warehouse_lock(settings.work_dir, settings.url, wait_seconds=seconds):
        pass


def cmd_run(args: argparse.Namespace) -> int:
    wait_for_warehouse(args.wait)
    from flows.pipeline import run_flow

    result = run_flow(date_=args.date.isoformat() if args.date else None, lock_wait=args.wait)
    return print_summary(result)


def cmd_backfill(args: argparse.Namespace) -> int:
    from csi.settings import ConfigError

    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    if args.dask_address and args.runner != "dask":
        raise ConfigError("--dask-address needs --runner dask")
    wait_for_warehouse(args.wait)
    from csi.progress import BackfillProgress
    from flows.pipeline import backfill_flow

    kwargs = dict(
        start=args.start.isoformat(),
        end=args.end.isoformat(),
        force=args.force,
        workers=args.workers,
        runner=args.runner,
        dask_address=args.dask_address,
        lock_wait=args.wait,
    )
    if args.no_progress or not console.is_terminal:
        result = backfill_flow(**kwargs)
    else:
        with BackfillProgress(console):
            result = backfill_flow(**kwargs)
    return print_summary(result)


def cmd_serve(args: argparse.Namespace) -> int:
    from csi.serve import serve
    from csi.settings import load_settings

    return serve(
        host=args.host,
        port=args.port,
        pool=args.pool,
        cron=args.cron,
        timezone=args.timezone or load_settings().timezone,
        work_dir=load_settings().work_dir,
        say=lambda text: console.print(text, soft_wrap=True, highlight=False, markup=False),
    )


def cmd_generate(args: argparse.Namespace) -> int:
    from csi.generate import generate

    summary = generate(args.out, customers=args.customers, days=args.days, seed=args.seed, start_date=args.start,
                       history_days=args.history_days)
    console.print(f"wrote sample landing data to [bold]{args.out}[/]: {summary}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from datetime import date

    from csi.generate import generate
    from csi.settings import load_settings

    start = date(2026, 1, 1)
    landing = args.dir / "landing"
    console.print(f"[bold]1/2[/] generating {args.customers} customers x {args.days} days "
                  f"(+ {args.history_days} days of history in the first drop) into {landing}")
    generate(landing, customers=args.customers, days=args.days, seed=7, start_date=start,
             history_days=args.history_days)
    os.environ["CSI_LANDING_DIR"] = str(landing)
    settings = load_settings()
    end = start + timedelta(days=args.days - 1)
    console.print(f"[bold]2/2[/] backfilling {start} .. {end} into {settings.masked()['warehouse_url']}")
    from flows.pipeline import backfill_flow

    result = backfill_flow(start=start.isoformat(), end=end.isoformat(), force=True, workers=os.cpu_count() or 1)
    code = print_summary(result)
    print_warehouse(settings)
    from csi.warehouse.dictionary import render
    from csi.warehouse.publish import publish_target

    dictionary = args.dir / "data-dictionary.md"
    dictionary.write_text(render(), encoding="utf-8")
    console.print(f"data dictionary: {dictionary}")
    console.print(f"Data Docs (quality checks): {settings.data_docs_dir / 'index.html'}")
    read_copy = publish_target(settings)
    if read_copy:
        console.print(f"read-only copy for BI tools: {read_copy} (docs/bi.md says how to connect)")
    return code


def print_summary(result: dict) -> int:
    """One line per date and a total; exit status 1 when any date failed."""
    table = Table(title="csi run summary")
    for col in ("date", "status", "sales", "surveys", "complaints", "quarantined", "error"):
        table.add_column(col)
    failed = 0
    for r in result["dates"]:
        q = sum((r.get("rows_quarantined") or {}).values())
        loaded = r.get("rows_loaded") or {}
        failed += r["status"] == "failed"
        table.add_row(
            r["business_date"],
            r["status"],
            *(str(loaded.get(s, "")) for s in ("sales", "surveys", "complaints")),
            str(q) if q else "",
            "see below" if r.get("error") else "",
        )
    if len(result["dates"]) <= 40:
        console.print(table)
    statuses = [r["status"] for r in result["dates"]]
    loaded_rows = sum(sum((r.get("rows_loaded") or {}).values()) for r in result["dates"])
    quarantined = sum(sum((r.get("rows_quarantined") or {}).values()) for r in result["dates"])
    console.print(f"dates: {len(statuses)}  loaded: {statuses.count('loaded')}  "
                  f"skipped: {statuses.count('skipped')}  failed: {failed}  |  rows loaded: {loaded_rows}  "
                  f"quarantined: {quarantined}  |  {result.get('seconds', 0):.1f} s")
    if failed:
        for r in result["dates"]:
            if r["status"] == "failed":
                console.print(f"[red]failed[/] {r['business_date']}: {(r.get('error') or '').splitlines()[0]}")
        console.print("fix the cause and re-run the same command: only the failed dates run again.")
    return 1 if failed else 0


def print_warehouse(settings) -> None:
    """Row counts of every table, where to look, and how well the churn score predicted."""
    from csi.backtest_report import backtest_line
    from csi.warehouse.engine import Warehouse
    from csi.warehouse.tables import TABLES

    wh = Warehouse(settings.url)
    table = Table(title=f"warehouse {settings.masked()['warehouse_url']}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    with wh.transaction() as tx:
        for decl in TABLES:
            table.add_row(decl.name, str(tx.scalar(f"SELECT count(*) FROM {tx.q(decl.name)}")))
        backtest = backtest_line(tx)
    wh.dispose()
    console.print(table)
    console.print(backtest)
    console.print(
        "look at: ops_quarantine (rejected records and why), ops_pipeline_run (runs), "
        "docs/data-dictionary.md (every column)"
    )


COMMANDS = {
    "run": cmd_run,
    "backfill": cmd_backfill,
    "generate": cmd_generate,
    "demo": cmd_demo,
    "config": cmd_config,
    "serve": cmd_serve,
}
