"""Loads: facts, corrections, duplicates, late arrivals, idempotency and crash recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from contextlib import ExitStack
from datetime import date

import pytest

from tests.conftest import read_table, table_digest, write_csv
from tests.pipeline import landing
from tests.pipeline.landing import DATES
from tests.pipeline.runs import run_dates
from tests.warehouse.backends import BACKENDS, fresh_url

COMPARED = ("fct_sales", "fct_survey_answer", "fct_survey_response", "fct_complaint", "stg_sales_line",
            "stg_survey_answer", "stg_complaint_version", "dim_date", "dim_site", "dim_customer",
            "ops_quarantine", "mart_customer_value", "mart_clv_model", "mart_whale_curve", "mart_churn_signals",
            "mart_churn_backtest")


@pytest.fixture(params=BACKENDS)
def env(env, request, monkeypatch, tmp_path):
    """The shared `env`, with a fresh warehouse on each backend (DuckDB file, PostgreSQL database);
    `env["fresh"]()` opens one more empty warehouse on the same backend."""
    with ExitStack() as stack:
        def fresh() -> str:
            return stack.enter_context(fresh_url(request.param, tmp_path))

        url = fresh()
        monkeypatch.setenv("CSI_WAREHOUSE_URL", url)
        yield {**env, "url": url, "fresh": fresh, "backend": request.param}


def digests(url):
    ingested = table_digest(url, "ops_ingested_file")
    return {t: table_digest(url, t) for t in COMPARED} | {"ops_ingested_file": ingested}


def test_facts_after_three_drops(env):
    landing.build(env["landing"])
    run_dates(DATES)
    url = env["url"]
    sales = read_table(url, "SELECT order_id, line_no, revenue, drop_date FROM fct_sales ORDER BY 1, 2")
    assert sales.rows() == [
        ("O1", 1, 18.0, DATES[0]), ("O1", 2, 5.0, DATES[0]),
        ("O2", 1, 75.0, DATES[1]),  # the correction of the later drop wins
        ("O4", 1, 30.0, DATES[1]),  # late arrival for January 15, in its own date
        ("O5", 1, -75.0, DATES[1]),
    ]
    complaint = read_table(url, "SELECT complaint_id, status, is_resolved, resolution_hours, "
                                "first_response_hours, version_count FROM fct_complaint")
    assert complaint.rows() == [("K1", "resolved", True, 14.0, 12.0, 2)]
    responses = read_table(url, "SELECT response_id, nps_answer, nps_class, answer_count "
                                "FROM fct_survey_response ORDER BY 1")
    assert responses.rows() == [("R1", 10, "promoter", 2), ("R3", 8, "passive", 2)]
    quarantine = read_table(url, "SELECT source, record_no, reasons FROM ops_quarantine ORDER BY 1, 2")
    assert quarantine.rows() == [
        ("sales", 4, "quantity:not_positive"),
        ("surveys", 3, "response_id+question_id:duplicate"),
        ("surveys", 4, "response_id+question_id:duplicate"),
    ]
    files = read_table(url, "SELECT file_path, status, duplicate_of, rows FROM ops_ingested_file "
                            "WHERE drop_date = DATE '2026-01-31' ORDER BY 1")
    assert files.rows()[2] == ("sales/dt=2026-01-31/pos_copy.csv", "duplicate",
                               "sales/dt=2026-01-30/pos.csv", 0)
    dates = read_table(url, "SELECT min(date_day), max(date_day), count(*) FROM dim_date").row(0)
    assert dates == (date(2026, 1, 15), date(2026, 2, 1), 18)


def test_rerun_is_idempotent(env):
    landing.build(env["landing"])
    run_dates(DATES)
    first = digests(env["url"])
    run_dates([DATES[1]])  # re-run a middle date
    run_dates(DATES)  # and everything again
    assert digests(env["url"]) == first


def test_reconciliation_rows_read_equal_loaded_plus_quarantined(env):
    landing.build(env["landing"])
    run_dates(DATES)
    runs = read_table(env["url"], "SELECT * FROM ops_pipeline_run ORDER BY business_date")
    for s in ("sales", "surveys", "complaints"):
        assert (runs[f"{s}_rows_read"] == runs[f"{s}_rows_loaded"] + runs[f"{s}_rows_quarantined"]).all()
    # sales of day 2: the duplicate file is recorded but not read, so it counts nowhere
    day2 = runs.row(1, named=True)
    assert (day2["sales_rows_read"], day2["sales_rows_loaded"], day2["files_duplicate"]) == (3, 3, 1)
    files = read_table(env["url"], "SELECT source, sum(rows) AS n FROM ops_ingested_file GROUP BY 1 ORDER BY 1")
    assert files.rows() == [("complaints", 2), ("sales", 7), ("surveys", 6)]


CRASH = textwrap.dedent("""
    import os, signal
    from csi.pipeline import {module} as loader
    from tests.pipeline.runs import run_dates
    from tests.pipeline.landing import DATES
    original = loader.{hook}
    calls = []
    def crash_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == {nth}:
            os.kill(os.getpid(), signal.SIGKILL)  # die inside the transaction
        return original(*args, **kwargs)
    loader.{hook} = crash_on_second
    run_dates(DATES[1:])
""")


# record_pending runs inside a drop's load transaction, rebuild_facts inside the refresh's
# (after the loads committed their pending keys), refresh_backtest after the snapshot chunks
# were committed (Tx.commit_point)
@pytest.mark.parametrize("module,hook,nth", [("load", "record_pending", 2), ("load", "rebuild_facts", 2),
                                             ("marts_customers", "refresh_backtest", 1)])
def test_crash_midway_then_rerun_equals_clean_run(env, tmp_path, module, hook, nth):
    landing.build(env["landing"])
    run_dates(DATES[:1])
    proc = subprocess.run([sys.executable, "-c", CRASH.format(module=module, hook=hook, nth=nth)], env=os.environ.copy(), cwd=os.getcwd(),
                          capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    run_dates(DATES)
    crashed = digests(env["url"])
    os.environ["CSI_WAREHOUSE_URL"] = env["fresh"]()
    os.environ["CSI_WORK_DIR"] = str(tmp_path / "clean-work")
    run_dates(DATES)
    assert digests(os.environ["CSI_WAREHOUSE_URL"]) == crashed


def test_quarantine_threshold_rejects_the_drop(env, monkeypatch):
    from tests.conftest import write_csv

    rows = "".join(f"X{i},1,sale,C{i},S1,store,2026-01-30 10:00:00,食品,0,1,0,0,0,CNY\n" for i in range(6))
    rows += "".join(f"Y{i},1,sale,C{i},S1,store,2026-01-30 10:00:00,食品,1,1,0,1,0,CNY\n" for i in range(94))
    write_csv(env["landing"] / "sales/dt=2026-01-30/pos.csv", landing.SALES_HEADER + rows)
    run_dates(DATES[:1])
    assert read_table(env["url"], "SELECT count(*) FROM ops_quarantine").item() == 6
    assert read_table(env["url"], "SELECT count(*) FROM stg_sales_line").item() == 0
    status, error = read_table(env["url"], "SELECT status, error FROM ops_pipeline_run").row(0)
    assert status == "failed"
    assert error.startswith("2026-01-30 sales: 6 of 100 rows quarantined (6.0 % > CSI_MAX_QUARANTINE_PCT=5); "
                            "drop rejected, see ops_quarantine (top reasons: ")
    monkeypatch.setenv("CSI_MAX_QUARANTINE_PCT", "6")
    run_dates(DATES[:1])
    assert read_table(env["url"], "SELECT count(*) FROM fct_sales").item() == 94


def test_date_by_date_equals_all_at_once(env, tmp_path):
    """Incremental refreshes (one per date: the nightly case, where complaint updates dirty the
    snapshots only from the changed closed date) give the marts of one refresh over all dates."""
    from csi.warehouse.tables import TABLES

    landing.build(env["landing"])
    # K2 is delivered open on day 1; day 3 brings the version closed late on day 1: only the
    # closed-date bound (not the drop's own date) makes the day-1 snapshot stale
    d1, d3 = (f"dt={d.isoformat()}" for d in (DATES[0], DATES[2]))
    write_csv(env["landing"] / f"complaints/{d1}/crm_k2.csv", landing.COMPLAINT_HEADER +
              "K2,C1,S1,2026-01-30 09:00:00,,,2026-01-30 09:00:00,open,false,phone,品质,1,0,坏\n")
    write_csv(env["landing"] / f"complaints/{d3}/crm.csv", landing.COMPLAINT_HEADER +
              "K2,C1,S1,2026-01-30 09:00:00,2026-01-30 10:00:00,2026-01-30 23:00:00,2026-02-01 07:00:00,"
              "resolved,true,phone,品质,1,0,坏\n")
    for d in DATES:
        run_dates([d])
    marts = [t.name for t in TABLES if t.name.startswith(("fct_", "dim_", "mart_"))]
    nightly = {t: table_digest(env["url"], t) for t in marts}
    os.environ["CSI_WAREHOUSE_URL"] = env["fresh"]()
    os.environ["CSI_WORK_DIR"] = str(tmp_path / "clean-work")
    run_dates(DATES)
    assert {t: table_digest(os.environ["CSI_WAREHOUSE_URL"], t) for t in marts} == nightly
