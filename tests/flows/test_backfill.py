"""Backfills: parallel staging, serialised loads, skips, failures, re-runs, retries, exit status."""

from __future__ import annotations

import random
import shutil
import time

import pytest

from csi.cli import main
from csi.events import listening
from csi.flows.pipeline import backfill_flow, is_transient
from csi.pipeline import steps
from csi.warehouse.engine import WarehouseError
from tests.conftest import read_table
from tests.flows.compare import END, START, digests, statuses
from tests.pipeline import landing
from tests.pipeline.landing import DATES


def test_parallel_backfill_equals_serial_whatever_order_staging_finishes(flow_env, monkeypatch,
                                                                          reference_digests):
    """workers=2 with random staging delays gives byte-identical tables to workers=1."""
    landing.build(flow_env["landing"])
    real_stage, real_load, staged, loaded = steps.stage, steps.load_batch, [], []

    def slow_stage(settings, business_date, *args, **kwargs):
        time.sleep(random.Random(business_date.toordinal()).uniform(0, 0.6) if business_date != DATES[0] else 1.5)
        summary = real_stage(settings, business_date, *args, **kwargs)
        staged.append(business_date)
        return summary

    active = []

    def recording_load(wh, settings, batch):
        active.append(batch)
        assert len(active) == 1, f"two loads at once: {active}"
        loaded.extend(staged.summary.business_date for staged in batch)
        try:
            return real_load(wh, settings, batch)
        finally:
            active.remove(batch)

    monkeypatch.setattr(steps, "stage", slow_stage)
    monkeypatch.setattr(steps, "load_batch", recording_load)
    result = backfill_flow(start=START, end=END, workers=2)
    assert set(statuses(result).values()) == {"success"}
    assert staged[0] != DATES[0]  # staging finished out of date order ...
    assert loaded == DATES  # ... the loads still ran one at a time, in date order
    assert digests(flow_env["url"]) == reference_digests


def test_failed_date_is_reported_and_a_rerun_picks_up_only_it(flow_env, tmp_path):
    landing.build(flow_env["landing"])
    hidden = tmp_path / "hidden"
    for source in ("sales", "complaints"):  # the middle drop goes missing
        shutil.move(flow_env["landing"] / source / f"dt={DATES[1]}", hidden / source)
    events = []
    with listening(events.append):
        first = backfill_flow(start=START, end=END, workers=2)
    assert statuses(first) == {START: "success", DATES[1].isoformat(): "failed", END: "success"}
    assert "no drop for 2026-01-31" in first.dates[1].error
    phases = [(e["phase"], e["state"]) for e in events if e["event"] == "phase"]
    assert phases == [("prefect", "end"), ("plan", "start"), ("plan", "end"), ("load", "start"), ("load", "end"),
                      ("refresh", "start"), ("refresh", "end"), ("checks", "start"), ("checks", "end"),
                      ("publish", "start"), ("publish", "end")]
    assert [e for e in events if e["event"] == "planned"] == [{"event": "planned", "total": 3}]
    assert sorted(e["status"] for e in events if e["event"] == "date") == ["failed", "success", "success"]
    runs = read_table(flow_env["url"], "SELECT business_date, status FROM ops_pipeline_run ORDER BY 1")
    assert runs.rows() == [(DATES[0], "success"), (DATES[1], "failed"), (DATES[2], "success")]

    for source in ("sales", "complaints"):  # fixed: the drop arrives
        shutil.move(hidden / source, flow_env["landing"] / source / f"dt={DATES[1]}")
    second = backfill_flow(start=START, end=END, workers=2)
    assert statuses(second) == {START: "skipped", DATES[1].isoformat(): "success", END: "skipped"}


def test_cli_exit_status_is_1_when_a_date_failed_and_0_otherwise(flow_env, capsys):
    landing.build(flow_env["landing"])
    # 2026-01-29 has no drop: it fails, the three others load
    assert main(["backfill", "--start", "2026-01-29", "--end", END, "--workers", "2", "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "failed 2026-01-29: no drop for 2026-01-29" in out
    assert "success: 3" in out and "failed: 1" in out
    assert main(["backfill", "--start", START, "--end", END, "--no-progress"]) == 0
    assert "skipped: 3" in capsys.readouterr().out
    assert main(["run", "--date", DATES[1].isoformat()]) == 0


def test_transient_error_is_retried_and_a_data_error_is_not(flow_env, monkeypatch):
    landing.build(flow_env["landing"])
    real_stage, calls = steps.stage, []

    def flaky_stage(settings, business_date, *args, **kwargs):
        calls.append(business_date)
        if business_date == DATES[0] and calls.count(business_date) == 1:
            raise WarehouseError("warehouse duckdb:///x: Could not set lock on file")  # transient
        if business_date == DATES[1]:
            raise ValueError("bad data in the drop")  # a data error
        return real_stage(settings, business_date, *args, **kwargs)

    monkeypatch.setattr(steps, "stage", flaky_stage)
    result = backfill_flow(start=START, end=END, workers=1)
    assert statuses(result) == {START: "success", DATES[1].isoformat(): "failed", END: "success"}
    assert calls.count(DATES[0]) == 2  # retried once, then loaded
    assert calls.count(DATES[1]) == 1  # never retried
    assert result.dates[1].error == "ValueError: bad data in the drop"


@pytest.mark.parametrize(("exc", "transient"), [
    (WarehouseError("locked"), True), (ConnectionResetError(), True), (TimeoutError(), True),
    (ValueError("x"), False), (FileNotFoundError("gone"), False),
])
def test_transient_classification(exc, transient):
    assert is_transient(exc) is transient
