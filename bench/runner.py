"""Backfill and nightly run through the run owner (csi.pipeline.run, no Prefect), metered per phase.

`process` calls csi.pipeline.run.run_dates, the policy the flows run, with a runner of
the same steps that meters them: staging (sequential here; the flow stages dates in
parallel threads) and loading per date, the first Great Expectations import (paid once
per process) apart from the checks. The owner's phase events (csi.events) open and
close the phases `<prefix>.plan`, `.stage_and_load`, `.refresh`, `.checks`, `.publish`,
`.report`; the refresh's own timings (facts, texts, dimensions, every mart family) are
recorded as `<prefix>.facts_rebuild`, `<prefix>.texts` and `<prefix>.marts.<family>`.
Nothing in the pipeline is patched.

The Prefect fixed costs (a server start, one flow run against it, the imports of a
fresh worker process) are measured apart by `prefect_costs` and `fresh_imports`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, nullcontext
from datetime import date
from pathlib import Path

from bench.meter import Meter
from csi import events
from csi.pipeline.run import Inline, RunResult, run_dates
from csi.vocab import SOURCES
from csi.warehouse.engine import Warehouse
from csi.warehouse.inventory import distinct_values, rows_at_latest, table_rows

MONTHLY = ("mart_satisfaction_monthly", "mart_servqual_monthly", "mart_kano_quarterly", "mart_complaints_monthly",
           "mart_service_recovery_monthly")
SNAPSHOT = ("mart_customer_value", "mart_churn_signals", "mart_whale_curve")
TABLES = ("fct_sales", "fct_survey_answer", "fct_survey_response", "fct_complaint", "mart_customer_value",
          "mart_churn_signals", "mart_whale_curve")
OWNER_PHASES = {"load": "stage_and_load"}  # the owner's "load" stages and loads; the runner splits them
REFRESH_STEPS = {"facts": "facts_rebuild", "texts": "texts", "dimensions": "dimensions"}


class MeteredSteps(Inline):
    """The inline steps, each call metered (and wrapped in `profile(phase)` when given)."""

    def __init__(self, meter: Meter, prefix: str, profile=None):
        self.meter, self.prefix = meter, prefix
        self.wrap = profile or (lambda _phase: nullcontext())
        self.gx_imported = False

    def _timed(self, phase: str):
        stack = ExitStack()
        stack.enter_context(self.meter.phase(f"{self.prefix}.{phase}"))
        stack.enter_context(self.wrap(phase))
        return stack

    def stage(self, settings, plan):
        staging = super().stage(settings, plan)
        outer = self

        class Timed:
            def __init__(self, pending):
                self.pending = pending

            def result(self):
                with outer._timed("stage"):
                    return self.pending.result()

        return {d: Timed(p) for d, p in staging.items()}

    def load(self, settings, batch):
        with self._timed("load"):
            return super().load(settings, batch)

    def refresh(self, settings, run_ids):
        with self.wrap("refresh"):
            timings = super().refresh(settings, run_ids)
        for name, seconds in timings.items():
            self.meter.add(f"{self.prefix}.{REFRESH_STEPS.get(name, 'marts.' + name)}", seconds)
        return timings

    def check(self, settings):
        if settings.quality_checks and not self.gx_imported:
            with self.meter.phase(f"{self.prefix}.checks.setup_import_gx"):
                import great_expectations  # noqa: F401 - the first import is the cost measured
            self.gx_imported = True
        with self.wrap("checks"):
            return super().check(settings)


def process(meter: Meter, settings, dates: list[date], prefix: str, profile=None) -> dict:
    """One run of `dates` by the run owner; returns counts and failures.

    `profile(phase)` may return a context manager wrapped around each step (pyinstrument)."""
    open_phases: dict[str, ExitStack] = {}

    def on_event(event: dict) -> None:
        if event.get("event") != "phase" or event["phase"] == "prefect":
            return
        label = f"{prefix}.{OWNER_PHASES.get(event['phase'], event['phase'])}"
        if event["state"] == "start":
            stack = ExitStack()
            stack.enter_context(meter.phase(label))
            open_phases[label] = stack
        elif label in open_phases:
            open_phases.pop(label).close()

    with events.listening(on_event), meter.phase(prefix):
        result: RunResult = run_dates(settings, dates, force=False, title=prefix,
                                      runner=MeteredSteps(meter, prefix, profile))
    failed = {r.business_date.isoformat(): r.error for r in result.failed}
    ran = [r for r in result.dates if r.status != "skipped"]
    wh = Warehouse(settings.url)
    try:
        with wh.transaction() as tx:
            sizes = table_rows(tx, TABLES)
            snapshots = distinct_values(tx, "mart_customer_value", "as_of_date")
            # rows per mart at the last as-of date: what the SQL baseline computes
            mart_rows = table_rows(tx, MONTHLY) | {t: rows_at_latest(tx, t, "as_of_date") for t in SNAPSHOT}
    finally:
        wh.dispose()
    total = SOURCES
    return {"dates": len(dates), "dates_run": len(ran), "failed": failed,
            "rows_read": {s: sum(r.rows_read.get(s, 0) for r in ran) for s in total},
            "rows_loaded": {s: sum(r.rows_loaded.get(s, 0) for r in ran) for s in total},
            "refresh_seconds": {k: round(v, 3) for k, v in result.marts_seconds.items()},
            "table_rows": sizes, "customer_snapshots": snapshots, "mart_rows_last_date": mart_rows,
            "checks": result.checks, "published": result.published}


def fresh_imports(meter: Meter) -> dict:
    """What a new worker process pays before any work: Python + the flow module (Prefect, csi),
    then Great Expectations; measured in a child process (this one has them imported already)."""
    code = ("import time; t0 = time.perf_counter(); import csi.flows.pipeline; t1 = time.perf_counter(); "
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


def _child_env(settings) -> dict[str, str]:
    """The CSI_ environment of `settings` for a child `csi` process."""
    return {"CSI_WAREHOUSE_URL": settings.url, "CSI_LANDING_DIR": str(settings.landing_dir),
            "CSI_WORK_DIR": str(settings.work_dir), "CSI_DATA_DOCS_DIR": str(settings.data_docs_dir),
            "CSI_REPORT_DIR": str(settings.report_dir), "CSI_TIMEZONE": settings.timezone,
            "CSI_QUALITY_CHECKS": "true" if settings.quality_checks else "false",
            "CSI_CUSTOMER_VALUE__SNAPSHOT_CADENCE": settings.customer_value.snapshot_cadence}


TIME_LINE = re.compile(r"^time: (.+)$", re.MULTILINE)
PHASE = re.compile(r"(?P<name>\w+) (?P<seconds>[\d.]+) s")


def prefect_costs(meter: Meter, nightly: tuple | None = None) -> dict:
    """Seconds to start a Prefect server (as `csi run` without one does, and `csi serve` once), the
    wall of one no-op flow run against it from a fresh process, and, with `nightly=(settings, date)`,
    the real nightly as the schedule runs it: `csi run --date D` in a fresh process against the
    running server (a worker's flow-run process does the same), its phases as the CLI printed them."""
    from csi.cli.local_prefect import LocalPrefect

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
        if nightly is not None:
            settings, day = nightly
            t0 = time.perf_counter()
            with meter.phase("nightly_scheduled"):
                done = subprocess.run([sys.executable, "-m", "csi.cli", "run", "--date", day.isoformat(),
                                       "--no-progress"], env={**server.env, **_child_env(settings), "COLUMNS": "1000"},
                                      capture_output=True, text=True, timeout=3600, cwd=Path(__file__).parents[1])
            out["nightly_scheduled_s"] = round(time.perf_counter() - t0, 3)
            found = TIME_LINE.search(done.stdout)
            parts = [PHASE.fullmatch(p.strip()) for p in found.group(1).split("·")] if found else []
            out["nightly_scheduled_phases"] = {m["name"]: float(m["seconds"]) for m in parts if m}
            if done.returncode:
                out["nightly_scheduled_error"] = (done.stdout + done.stderr).strip()[-500:]
    except Exception as exc:  # noqa: BLE001 - reported; the pipeline numbers stand
        out["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
    return out
