"""The `csi` command: run, backfill, generate, demo, config, report, serve.

Errors a person can fix (configuration, arguments, landing, a busy warehouse) are
printed as one `csi: error:` line with exit status 2; a date that failed gives exit
status 1. This module and the checks before a run (csi.preflight) import neither
Prefect nor the flows, so those errors come within a second.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

EPILOG = """configuration: CSI_* environment variables, or a YAML file named by CSI_CONFIG_FILE
(same keys, nested sections). `csi config` prints the effective values and checks them.
  CSI_WAREHOUSE_URL       duckdb:///warehouse.duckdb (default) or postgresql+psycopg://user:pw@host/db
  CSI_DUCKDB_MEMORY_LIMIT the embedded DuckDB's memory, e.g. 4GB (default 25% of the machine's;
                          it spills to disk above it)
  CSI_LANDING_DIR         landing zone <dir>/{sales,surveys,complaints}/dt=YYYY-MM-DD/ (default ./landing)
  CSI_WORK_DIR            staging files and the warehouse lock (default ./.csi)
  CSI_TIMEZONE            business time zone (default Asia/Shanghai): "today", "yesterday" (the
                          nightly's default date) and "in the future" are taken there, whatever the
                          host's clock or TZ
  CSI_MAX_QUARANTINE_PCT  reject a source's drop with more quarantined (default 5)

exit status: 0 every date succeeded or was skipped; 1 a date failed (the summary names it);
2 nothing ran: a configuration or argument problem, or the warehouse is busy (one `csi: error:`
line); 130 interrupted."""


class Parser(argparse.ArgumentParser):
    """argparse with its errors as one `csi: error:` line (no usage dump), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"csi: error: {message} (see `{self.prog} --help`)\n")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _at_least(minimum: int):
    """An argparse type: an int >= minimum, with a message naming the bound."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below {minimum}")
        return value
    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value:g} is below 0")
    return value


RUN_HELP = """The nightly job: find the drop of one business date in the landing zone, validate it
(bad records go to ops_quarantine with a reason), load it in one transaction, refresh the
marts, run the quality checks and publish the read-only copy for BI.

A nightly always (re-)runs its date: running a date again replaces what it loaded, so
`--force` is accepted but changes nothing (it is there so `run` and `backfill` take the
same flags). The configuration is checked before anything starts (`csi config`)."""

BACKFILL_HELP = """Every business date from --start to --end (inclusive). Dates are staged in parallel
(--workers), loaded one at a time in date order, then the marts are refreshed, checked and
published once. A date already loaded whose input files are unchanged is skipped unless
--force; a date that fails never stops the others and is named in the summary: fix the
cause and re-run the same command, only the unfinished dates run again."""

FUTURE_HELP = ("process a drop dated after today in CSI_TIMEZONE (refused by default: a future-dated "
               "folder is usually a mistake, and would build snapshots as of that date)")

DEMO_HELP = """Generate deterministic sample landing data (with planted bad records) and backfill it
into the configured warehouse (CSI_WAREHOUSE_URL, default ./warehouse.duckdb), then print
what was loaded, the table row counts and how well the churn score predicted.

The data land in the configured landing dir (CSI_LANDING_DIR, default ./landing), so the
README's `csi run --date 2026-03-01` works on it afterwards; --dir puts them elsewhere. A
landing dir that holds data other than a previous demo's is refused."""

CONFIG_HELP = """Print the effective configuration as JSON (passwords in the warehouse URL masked,
in the user info and in the query string), then check it as `csi run` does before it
starts: the URL's database and driver, that the DuckDB file's directory, CSI_WORK_DIR and
CSI_DATA_DOCS_DIR can be written, and that CSI_TIMEZONE is a known time zone. Exit status 2
with one `csi: error:` line when something cannot work. The landing dir is not required."""

REPORT_HELP = """Write the insight report of one business date as one self-contained HTML file,
<out>/report-YYYY-MM-DD.html, and latest.html when it is the newest successful date: headline
KPIs of the latest month (all sites and per site), 13-month trends, drivers (ACSI model,
SERVQUAL, KANO), complaints, customers (pyramid, whale curve, churn, declining valuable
customers) and data quality with the alerts. It opens offline (no request to any other host).
Every successful run writes it too; this command re-writes it or writes an earlier date's."""

CHECK_HELP = """Run every data quality check on every table, whole, now: the Great Expectations
suites generated from the table declarations and the row-count reconciliation with
ops_pipeline_run. A run checks only the tables and partitions it wrote (CSI_QUALITY_SCOPE=changed,
the default; CSI_QUALITY_SCOPE=all checks everything after every run); this command is the
whole-warehouse check on demand or on a schedule. Writes Data Docs (CSI_DATA_DOCS_DIR).
Exit status 1 when a check fails, 2 when the warehouse is busy or the configuration is bad.
"""

SERVE_HELP = """Start a Prefect server on this machine, create the process work pool, deploy
deployments/prefect.yaml (the nightly schedule and the backfill deployment) and start a
worker. The flow runs inherit this shell's CSI_* environment. Ctrl-C stops everything it
started. Then `prefect deployment run csi-run/nightly` runs tonight's job now."""


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="csi", description="Customer-satisfaction intelligence: landing files -> warehouse.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    raw = dict(formatter_class=argparse.RawDescriptionHelpFormatter)

    run = sub.add_parser("run", help="the nightly job for one business date", description=RUN_HELP, **raw)
    run.add_argument("--date", type=_date, help="business date YYYY-MM-DD (default: yesterday in CSI_TIMEZONE)")
    run.add_argument("--force", action="store_true",
                     help="accepted for symmetry with backfill; a run always re-runs its date")
    run.add_argument("--allow-future", action="store_true", help=FUTURE_HELP)
    run.add_argument("--no-progress", action="store_true", help="no progress bar (none either when not a terminal)")
    _wait_option(run)

    bf = sub.add_parser("backfill", help="every date in a range", description=BACKFILL_HELP, **raw)
    bf.add_argument("--start", type=_date, required=True, help="first business date YYYY-MM-DD")
    bf.add_argument("--end", type=_date, required=True, help="last business date YYYY-MM-DD (inclusive)")
    bf.add_argument("--workers", type=_at_least(1), default=os.cpu_count() or 1,
                    help="dates staged in parallel (default: cores)")
    bf.add_argument("--force", action="store_true",
                    help="re-run dates already loaded with unchanged input (default: skip them)")
    bf.add_argument("--allow-future", action="store_true", help=FUTURE_HELP)
    bf.add_argument(
        "--runner",
        choices=("threads", "dask"),
        default="threads",
        help="where dates are staged: threads in this process (default) or a Dask cluster",
    )
    bf.add_argument(
        "--dask-address",
        metavar="HOST:PORT",
        help="an existing Dask scheduler (with --runner dask; default: a LocalCluster of --workers processes)",
    )
    bf.add_argument("--no-progress", action="store_true", help="no progress bar (none either when not a terminal)")
    _wait_option(bf)

    gen = sub.add_parser("generate", help="write realistic sample landing data",
                         description="Deterministic sample landing data with planted bad records "
                         "(manifest in <out>/_manifest).")
    gen.add_argument("--out", type=Path, required=True, help="landing dir to write")
    gen.add_argument("--customers", type=_at_least(1), default=2000)
    gen.add_argument("--days", type=_at_least(1), default=120)
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--start", type=_date, default=date(2026, 1, 1), help="first business date")
    gen.add_argument("--history-days", type=_at_least(0), default=0,
                     help="also simulate this many days before --start; their records arrive in the "
                     "first drop, like a shop's history export (default 0)")

    demo = sub.add_parser("demo", help="generate sample data and backfill it into the warehouse",
                          description=DEMO_HELP, **raw)
    demo.add_argument("--dir", type=Path, default=None,
                      help="land the sample data here instead of CSI_LANDING_DIR (default ./landing)")
    demo.add_argument("--customers", type=_at_least(1), default=2000)
    demo.add_argument("--days", type=_at_least(1), default=120)
    demo.add_argument("--history-days", type=_at_least(0), default=365,
                      help="days of shop history before the first date, delivered in its drop, so the "
                      "first customer snapshots (the ones the churn backtest can judge) see each "
                      "customer's buying rhythm (default 365)")

    sub.add_parser("config", help="print the effective configuration (secrets masked) and check it",
                   description=CONFIG_HELP, **raw)

    rep = sub.add_parser("report", help="write the offline HTML insight report of a business date",
                         description=REPORT_HELP, **raw)
    rep.add_argument("--date", type=_date, help="business date YYYY-MM-DD (default: the newest successful run)")
    rep.add_argument("--out", type=Path, default=None, help="folder to write to (default: CSI_REPORT_DIR, reports/)")

    chk = sub.add_parser("check", help="run every quality check on every table, whole", description=CHECK_HELP,
                         **raw)
    _wait_option(chk)

    srv = sub.add_parser("serve", help="a local Prefect server, work pool, deployments and worker",
                         description=SERVE_HELP, **raw)
    srv.add_argument("--host", default="127.0.0.1", help="server address (default 127.0.0.1)")
    srv.add_argument("--port", type=int, default=0, help="server port (default 4200 if free, else any free port)")
    srv.add_argument("--pool", default="csi-local", help="process work pool name (default csi-local)")
    srv.add_argument(
        "--cron",
        default=os.environ.get("CSI_NIGHTLY_CRON"),
        help="nightly schedule (default: prefect.yaml's 30 2 * * *, or $CSI_NIGHTLY_CRON)",
    )
    srv.add_argument(
        "--timezone",
        default=os.environ.get("CSI_NIGHTLY_TIMEZONE"),
        help="time zone of the schedule (default: $CSI_NIGHTLY_TIMEZONE, else CSI_TIMEZONE, default Asia/Shanghai)",
    )
    return p


def _wait_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="when another run holds the warehouse, wait up to this long (default 0: exit at once with status 2)",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # A loaded 2-core machine can take over 20 s to start Prefect's ephemeral server.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from csi.cli.commands import dispatch
    from csi.cli.errors import USER_ERRORS

    try:
        return dispatch(args)
    except USER_ERRORS as exc:
        print(f"csi: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("csi: interrupted", file=sys.stderr)
        return 130


def one_line(exc: BaseException) -> str:
    """The message on one line, any URL password masked (the last guard: messages are scrubbed
    where they are made)."""
    from csi.secrets import mask_url

    return mask_url(" ".join(part.strip() for part in str(exc).splitlines() if part.strip()))


if __name__ == "__main__":
    sys.exit(main())
