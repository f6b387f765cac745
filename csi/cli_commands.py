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


def cmd_run(args: argparse.Namespace) -> int:
    from flows.pipeline import run_flow

    result = run_flow(date_=args.date.isoformat() if args.date else None)
    return print_summary(result)


def cmd_backfill(args: argparse.Namespace) -> int:
    from flows.pipeline import backfill_flow

    result = backfill_flow(start=args.start.isoformat(), end=args.end.isoformat(),
                           force=args.force, workers=args.workers)
    return print_summary(result)


def cmd_generate(args: argparse.Namespace) -> int:
    from csi.generate import generate

    summary = generate(args.out, customers=args.customers, days=args.days, seed=args.seed,
                       start_date=args.start)
    console.print(f"wrote sample landing data to [bold]{args.out}[/]: {summary}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from datetime import date

    from csi.generate import generate
    from csi.settings import load_settings

    start = date(2026, 1, 1)
    landing = args.dir / "landing"
    console.print(f"[bold]1/2[/] generating {args.customers} customers x {args.days} days into {landing}")
    generate(landing, customers=args.customers, days=args.days, seed=7, start_date=start)
    os.environ["CSI_LANDING_DIR"] = str(landing)
    settings = load_settings()
    end = start + timedelta(days=args.days - 1)
    console.print(f"[bold]2/2[/] backfilling {start} .. {end} into {settings.masked()['warehouse_url']}")
    from flows.pipeline import backfill_flow

    result = backfill_flow(start=start.isoformat(), end=end.isoformat(), force=True,
                           workers=os.cpu_count() or 1)
    code = print_summary(result)
    print_warehouse(settings)
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
        table.add_row(r["business_date"], r["status"], *(str(loaded.get(s, "")) for s in
                      ("sales", "surveys", "complaints")), str(q) if q else "", (r.get("error") or "")[:120])
    if len(result["dates"]) <= 40:
        console.print(table)
    statuses = [r["status"] for r in result["dates"]]
    console.print(f"dates: {len(statuses)}  loaded: {statuses.count('loaded')}  "
                  f"skipped: {statuses.count('skipped')}  failed: {failed}")
    if failed:
        for r in result["dates"]:
            if r["status"] == "failed":
                console.print(f"[red]failed[/] {r['business_date']}: {r.get('error')}")
    return 1 if failed else 0


def print_warehouse(settings) -> None:
    from csi.warehouse.engine import Warehouse
    from csi.warehouse.tables import TABLES

    wh = Warehouse(settings.url)
    table = Table(title=f"warehouse {settings.masked()['warehouse_url']}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    with wh.transaction() as tx:
        for decl in TABLES:
            table.add_row(decl.name, str(tx.scalar(f"SELECT count(*) FROM {tx.q(decl.name)}")))
    wh.dispose()
    console.print(table)
    console.print("look at: ops_quarantine (rejected records and why), ops_pipeline_run (runs), "
                  "docs/data-dictionary.md (every column)")


COMMANDS = {"run": cmd_run, "backfill": cmd_backfill, "generate": cmd_generate, "demo": cmd_demo,
            "config": cmd_config}
