"""Backfill and nightly run through the pipeline steps (no Prefect), metered per stage.

Calls csi.pipeline.steps directly: plan -> stage every date -> load every date in
order -> refresh_marts once, as flows/pipeline.py does (staging here is sequential:
the flow stages dates in parallel threads). Inside staging, the landing read
(ingest) and csi.quarantine.validate are timed by wrapping the names stage.py
imported; mart families by wrapping csi.pipeline.marts.MART_FAMILIES. Nothing in
the pipeline is modified on disk; the wrappers are removed afterwards.
"""

from __future__ import annotations

import time
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from datetime import date, datetime

from bench.meter import Meter
from csi.pipeline import marts as marts_mod
from csi.pipeline import refresh as refresh_mod
from csi.pipeline import stage as stage_mod
from csi.pipeline import steps


def _timed(meter: Meter, label: str, fn):
    def wrapper(*args, **kwargs):
        with meter.phase(label):
            return fn(*args, **kwargs)
    return wrapper


@contextmanager
def instrumented(meter: Meter, prefix: str):
    """Wrap the landing read, validation, the fact rebuild and every mart family with meter phases."""
    saved = (stage_mod.read_landing_file, stage_mod.validate, list(marts_mod.MART_FAMILIES),
             refresh_mod.rebuild_pending_facts)
    refresh_mod.rebuild_pending_facts = _timed(meter, f"{prefix}.facts_rebuild", saved[3])
    stage_mod.read_landing_file = _timed(meter, f"{prefix}.stage.ingest_read", saved[0])
    stage_mod.validate = _timed(meter, f"{prefix}.stage.validate", saved[1])
    marts_mod.MART_FAMILIES[:] = [
        replace(f, refresh=_timed(meter, f"{prefix}.marts.{f.name}", f.refresh)) for f in saved[2]]
    try:
        yield
    finally:
        stage_mod.read_landing_file, stage_mod.validate = saved[0], saved[1]
        marts_mod.MART_FAMILIES[:] = saved[2]
        refresh_mod.rebuild_pending_facts = saved[3]


def process(meter: Meter, settings, dates: list[date], prefix: str, profile=None) -> dict:
    """plan, stage, load, refresh `dates` as one run; returns counts and per-date failures.

    `profile(phase)` may return a context manager wrapped around each phase (pyinstrument)."""
    wrap = profile or (lambda _phase: nullcontext())
    rows_read: dict[str, int] = {}
    rows_loaded: dict[str, int] = {}
    failed: dict[str, str] = {}
    wh = steps.open_warehouse(settings)
    try:
        with instrumented(meter, prefix), meter.phase(prefix):
            with meter.phase(f"{prefix}.plan"), wrap("plan"):
                todo, duplicates, errors = steps.plan(wh, settings, dates, force=False)
            failed.update({d.isoformat(): e for d, e in errors.items()})
            staged = {}
            with meter.phase(f"{prefix}.stage"), wrap("stage"):
                for d in todo:
                    started, t0 = datetime.now(), time.perf_counter()
                    summary = steps.stage(settings, d, started, duplicates[d])
                    staged[d] = (summary, started, time.perf_counter() - t0)
                    for s, n in summary.rows_read.items():
                        rows_read[s] = rows_read.get(s, 0) + n
            with meter.phase(f"{prefix}.load"), wrap("load"):
                for d in todo:
                    summary, started, secs = staged[d]
                    try:
                        result = steps.load(wh, settings, summary, started, secs)
                    except steps.QuarantineThresholdExceeded as exc:
                        failed[d.isoformat()] = str(exc)
                        continue
                    for s, n in result.rows_loaded.items():
                        rows_loaded[s] = rows_loaded.get(s, 0) + n
            with meter.phase(f"{prefix}.refresh"), wrap("refresh"):
                marts = steps.refresh_marts(wh, settings) if len(failed) < len(dates) else {}
        with wh.transaction() as tx:
            sizes = {t: tx.scalar(f"SELECT count(*) FROM {t}") for t in (
                "fct_sales", "fct_survey_answer", "fct_survey_response", "fct_complaint",
                "mart_customer_value", "mart_churn_signals")}
    finally:
        wh.dispose()
    return {"dates": len(dates), "dates_run": len(todo), "failed": failed, "rows_read": rows_read,
            "rows_loaded": rows_loaded, "refresh_seconds": {k: round(v, 3) for k, v in marts.items()},
            "table_rows": sizes}


def run_quality(meter: Meter, settings) -> dict:
    """The Great Expectations checks (csi.quality), when that package imports."""
    try:
        from csi.quality.checkpoint import run_checks
    except Exception as exc:  # noqa: BLE001 - optional: skipped, and the report says why
        return {"skipped": f"{type(exc).__name__}: {exc}"}
    try:
        with meter.phase("quality.gx_checks"):
            result = run_checks(settings)
    except Exception as exc:  # noqa: BLE001 - work in progress elsewhere: report, do not fail the bench
        return {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    return {"success": result.success, "checked": result.checked, "failed": len(result.failed)}
