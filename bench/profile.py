"""Profile one small backfill with pyinstrument, one report per phase (plan, stage, load, refresh).

    python -m bench.profile --scale 1 --days 60

Per-date volume is that of the scale; `--days` keeps the run short. Text reports go
to bench/results/profile-<scale>-<days>d-<phase>.txt, the (large) HTML ones to the
git-ignored bench/.cache/profiles/. pyinstrument is a dev tool: pip install pyinstrument.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from bench import data, runner
from bench.meter import Meter

RESULTS = Path(__file__).parent / "results"
HTML = data.CACHE / "profiles"


def main(argv: list[str] | None = None) -> int:
    from pyinstrument import Profiler

    from csi.settings import load_settings

    ap = argparse.ArgumentParser(prog="python -m bench.profile")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--interval", type=float, default=0.005, help="pyinstrument sampling interval (s)")
    args = ap.parse_args(argv)
    gen = data.GenArgs.for_scale(args.scale, args.days)
    landing, _ = data.landing_for(args.scale, gen)
    work = Path(tempfile.mkdtemp(prefix="csi-profile-"))
    settings = load_settings(warehouse_url=f"duckdb:///{work / 'warehouse.duckdb'}", landing_dir=landing,
                             work_dir=work / "work")
    stem = RESULTS / f"profile-{args.scale:g}-{args.days}d"
    RESULTS.mkdir(exist_ok=True)
    HTML.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def profile(phase: str):
        prof = Profiler(interval=args.interval)
        prof.start()
        try:
            yield
        finally:
            prof.stop()
            Path(f"{stem}-{phase}.txt").write_text(prof.output_text(unicode=False, color=False, show_all=False))
            (HTML / f"{stem.name}-{phase}.html").write_text(prof.output_html())

    meter = Meter()
    try:
        out = runner.process(meter, settings, gen.backfill_dates(), "backfill", profile=profile)
    finally:
        meter.stop()
        shutil.rmtree(work, ignore_errors=True)
    for label, row in meter.table().items():
        print(f"{label:40s} {row['seconds']:9.2f} s  peak {row['peak_rss_mib']} MiB")
    print(out["refresh_seconds"])
    print(f"profiles: {stem}-<phase>.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
