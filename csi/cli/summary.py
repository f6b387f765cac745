"""The end-of-run report in the terminal: one line per date, the totals, every file and folder
not loaded, where the time went, the checks, the read-only copy and the report; and the
demo's table of warehouse row counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from csi.vocab import SOURCES

if TYPE_CHECKING:
    from csi.pipeline.run import RunResult

console = Console()
STATUS_STYLE = {"success": "green", "failed": "red", "skipped": "dim"}
NOT_READ = {"unreadable", "unsupported", "refused"}
LONG_RUN_DATES = 40  # above this the per-date table is left out: the totals and failed dates say it


def print_summary(result: RunResult, out: Console | None = None) -> int:
    """Print the run's summary; exit status 1 when a date failed."""
    out = out or console
    dates = result.dates
    table = Table(title=result.title or "csi summary")
    for col in ("date", "status", *SOURCES, "quarantined", "error"):
        table.add_column(col)
    for r in dates:
        q = sum(r.rows_quarantined.values())
        table.add_row(
            r.business_date.isoformat(),
            f"[{STATUS_STYLE.get(r.status, 'default')}]{r.status}[/]",
            *(str(r.rows_loaded.get(s, "")) for s in SOURCES),
            str(q) if q else "",
            "see below" if r.error else "",
        )
    if len(dates) <= LONG_RUN_DATES:
        out.print(table)
    statuses = [r.status for r in dates]
    failed = result.failed
    rows_loaded = sum(sum(r.rows_loaded.values()) for r in dates)
    rows_quarantined = sum(sum(r.rows_quarantined.values()) for r in dates)
    seconds = result.wall_seconds if result.wall_seconds is not None else result.seconds
    out.print(f"dates: {len(dates)}  success: {statuses.count('success')}  skipped: {statuses.count('skipped')}  "
              f"failed: {len(failed)}  |  rows loaded: {rows_loaded}  quarantined: {rows_quarantined}  |  "
              f"{seconds:.1f} s", highlight=False)
    for r in dates:
        for f in r.problem_files:
            label = "not read" if f.get("status") in NOT_READ else "not loaded"
            out.print(f"[yellow]{label}[/]: {escape(f['path'])} ({f.get('status')}: {escape(f.get('why') or '')})",
                      highlight=False)
    for path, why in result.bad_folders:
        out.print(f"[yellow]bad folder[/]: {escape(path)} ({escape(why or '')})", highlight=False)
    if result.phases:
        out.print("time: " + " · ".join(f"{name} {seconds:.1f} s" for name, seconds in result.phases.items()),
                  highlight=False)
    checks = result.checks
    out.print(f"quality checks: {checks['checked']} expectations, {checks['failed']} failed"
              + (f" ({checks['scope']})" if checks.get("scope") else "") if checks
              else "quality checks: not run", highlight=False)
    if result.published:
        out.print(f"read-only copy for BI: {escape(result.published)}", highlight=False)
    if result.report:
        out.print(f"insight report (opens offline): {escape(result.report)}", highlight=False)
    if failed:
        for r in failed:
            error = (r.error or "").splitlines()
            out.print(f"[red]failed[/] {r.business_date}: {escape(error[0] if error else '')}", highlight=False)
        out.print("fix the cause and re-run the same command: only the unfinished dates run again.")
    return 1 if failed else 0


def print_warehouse(settings) -> None:
    """Row counts of every table, where to look, and how well the churn score predicted."""
    from csi.backtest_report import backtest_line
    from csi.warehouse.engine import Warehouse
    from csi.warehouse.inventory import table_rows
    from csi.warehouse.tables import TABLES

    wh = Warehouse(settings.url)
    table = Table(title=f"warehouse {settings.masked()['warehouse_url']}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    with wh.transaction() as tx:
        for name, n in table_rows(tx, [decl.name for decl in TABLES]).items():
            table.add_row(name, str(n))
        backtest = backtest_line(tx)
    wh.dispose()
    console.print(table)
    console.print(backtest)
    console.print(
        "look at: ops_quarantine (rejected records and why), ops_pipeline_run (runs), "
        "docs/data-dictionary.md (every column)"
    )
