"""The steps of a run, as plain functions the Prefect flows wire together.

stage (files -> validated Parquet, parallel-safe) -> load (one transaction per
drop, serialised in date order) -> refresh (dims and marts for what changed,
one transaction). Each step takes and returns small values.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from csi.ingest.discover import SOURCES, LandingError, LandingFile, discover, fingerprint
from csi.pipeline import load as loader
from csi.pipeline.dedup import plan_duplicates
from csi.pipeline.refresh import refresh
from csi.pipeline.stage import StageSummary, stage_drop
from csi.secrets import scrub
from csi.settings import Settings
from csi.warehouse import tables_ops as ops
from csi.warehouse.ddl import create_schema
from csi.warehouse.engine import Warehouse


class QuarantineThresholdExceeded(Exception):
    """Too large a share of a source's rows was quarantined: the drop is rejected."""


@dataclass
class DateResult:
    business_date: str
    run_id: str
    status: str  # loaded | failed | skipped
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_loaded: dict[str, int] = field(default_factory=dict)
    rows_quarantined: dict[str, int] = field(default_factory=dict)
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


_SHARED: dict[str, Warehouse] = {}


def connect(settings: Settings) -> Warehouse:
    """The process's shared warehouse handle, assuming its schema is current (the flow
    ran open_warehouse first). Tasks of one flow reuse its connection; `release` closes it."""
    if settings.url not in _SHARED:
        _SHARED[settings.url] = Warehouse(settings.url)
    return _SHARED[settings.url]


def release(settings: Settings) -> None:
    """Close the shared handle (end of a flow), so other processes can open a DuckDB file."""
    wh = _SHARED.pop(settings.url, None)
    if wh is not None:
        wh.dispose()


def open_warehouse(settings: Settings) -> Warehouse:
    """The warehouse with its schema created or migrated: once per flow, not per task."""
    wh = connect(settings)
    create_schema(wh)
    return wh


def is_done(wh: Warehouse, business_date: date, files: list[LandingFile]) -> bool:
    """True when the date's latest run succeeded on exactly the input now in landing."""
    current = fingerprint(files)
    with wh.transaction() as tx:
        latest = tx.read(
            "SELECT status, input_fingerprint FROM ops_pipeline_run WHERE business_date = :d "
            "ORDER BY started_at DESC LIMIT 1", {"d": business_date})
    return latest.height == 1 and latest.row(0) == ("success", current)


def plan(wh: Warehouse, settings: Settings, dates: list[date], force: bool
         ) -> tuple[list[date], dict[date, dict[str, str]], dict[date, str]]:
    """(dates to run, duplicate files per date, landing errors per date)."""
    todo, errors, files = [], {}, {}
    for d in dates:
        try:
            files[d] = discover(settings.landing_dir, d)
        except LandingError as exc:
            errors[d] = str(exc)
            continue
        if force or not is_done(wh, d, files[d]):
            todo.append(d)
    return todo, plan_duplicates(wh, {d: files[d] for d in todo}), errors


def stage(settings: Settings, business_date: date, run_started_at: datetime,
          duplicates: dict[str, str] | None = None) -> StageSummary:
    return stage_drop(settings, business_date, run_started_at, duplicates or {})


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


def load(wh: Warehouse, settings: Settings, summary: StageSummary, started_at: datetime,
         stage_seconds: float) -> DateResult:
    """Load the staged drop in one transaction and record the run."""
    run_id = str(uuid.uuid4())
    business_date = date.fromisoformat(summary.business_date)
    rejection = check_threshold(settings, summary)
    t0 = time.perf_counter()
    with wh.transaction() as tx:
        staged = loader.load_drop(tx, Path(summary.stage_dir), business_date, run_id, reject=bool(rejection))
        files = tx.read("SELECT status, count(*) AS n FROM ops_ingested_file WHERE drop_date = :d "
                        "GROUP BY status", {"d": business_date})
        by_status = dict(files.iter_rows()) if files.height else {}
        result = DateResult(summary.business_date, run_id, "failed" if rejection else "loaded",
                            summary.rows_read, staged, summary.rows_quarantined, summary.top_reasons,
                            error=rejection)
        tx.insert(ops.OPS_PIPELINE_RUN, run_row(result, started_at, summary.input_fingerprint, by_status,
                                                stage_seconds, time.perf_counter() - t0))
    if rejection:
        raise QuarantineThresholdExceeded(rejection)
    return result


def refresh_marts(wh: Warehouse, settings: Settings) -> dict[str, float]:
    """Recompute dims and marts, then mark every loaded run a success."""
    with wh.transaction() as tx:
        timings = refresh(tx, settings)
        tx.execute("UPDATE ops_pipeline_run SET status = 'success', marts_seconds = :s "
                   "WHERE status = 'loaded'", {"s": sum(timings.values())})
    return timings


def record_failure(wh: Warehouse, business_date: date, started_at: datetime, error: str,
                   fingerprint_: str = "") -> str:
    run_id = str(uuid.uuid4())
    result = DateResult(business_date.isoformat(), run_id, "failed", error=scrub(error, wh.url)[:2000])
    with wh.transaction() as tx:
        tx.insert(ops.OPS_PIPELINE_RUN, run_row(result, started_at, fingerprint_, {}, None, None))
    return run_id


def run_row(r: DateResult, started_at: datetime, fingerprint_: str, files: dict[str, int],
            stage_seconds: float | None, load_seconds: float | None):
    import polars as pl

    finished = datetime.now()
    row = {
        "run_id": r.run_id, "business_date": date.fromisoformat(r.business_date), "status": r.status,
        "started_at": started_at, "finished_at": finished,
        "duration_seconds": (finished - started_at).total_seconds(), "input_fingerprint": fingerprint_,
        "files_read": files.get("ingested", 0), "files_duplicate": files.get("duplicate", 0),
        "files_unreadable": files.get("unreadable", 0), "stage_seconds": stage_seconds,
        "load_seconds": load_seconds, "marts_seconds": None, "error": r.error,
    }
    for s in SOURCES:
        row[f"{s}_rows_read"] = r.rows_read.get(s, 0)
        row[f"{s}_rows_loaded"] = r.rows_loaded.get(s, 0)
        row[f"{s}_rows_quarantined"] = r.rows_quarantined.get(s, 0)
    return pl.DataFrame([row], schema=ops.OPS_PIPELINE_RUN.polars_schema)


def fail_runs(wh: Warehouse, run_ids: list[str], error: str) -> None:
    """Mark runs failed after the fact (a failed quality check): a re-run redoes them."""
    with wh.transaction() as tx:
        for run_id in run_ids:
            tx.execute("UPDATE ops_pipeline_run SET status = 'failed', error = :e WHERE run_id = :r",
                       {"e": scrub(error, wh.url), "r": run_id})


def check_quality(wh: Warehouse, settings: Settings, run_ids: list[str]) -> str | None:
    """Run the warehouse checks; on failure mark the runs failed and return the reason."""
    if not settings.quality_checks:
        return None
    from csi.quality.checkpoint import run_checks

    result = run_checks(settings)
    if result.success:
        return None
    error = (f"data quality: {len(result.failed)} expectation(s) failed: {'; '.join(result.failed[:5])} "
             f"(Data Docs: {result.data_docs})")
    fail_runs(wh, run_ids, error)
    return error
