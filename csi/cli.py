"""The `csi` command: run, backfill, generate, demo, config, serve.

Errors a person can fix (configuration, landing, a busy warehouse) are printed as
one clear message with exit status 2; a date that failed gives exit status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

EPILOG = """configuration: CSI_* environment variables or a YAML file named by CSI_CONFIG_FILE
(see `csi config`). Main settings: CSI_WAREHOUSE_URL (default duckdb:///warehouse.duckdb),
CSI_LANDING_DIR (default ./landing), CSI_MAX_QUARANTINE_PCT (default 5)."""


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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="csi", description="Customer-satisfaction intelligence: landing files -> warehouse.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="the nightly job for one business date",
                         description="Ingest, validate and load one drop, then refresh the marts.")
    run.add_argument("--date", type=_date, help="business date (default: yesterday in CSI_TIMEZONE)")
    _wait_option(run)

    bf = sub.add_parser("backfill", help="every date in a range",
                        description="Process every date from --start to --end (inclusive). Dates "
                        "already loaded with unchanged input are skipped unless --force.")
    bf.add_argument("--start", type=_date, required=True, help="first business date")
    bf.add_argument("--end", type=_date, required=True, help="last business date")
    bf.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="dates staged in parallel (default: cores)")
    bf.add_argument("--force", action="store_true", help="re-run dates already loaded")
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
    bf.add_argument("--no-progress", action="store_true", help="no progress bar")
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
                          description="Generate sample landing data under --dir and backfill it "
                          "into the configured warehouse (default warehouse.duckdb).")
    demo.add_argument("--dir", type=Path, default=Path("demo"), help="where the demo lands (default ./demo)")
    demo.add_argument("--customers", type=_at_least(1), default=2000)
    demo.add_argument("--days", type=_at_least(1), default=120)
    demo.add_argument("--history-days", type=_at_least(0), default=365,
                      help="days of shop history before the first date, delivered in its drop, so the "
                      "first customer snapshots (the ones the churn backtest can judge) see each "
                      "customer's buying rhythm (default 365)")

    sub.add_parser("config", help="print the effective configuration (secrets masked)")

    srv = sub.add_parser(
        "serve",
        help="a local Prefect server, work pool, deployments and worker",
        description="Start a Prefect server on this machine, create the process work "
        "pool, deploy deployments/prefect.yaml (nightly schedule + backfill) and start a "
        "worker. Ctrl-C stops everything it started.",
    )
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
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="when another run holds the warehouse, wait up to this long (default 0: exit at once with status 2)",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # A loaded 2-core machine can take over 20 s to start Prefect's ephemeral server.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from csi.cli_commands import dispatch
    from csi.errors import USER_ERRORS

    try:
        return dispatch(args)
    except USER_ERRORS as exc:
        print(f"csi: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("csi: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
