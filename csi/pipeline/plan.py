"""What a run will do with each date: load it, finish it, skip it, or fail it at once.

Discovers each date's landing files once (staging receives them: nothing is discovered or
hashed twice), compares their fingerprint with the date's latest run, finds the later drops
a re-delivered file makes run again (csi.ingest.dedup) and the duplicate files, and whether
a crashed refresh left work pending. Dates are `date` values throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from csi.clock import business_today
from csi.ingest import discover as landing
from csi.ingest.dedup import plan_duplicates, redelivered_dates
from csi.ingest.discover import LandingError, LandingFile, fingerprint
from csi.settings import Settings
from csi.vocab import RUN_UNFINISHED
from csi.warehouse import runs
from csi.warehouse.deliveries import recorded_files
from csi.warehouse.engine import Warehouse


@dataclass
class RunPlan:
    """What a run will do; dates as `date` values."""

    dates: list[date]  # requested and cascaded, in date order
    todo: list[date] = field(default_factory=list)  # to stage and load
    files: dict[date, list[LandingFile]] = field(default_factory=dict)
    duplicates: dict[date, dict[str, str]] = field(default_factory=dict)
    errors: dict[date, str] = field(default_factory=dict)  # no drop, a drop in the future
    unfinished: dict[date, str] = field(default_factory=dict)  # loaded earlier, not yet success: run_id
    cascaded: list[date] = field(default_factory=list)  # later drops re-run: an earlier drop now has their file
    bad_folders: list[tuple[str, str]] = field(default_factory=list)
    has_pending_refresh: bool = False  # dirty periods or pending keys left by a crashed refresh

    @property
    def needs_finish(self) -> bool:
        return bool(self.todo or self.unfinished or self.has_pending_refresh)


def latest_runs(wh: Warehouse) -> dict[date, tuple[str, str, str]]:
    with wh.transaction() as tx:
        return runs.latest_runs(tx)


def pending_refresh(wh: Warehouse) -> bool:
    """True when a refresh was cut short: dirty periods or pending keys are left."""
    with wh.transaction() as tx:
        return runs.has_pending_refresh(tx)


def plan(wh: Warehouse, settings: Settings, dates: list[date], force: bool, allow_future: bool = False
         ) -> RunPlan:
    """Discover each date's files once and decide what the run does with each date."""
    today = business_today(settings.timezone)
    latest = latest_runs(wh)
    result = RunPlan(dates=sorted(dates), bad_folders=landing.misnamed_drop_folders(settings.landing_dir)
                     if Path(settings.landing_dir).is_dir() else [])
    for d in result.dates:
        if d > today and not allow_future:
            result.errors[d] = (f"drop dt={d} is dated after today ({today} in {settings.timezone}): refused; "
                                "pass --allow-future to process it")
            continue
        try:
            result.files[d] = landing.discover(settings.landing_dir, d)
        except LandingError as exc:
            result.errors[d] = str(exc)
            continue
        status, fp, run_id = latest.get(d, (None, None, None))
        if not force and fp == fingerprint(result.files[d]):
            if status == "success":
                continue
            if status in RUN_UNFINISHED:  # loaded by a run that did not finish: finish it, do not reload
                result.unfinished[d] = run_id
                continue
        result.todo.append(d)

    def discover_more(d: date) -> list[LandingFile] | None:
        if d in result.files:  # discovered above (a date of the run that was done or unfinished)
            return result.files[d]
        try:
            return landing.discover(settings.landing_dir, d)
        except LandingError:
            return None

    recorded = recorded_files(wh)  # read once: both decisions below need it
    # a file that now arrives in an earlier drop makes the later drop's copy a duplicate
    # (and one that left an earlier drop makes the later copy the original): re-run those
    extra = redelivered_dates(recorded, {d: result.files[d] for d in result.todo}, discover_more)
    for d, files in extra.items():
        result.files[d] = files
        result.unfinished.pop(d, None)
    result.cascaded = sorted(extra)
    result.todo = sorted({*result.todo, *extra})
    result.dates = sorted({*result.dates, *extra})
    result.duplicates = plan_duplicates(recorded, {d: result.files[d] for d in result.todo})
    result.has_pending_refresh = pending_refresh(wh)
    return result
