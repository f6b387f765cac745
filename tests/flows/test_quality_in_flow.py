"""The flow runs the Great Expectations checks after the refresh: a failed
expectation fails the run, named; a clean run publishes the read-only copy."""

from __future__ import annotations

from pathlib import Path

import duckdb

from csi.quality import suites
from tests.conftest import read_table
from tests.flows.compare import END, START
from tests.pipeline import landing


def test_failed_expectation_fails_the_runs_and_names_it(flow_env, monkeypatch):
    from csi.flows.pipeline import backfill_flow

    monkeypatch.setenv("CSI_QUALITY_CHECKS", "true")
    # the landing holds quantities 1..3: a (deliberately wrong) rule of at most 1 must fail
    declared = suites.checks_for

    def stricter(decl):
        extra = [suites.Check("fct_sales", "quantity", "ExpectColumnValuesToBeBetween",
                              {"column": "quantity", "min_value": 0, "max_value": 1}, "values between 0 and 1")]
        return declared(decl) + (extra if decl.name == "fct_sales" else [])

    monkeypatch.setattr(suites, "checks_for", stricter)
    landing.build(flow_env["landing"])
    result = backfill_flow(start=START, end=END, workers=1)
    statuses = {r.status for r in result.dates}
    assert statuses == {"failed"}
    assert all("fct_sales.quantity: values between 0 and 1" in r.error for r in result.dates)
    runs = read_table(flow_env["url"], "SELECT DISTINCT status FROM ops_pipeline_run")
    assert runs.rows() == [("failed",)]
    assert not Path(flow_env["tmp"] / "wh.read.duckdb").exists()


def test_clean_run_passes_the_checks_and_publishes_a_readable_copy(flow_env, monkeypatch):
    from csi.flows.pipeline import backfill_flow

    monkeypatch.setenv("CSI_QUALITY_CHECKS", "true")
    landing.build(flow_env["landing"])
    result = backfill_flow(start=START, end=END, workers=1)
    assert {r.status for r in result.dates} == {"success"}
    published = flow_env["tmp"] / "wh.read.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM fct_sales").fetchone()[0] == 5
