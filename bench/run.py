"""`make bench SCALE=1`: generate (cached), backfill, nightly run, baseline; write results.

    python -m bench.run --scale 1 [--cadence weekly] [--no-gx] [--no-baseline]

SCALE 1 = ~1 M sales lines over 730 days. Results: bench/results/<date>-<scale>.json
and .md. Targets are reported, never asserted: the exit code is 0 unless the
benchmark itself breaks. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench import data, floor, machine, report, runner
from bench.meter import Meter
from csi.warehouse.publish import publish

RESULTS = Path(__file__).parent / "results"


def save(stem: Path, result: dict, meter: Meter | None = None, final: bool = False) -> None:
    """Write the JSON and markdown (also after each step, so a stopped run leaves its numbers)."""
    if meter is not None:
        result["phases"] = meter.table()
        result["overall_peak_rss_mib"] = round(meter.overall_peak / 2**20, 1)
    result["complete"] = final
    result["targets"] = report.targets(result)
    Path(f"{stem}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    Path(f"{stem}.md").write_text(report.markdown(result))


def _commit() -> str | None:
    """The commit measured: CSI_BENCH_COMMIT (a run from an exported tree), else the checkout's HEAD
    with "+dirty" when its csi/, transforms/ or flows/ have uncommitted changes."""
    if os.environ.get("CSI_BENCH_COMMIT"):
        return os.environ["CSI_BENCH_COMMIT"]
    repo = Path(__file__).parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "csi", "transforms", "flows", "schemas"],
                               cwd=repo, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def landing_baseline(meter: Meter, settings, landing: Path, dates: list) -> dict:
    """bench.baseline_landing in a child process (its own peak RSS), over the backfill's drops."""
    out = Path(tempfile.mkstemp(prefix="csi-baseline-", suffix=".json")[1])
    cmd = [sys.executable, "-m", "bench.baseline_landing", str(landing), min(dates).isoformat(),
           max(dates).isoformat(), str(settings.instrument_catalog), str(out)]
    t0 = time.perf_counter()
    with meter.phase("sql_baseline"):
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).parents[1])
    wall = time.perf_counter() - t0
    try:
        if done.returncode:
            return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
        return {**json.loads(out.read_text()), "process_wall_seconds": round(wall, 3)}
    finally:
        out.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="1 = ~1 M sales lines over 730 days")
    ap.add_argument("--days", type=int, default=None,
                    help=f"backfill days (default {data.DAYS}; {data.SMOKE_DAYS} below scale 0.1: the CI smoke test)")
    ap.add_argument("--cadence", choices=("daily", "weekly"), default=None,
                    help="customer snapshot cadence (default: CSI_CUSTOMER_VALUE__SNAPSHOT_CADENCE or daily)")
    ap.add_argument("--no-gx", action="store_true", help="skip the Great Expectations checks")
    ap.add_argument("--no-baseline", action="store_true", help="skip both DuckDB SQL baselines")
    ap.add_argument("--fixed-costs", action=argparse.BooleanOptionalAction, default=None,
                    help="measure a Prefect server start, a flow run against it and a fresh process's imports "
                         "(default: at scale >= 1; tens of seconds)")
    ap.add_argument("--duckdb-memory-limit", default=None, metavar="SIZE",
                    help="CSI_DUCKDB_MEMORY_LIMIT for the run, e.g. 4GB, or '' for DuckDB's own default "
                         "(80%% of RAM) (default: the setting's, 25%% of the memory); DuckDB spills to disk above it")
    ap.add_argument("--keep", action="store_true", help="keep the warehouse (path printed)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    if args.cadence:
        os.environ["CSI_CUSTOMER_VALUE__SNAPSHOT_CADENCE"] = args.cadence

    from csi.settings import load_settings

    days = args.days or (data.DAYS if args.scale >= 0.1 else data.SMOKE_DAYS)
    gen = data.GenArgs.for_scale(args.scale, days)
    stem = f"{date.today().isoformat()}-{args.scale:g}" + ("" if days == data.DAYS else f"-{days}d")
    args.out.mkdir(parents=True, exist_ok=True)
    result: dict = {"scale": args.scale, "generator": gen.__dict__, "machine": machine.describe(),
                    "started_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "commit": _commit()}
    print(f"bench scale {args.scale:g}: {gen.customers} customers x {gen.days}+1 days", flush=True)
    landing, result["generation"] = data.landing_for(args.scale, gen)
    print(f"  landing {landing} ({result['generation']})", flush=True)

    work = Path(tempfile.mkdtemp(prefix=f"csi-bench-{args.scale:g}-"))
    url = f"duckdb:///{work / 'warehouse.duckdb'}"
    limit = {} if args.duckdb_memory_limit is None else {"duckdb_memory_limit": args.duckdb_memory_limit}
    settings = load_settings(warehouse_url=url, **limit, landing_dir=landing, work_dir=work / "work",
                             data_docs_dir=work / "data_docs", report_dir=work / "reports",
                             quality_checks=not args.no_gx)
    result["settings"] = {"snapshot_cadence": settings.customer_value.snapshot_cadence,
                          "duckdb_memory_limit": settings.duckdb_memory_limit or "DuckDB default (80% of RAM)",
                          "staging": "sequential (the flow stages dates in parallel threads)"}
    meter = Meter()
    try:
        dates = gen.backfill_dates()
        with meter.phase("floor.read_landing"):
            result["floor"] = floor.read_floor(landing, dates)
        print(f"  floor: {result['floor']}", flush=True)
        if not args.no_baseline:
            result["sql_baseline"] = landing_baseline(meter, settings, landing, dates)
            save(args.out / stem, result, meter)
            print(f"  SQL baseline from landing: {result['sql_baseline'].get('seconds')} s", flush=True)
        result["backfill"] = runner.process(meter, settings, dates, "backfill")
        save(args.out / stem, result, meter)
        print(f"  backfill: {meter.seconds['backfill']:.1f} s {result['backfill']['refresh_seconds']}", flush=True)
        # steady state: every night publishes, so both generations of the copy exist (untimed)
        publish(settings)
        nightly = gen.nightly_date()
        result["nightly_floor"] = floor.read_floor(landing, [nightly])
        result["nightly"] = runner.process(meter, settings, [nightly], "nightly")
        save(args.out / stem, result, meter)
        print(f"  nightly: {meter.seconds['nightly']:.2f} s", flush=True)
        if args.fixed_costs if args.fixed_costs is not None else args.scale >= 1:
            # the same date again, as the schedule runs it: a fresh `csi run` against a running server
            result["fixed_costs"] = {"prefect": runner.prefect_costs(meter, nightly=(settings, nightly)),
                                     "imports": runner.fresh_imports(meter)}
            save(args.out / stem, result, meter)
            print(f"  scheduled nightly: {result['fixed_costs']['prefect'].get('nightly_scheduled_s')} s", flush=True)
        if not args.no_baseline:
            try:
                from bench import baseline

                result["baseline"] = baseline.compare(meter, settings)
            except Exception as exc:  # noqa: BLE001 - reported; the pipeline numbers stand
                result["baseline_error"] = f"{type(exc).__name__}: {exc}"
            save(args.out / stem, result, meter)
        result["db_bytes"] = (work / "warehouse.duckdb").stat().st_size
    finally:
        meter.stop()
        result["phases"] = meter.table()
        result["overall_peak_rss_mib"] = round(meter.overall_peak / 2**20, 1)
        result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        if args.keep:
            print(f"  warehouse kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    save(args.out / stem, result, final=True)
    print(report.markdown(result))
    print(f"wrote {args.out / stem}.json and .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
