"""Benchmark input: generated landing data, cached under bench/.cache/<scale>/ by generator args.

SCALE 1 = about 1 M sales lines over 730 days. The generator gives 6.4 M lines for
200 000 customers x 730 days, so ~31 250 customers per million lines; surveys and
complaints follow from the generator's own ratios. One extra day is generated for
the nightly run (days + 1): the backfill loads the first `days` dates, the nightly
run the last one.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

CACHE = Path(__file__).parent / ".cache"
CUSTOMERS_PER_SCALE = 31_250
DAYS = 730
SEED = 20261123
START = date(2023, 12, 29)  # + 730 days = Sunday 2025-12-28: the nightly date is a weekly snapshot date
SMOKE_DAYS = 28  # scales below 0.1 are CI smoke tests: 28 days unless --days says otherwise


@dataclass(frozen=True)
class GenArgs:
    customers: int
    days: int  # backfill days; the landing holds days + 1 drops
    seed: int
    start_date: str

    @classmethod
    def for_scale(cls, scale: float, days: int = DAYS) -> GenArgs:
        return cls(max(200, round(CUSTOMERS_PER_SCALE * scale)), days, SEED, START.isoformat())

    @property
    def start(self) -> date:
        return date.fromisoformat(self.start_date)

    def backfill_dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def nightly_date(self) -> date:
        return self.start + timedelta(days=self.days)


def landing_for(scale: float, args: GenArgs) -> tuple[Path, dict]:
    """The landing dir for these args (generated unless cached) and generation facts."""
    folder = CACHE / (f"{scale:g}" if args.days == DAYS else f"{scale:g}-{args.days}d")
    key_file = folder / "args.json"
    wanted = asdict(args)
    if key_file.is_file():
        cached = json.loads(key_file.read_text())
        if cached.get("args") == wanted and (folder / "landing" / "_manifest").is_dir():
            return folder / "landing", {**cached["summary"], "cached": True}
    from csi.generate import generate

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    summary = generate(folder / "landing", args.customers, args.days + 1, args.seed, args.start)
    facts = {"seconds": round(time.perf_counter() - t0, 2), "files": summary.files, "rows": summary.rows,
             "bad_records": summary.bad_records}
    key_file.write_text(json.dumps({"args": wanted, "summary": facts}, indent=2))
    return folder / "landing", {**facts, "cached": False}
