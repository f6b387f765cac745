"""The steps of a run after its plan (csi.pipeline.plan), as plain functions the run owner
(csi.pipeline.run) calls, directly or as Prefect tasks (csi.flows.pipeline):

stage (files -> validated Parquet, parallel-safe) -> load (batches of drops, one transaction
each, in date order) -> refresh (dims and marts for what changed) -> checks -> finish.
Each step takes and returns small values.

Run states in ops_pipeline_run (docs/operations.md, "Run states"): a load writes its
date's row as `loaded` in the load's own transaction; the refresh turns the run's
rows `refreshed` in the refresh's transaction; only after the checks passed and the
read-only copy was published do they become `success`. A crash anywhere leaves
rows `loaded` or `refreshed`, which the next run finishes (refresh, checks,
publish) without loading them again; a run that loads a date again marks that
date's unfinished rows `interrupted` and its earlier `success` row `replaced`, in
the load's transaction, so at most one row per date is ever `success` and rows
are never counted twice.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl

from csi.clock import business_now
from csi.faults import crash_point
from csi.ingest.discover import SOURCES, LandingFile
from csi.pipeline import load as loader
from csi.pipeline.refresh import refresh
from csi.pipeline.stage import StageSummary, stage_drop
from csi.secrets import scrub
from csi.settings import Settings
from csi.vocab import RUN_UNFINISHED
from csi.warehouse import runs
from csi.warehouse import tables_ops as ops
from csi.warehouse.engine import Warehouse
from csi.warehouse.staging import files_by_status

FILE_COUNTS = {"ingested": "files_read", "duplicate": "files_duplicate", "unreadable": "files_unreadable",
               "unsupported": "files_unsupported", "refused": "files_refused", "quarantined": "files_quarantined"}


@dataclass
class DateResult:
    """One date of a run, as the summary, the artifacts and the bench read it."""

    business_date: date
    run_id: str  # "" for a date skipped, or failed before a run row could be written
    status: str  # loaded | success | failed | skipped
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_loaded: dict[str, int] = field(default_factory=dict)
    rows_quarantined: dict[str, int] = field(default_factory=dict)
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    problem_files: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    note: str | None = None

    def to_dict(self) -> dict:
        return {**asdict(self), "business_date": self.business_date.isoformat()}


@dataclass
class Staged:
    """A drop staged for loading: its summary, when its staging began (the run row's
    `started_at` and the `in_future` bound) and how long staging took."""

    summary: StageSummary
    started_at: datetime
    seconds: float


def stage(settings: Settings, business_date: date, run_started_at: datetime,
          duplicates: dict[str, str] | None = None, files: list[LandingFile] | None = None) -> StageSummary:
    summary = stage_drop(settings, business_date, run_started_at, duplicates or {}, files=files)
    crash_point("staged")
    return summary


def stage_timed(settings: Settings, business_date: date, duplicates: dict[str, str],
                files: list[LandingFile]) -> Staged:
    """Stage the drop with the files the plan discovered; the date's run starts now."""
    started_at = business_now(settings.timezone)
    t0 = time.perf_counter()
    summary = stage(settings, business_date, started_at, duplicates, files)
    return Staged(summary, started_at, time.perf_counter() - t0)


def check_threshold(settings: Settings, summary: StageSummary) -> str | None:
    """The clear message for the first source over CSI_MAX_QUARANTINE_PCT, else None."""
    for source in SOURCES:
        read, bad = summary.rows_read.get(source, 0), summary.rows_quarantined.get(source, 0)
        if read >= settings.quarantine_min_rows and bad * 100 > settings.max_quarantine_pct * read:
            return (f"{summary.business_date} {source}: {bad} of {read} rows quarantined "
                    f"({100 * bad / read:.1f} % > CSI_MAX_QUARANTINE_PCT={settings.max_quarantine_pct:g}); "
                    f"drop rejected, see ops_quarantine (top reasons: "
                    f"{', '.join(f'{r} x{n}' for r, n in summary.top_reasons[:3])})")
    return None


def load_batch(wh: Warehouse, settings: Settings, batch: list[Staged]) -> list[DateResult]:
    """Load staged drops (distinct dates, in date order) in one transaction and record each date's run.

    Each date gets its own `loaded` run row, or a `failed` one when its drop is over the
    quarantine threshold (its quarantine and file records are loaded, no rows). The same
    transaction retires each date's earlier rows: unfinished ones become `interrupted`, a
    completed one `replaced`, since this load replaces their rows. A crash anywhere in the
    batch rolls the whole batch back. Each run's `load_seconds` is its share of the batch."""
    t0 = time.perf_counter()
    plans = []
    for staged in batch:
        summary = staged.summary
        plans.append((staged, summary.business_date, str(uuid.uuid4()),
                      check_threshold(settings, summary)))
    results = []
    with wh.transaction() as tx:
        rows = loader.load_drops(tx, [loader.StagedDrop(Path(st.summary.stage_dir), d, run_id, bool(rejection))
                                      for st, d, run_id, rejection in plans])
        share = (time.perf_counter() - t0) / max(1, len(plans))
        files = files_by_status(tx, [d for _, d, _, _ in plans])
        for staged, d, run_id, rejection in plans:
            summary = staged.summary
            result = DateResult(d, run_id, "failed" if rejection else "loaded", summary.rows_read, rows[d],
                                summary.rows_quarantined, summary.top_reasons,
                                problem_files=list(getattr(summary, "problem_files", []) or []), error=rejection)
            runs.retire_holding_runs(tx, d, run_id)
            runs.record_run(tx, run_row(result, staged.started_at, summary.input_fingerprint, files[d],
                                        staged.seconds, share, settings.timezone))
            results.append(result)
        crash_point("load")
    crash_point("loaded")
    return results


def refresh_marts(wh: Warehouse, settings: Settings, run_ids: list[str]) -> dict[str, float]:
    """Recompute dims and marts, then mark the run's `loaded` rows `refreshed`, in one transaction
    (on DuckDB the snapshot chunks commit as they go: a crash re-runs the refresh, see load.py)."""
    with wh.transaction() as tx:
        timings = refresh(tx, settings)
        _set_status(tx, run_ids, "refreshed", ("loaded",), settings.timezone,
                    marts_seconds=sum(timings.values()))
    crash_point("refreshed")
    return timings


def finish_runs(wh: Warehouse, settings: Settings, run_ids: list[str]) -> None:
    """Checks passed and the copy is published: the runs are a success."""
    with wh.transaction() as tx:
        _set_status(tx, run_ids, "success", RUN_UNFINISHED, settings.timezone)


def fail_runs(wh: Warehouse, settings: Settings, run_ids: list[str], error: str) -> None:
    """Mark unfinished runs failed (a failed check or publish): a re-run redoes them."""
    with wh.transaction() as tx:
        _set_status(tx, run_ids, "failed", RUN_UNFINISHED, settings.timezone, error=scrub(error, wh.url)[:2000])


def _set_status(tx, run_ids: list[str], status: str, from_states: tuple[str, ...], tz: str,
                marts_seconds: float | None = None, error: str | None = None) -> None:
    runs.set_status(tx, run_ids, status, from_states, business_now(tz), marts_seconds, error)


def record_failure(wh: Warehouse, settings: Settings, business_date: date, started_at: datetime, error: str,
                   fingerprint_: str = "") -> str:
    run_id = str(uuid.uuid4())
    result = DateResult(business_date, run_id, "failed", error=scrub(error, wh.url)[:2000])
    with wh.transaction() as tx:
        runs.record_run(tx, run_row(result, started_at, fingerprint_, {}, None, None, settings.timezone))
    return run_id


def run_row(r: DateResult, started_at: datetime, fingerprint_: str, files: dict[str, int],
            stage_seconds: float | None, load_seconds: float | None, tz: str) -> pl.DataFrame:
    finished = business_now(tz)
    row = {
        "run_id": r.run_id, "business_date": r.business_date, "status": r.status,
        "started_at": started_at, "finished_at": finished,
        "duration_seconds": (finished - started_at).total_seconds(), "input_fingerprint": fingerprint_,
        "stage_seconds": stage_seconds, "load_seconds": load_seconds, "marts_seconds": None, "error": r.error,
    }
    for status, col in FILE_COUNTS.items():
        row[col] = files.get(status, 0)
    for s in SOURCES:
        row[f"{s}_rows_read"] = r.rows_read.get(s, 0)
        row[f"{s}_rows_loaded"] = r.rows_loaded.get(s, 0)
        row[f"{s}_rows_quarantined"] = r.rows_quarantined.get(s, 0)
    return pl.DataFrame([row], schema=ops.OPS_PIPELINE_RUN.polars_schema)


def check_quality(wh: Warehouse, settings: Settings) -> tuple[str | None, dict | None]:
    """Run the warehouse checks on what the run changed (`quality_scope` "changed", the default) or
    on every table whole ("all"): (the failure reason or None, {"checked", "failed", "scope",
    "seconds", "setup_seconds"} or None when checks are off)."""
    if not settings.quality_checks:
        return None, None
    from csi.quality.checkpoint import run_checks

    result = run_checks(settings, "changed" if settings.quality_scope == "changed" else None)
    crash_point("checks")
    counts = {"checked": result.checked, "failed": len(result.failed), "scope": result.scope,
              "seconds": result.seconds, "setup_seconds": result.setup_seconds}
    if result.success:
        return None, counts
    error = (f"data quality: {len(result.failed)} expectation(s) failed: {'; '.join(result.failed[:5])} "
             f"(Data Docs: {result.data_docs})")
    return scrub(error, wh.url), counts
