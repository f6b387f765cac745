"""Backfill and nightly run through the pipeline steps (no Prefect), metered per phase.

Follows flows/pipeline.py's run policy step by step: plan -> stage every date ->
load every date in order -> refresh_marts(run_ids) -> check_quality -> publish ->
finish_runs, so the bench measures what a real run does (staging here is
sequential: the flow stages dates in parallel threads). Inside staging the landing
read and csi.validation.validate are timed by wrapping the names stage.py
imported; the fact rebuild and every mart family likewise; the checks are split
into set-up (the Great Expectations import, paid once per process, and the
context) and the run. Nothing in the pipeline is modified on disk; the wrappers
are removed afterwards.

The Prefect fixed costs (a server start, one flow run against it, the imports of a
fresh worker process) are measured apart by `prefect_costs` and `fresh_imports`.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from datetime import date
from pathlib import Path

from bench.meter import Meter
from csi.clock import business_now
from csi.pipeline import marts as marts_mod
from csi.pipeline import refresh as refresh_mod
from csi.pipeline import stage as stage_mod
from csi.pipeline import steps
from csi.warehouse.publish import publish

MONTHLY = ("mart_satisfaction_monthly", "mart_servqual_monthly", "mart_kano_quarterly", "mart_complaints_monthly",
           "mart_service_recovery_monthly")
SNAPSHOT = ("mart_customer_value", "mart_churn_signals", "mart_whale_curve")
TABLES = ("fct_sales", "fct_survey_answer", "fct_survey_response", "fct_complaint", "mart_customer_value",
          "mart_churn_signals", "mart_whale_curve")


def _timed(meter: Meter, label: str, fn):
    def wrapper(*args, **kwargs):
        with meter.phase(label):
            return fn(*args, **kwargs)
    return wrapper


@contextmanager
def instrumented(meter: Meter, prefix: str):
    """Wrap the landing read, validation, the fact rebuild, the text step, every mart family and the GX context."""
    checkpoint = importlib.import_module("csi.quality.checkpoint")
    saved = (stage_mod.read_landing_file, stage_mod.validate, list(marts_mod.MART_FAMILIES),
             refresh_mod.rebuild_pending_facts, checkpoint._context)
    refresh_mod.rebuild_pending_facts = _timed(meter, f"{prefix}.facts_rebuild", saved[3])
    stage_mod.read_landing_file = _timed(meter, f"{prefix}.stage.ingest_read", saved[0])
    stage_mod.validate = _timed(meter, f"{prefix}.stage.validate", saved[1])
    marts_mod.MART_FAMILIES[:] = [
        replace(f, refresh=_timed(meter, f"{prefix}.marts.{f.name}", f.refresh)) for f in saved[2]]
    checkpoint._context = _timed(meter, f"{prefix}.checks.setup_context", saved[4])
    texts = getattr(refresh_mod, "refresh_texts", None)  # fct_text of the rebuilt facts (docs/voice-of-customer.md)
    if texts is not None:
        refresh_mod.refresh_texts = _timed(meter, f"{prefix}.texts", texts)
    try:
        yield
    finally:
        stage_mod.read_landing_file, stage_mod.validate = saved[0], saved[1]
        marts_mod.MART_FAMILIES[:] = saved[2]
        refresh_mod.rebuild_pending_facts = saved[3]
        checkpoint._context = saved[4]
        if texts is not None:
            refresh_mod.refresh_texts = texts


def process(meter: Meter, settings, dates: list[date], prefix: str, profile=None) -> dict:
    """One run of `dates` as flows.pipeline.process_dates does it; returns counts and failures.

    `profile(phase)` may return a context manager wrapped around each phase (pyinstrument)."""
    wrap = profile or (lambda _phase: nullcontext())
    rows_read: dict[str, int] = {}
    rows_loaded: dict[str, int] = {}
    failed: dict[str, str] = {}
    marts: dict[str, float] = {}
    outcome: dict = {"checks": None, "published": None}
    wh = steps.open_warehouse(settings)
    try:
        with instrumented(meter, prefix), meter.phase(prefix):
            with meter.phase(f"{prefix}.plan"), wrap("plan"):
                plan = steps.plan(wh, settings, dates, force=False)
            failed.update({d.isoformat(): e for d, e in plan.errors.items()})
            staged = {}
            with meter.phase(f"{prefix}.stage"), wrap("stage"):
                for d in plan.todo:
                    started, t0 = business_now(settings.timezone), time.perf_counter()
                    summary = steps.stage(settings, d, started, plan.duplicates[d], plan.files[d])
                    staged[d] = (summary, started, time.perf_counter() - t0)
                    for s, n in summary.rows_read.items():
                        rows_read[s] = rows_read.get(s, 0) + n
            run_ids = list(plan.unfinished.values())
            with meter.phase(f"{prefix}.load"), wrap("load"):
                for d in plan.todo:
                    summary, started, secs = staged[d]
                    try:
                        result = steps.load(wh, settings, summary, started, secs)
                    except steps.QuarantineThresholdExceeded as exc:
                        failed[d.isoformat()] = str(exc)
                        continue
                    run_ids.append(result.run_id)
                    for s, n in result.rows_loaded.items():
                        rows_loaded[s] = rows_loaded.get(s, 0) + n
            if run_ids or plan.has_pending_refresh:
                with meter.phase(f"{prefix}.refresh"), wrap("refresh"):
                    marts = steps.refresh_marts(wh, settings, run_ids)
                with meter.phase(f"{prefix}.checks"), wrap("checks"):
                    if settings.quality_checks:
                        with meter.phase(f"{prefix}.checks.setup_import_gx"):
                            import great_expectations  # noqa: F401 - the first import is the cost measured
                    error, outcome["checks"] = steps.check_quality(wh, settings)
                if error is None:
                    with meter.phase(f"{prefix}.publish"), wrap("publish"):
                        outcome["published"] = str(publish(settings))
                    with meter.phase(f"{prefix}.finish"):
                        steps.finish_runs(wh, settings, run_ids)
                else:
                    failed["checks"] = error
                    steps.fail_runs(wh, settings, run_ids, error)
        with wh.transaction() as tx:
            sizes = {t: tx.scalar(f"SELECT count(*) FROM {t}") for t in TABLES}
            snapshots = tx.scalar("SELECT count(DISTINCT as_of_date) FROM mart_customer_value")
            # rows per mart at the last as-of date: what the SQL baseline computes
            mart_rows = {t: tx.scalar(f"SELECT count(*) FROM {t}") for t in MONTHLY} | {
                t: tx.scalar(f"SELECT count(*) FROM {t} WHERE as_of_date = (SELECT max(as_of_date) FROM {t})")
                for t in SNAPSHOT}
    finally:
        steps.release(settings)
    return {"dates": len(dates), "dates_run": len(plan.todo), "failed": failed, "rows_read": rows_read,
            "rows_loaded": rows_loaded, "refresh_seconds": {k: round(v, 3) for k, v in marts.items()},
            "table_rows": sizes, "customer_snapshots": snapshots,
            "mart_rows_last_date": mart_rows, **outcome}


def fresh_imports(meter: Meter) -> dict:
    """What a new worker process pays before any work: Python + the flow module (Prefect, csi),
    then Great Expectations; measured in a child process (this one has them imported already)."""
    code = ("import time; t0 = time.perf_counter(); import flows.pipeline; t1 = time.perf_counter(); "
            "import great_expectations; t2 = time.perf_counter(); print(t1 - t0, t2 - t1)")
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    wall = time.perf_counter() - t0
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "exit " + str(done.returncode)}
    flow_s, gx_s = (float(x) for x in done.stdout.split())
    meter.add("fixed.fresh_process_import_flow", flow_s)
    meter.add("fixed.fresh_process_import_gx", gx_s)
    return {"process_wall_s": round(wall, 3), "import_flow_s": round(flow_s, 3), "import_gx_s": round(gx_s, 3)}


NOOP_FLOW = "from prefect import flow\n@flow(name='bench-noop')\ndef noop():\n    return 1\nnoop()\n"


def prefect_costs(meter: Meter) -> dict:
    """Seconds to start a Prefect server (as `csi run` without one does, and `csi serve` once), and
    the wall of one no-op flow run against it from a fresh process (a scheduled run's overhead)."""
    from csi.serve import LocalPrefect

    home = Path(tempfile.mkdtemp(prefix="csi-bench-prefect-"))
    out: dict = {}
    server = LocalPrefect(home=home, log_dir=home / "logs")
    try:
        t0 = time.perf_counter()
        with meter.phase("fixed.prefect_server_start"):
            server.start_server(ui=False)
        out["server_start_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        with meter.phase("fixed.prefect_flow_run_fresh_process"):
            done = subprocess.run([sys.executable, "-c", NOOP_FLOW], env=server.env, capture_output=True,
                                  text=True, timeout=300)
        out["flow_run_fresh_process_s"] = round(time.perf_counter() - t0, 3)
        if done.returncode:
            out["flow_run_error"] = done.stderr.strip()[-300:]
    except Exception as exc:  # noqa: BLE001 - reported; the pipeline numbers stand
        out["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
    return out
