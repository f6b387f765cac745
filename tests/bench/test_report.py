"""The backfill-vs-baseline split of the report, on hand-made phase timings."""

from __future__ import annotations

import pytest

from bench.report import _baseline_section, gap, scheduled_nightly


def _phases(**seconds):
    return {k.replace("__", "."): {"seconds": v, "calls": 1, "peak_rss_mib": None, "start_rss_mib": None}
            for k, v in seconds.items()}


RESULT = {
    "scale": 1, "backfill": {"customer_snapshots": 730},
    "phases": _phases(backfill=100.0, backfill__load=20.0, backfill__checks=10.0, backfill__publish=5.0,
                      backfill__finish=0.0, backfill__marts__acsi_model=2.0, backfill__marts__customers=30.0,
                      nightly=4.0, nightly__marts__customers=1.0),
    "sql_baseline": {"seconds": 10.0},
}


def test_gap_splits_work_the_baseline_does_not_do():
    g = gap(RESULT)
    assert g["ratio"] == 10.0  # 100 / 10
    assert g["gap_s"] == 90.0
    # loads 20 + checks 10 + publish 5 + ACSI 2 + snapshots beyond one (30 - the nightly's 1 = 29)
    assert g["not_in_baseline_total_s"] == 66.0
    assert g["share_of_gap_not_in_baseline"] == pytest.approx(66 / 90, abs=1e-3)
    assert g["same_work_s"] == 34.0  # 100 - 66
    assert g["same_work_ratio"] == 3.4


def test_no_gap_without_a_baseline():
    assert gap({**RESULT, "sql_baseline": {"error": "boom"}}) is None


def test_markdown_says_the_ratio():
    result = {**RESULT, "sql_baseline": {"seconds": 10.0, "files": {"files": 1, "duplicate": 0, "unreadable": 0, "recoded": 0},
                               "as_of_date": "2024-01-01", "ingest_seconds": 6.0, "marts_seconds": 3.0,
                               "peak_rss_mib": 100.0, "steps": {}, "rows": {}}}
    text = "\n".join(_baseline_section(result))
    assert "**Backfill / baseline: 10.0x**" in text
    assert "| **total** | **66.00** | **73.3 %** |" in text


def test_scheduled_nightly_adds_the_fresh_process_costs():
    result = {**RESULT, "fixed_costs": {"prefect": {"flow_run_fresh_process_s": 3.0},
                                        "imports": {"import_gx_s": 5.0}}}
    assert scheduled_nightly(result) == 12.0  # 3 + 5 + the nightly's 4
    assert scheduled_nightly(RESULT) is None  # not measured (scale < 1)


def test_the_measured_scheduled_nightly_wins_over_the_estimate():
    measured = {**RESULT, "fixed_costs": {"prefect": {"flow_run_fresh_process_s": 7.0, "nightly_scheduled_s": 12.5},
                                          "imports": {"import_gx_s": 3.0}}}
    assert scheduled_nightly(measured) == 12.5
    estimated = {**RESULT, "fixed_costs": {"prefect": {"flow_run_fresh_process_s": 7.0}, "imports": {"import_gx_s": 3.0}}}
    assert scheduled_nightly(estimated) == 7.0 + 3.0 + 4.0  # flow run + GX import + the nightly's 4 s
