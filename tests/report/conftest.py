"""Fixtures of the report tests: a small generated warehouse built without Prefect, an empty
warehouse with the schema for hand-made marts, and the Chromium binary."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.hand_made import hand_made
from tests.pipeline.runs import load_and_refresh
from tests.warehouse.backends import BACKENDS, fresh_url

START, DAYS = date(2026, 1, 1), 45
LAST = START + timedelta(days=DAYS - 1)


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory):
    """200 customers x 45 days (+ 200 days of history in the first drop), loaded, refreshed and
    marked success through the pipeline steps (no Prefect, no quality checks)."""
    from csi.generate import generate
    from csi.pipeline import handle, steps
    from csi.settings import load_settings

    root = tmp_path_factory.mktemp("report-wh")
    generate(root / "landing", customers=200, days=DAYS, seed=7, start_date=START, history_days=200)
    mp = pytest.MonkeyPatch()
    mp.setenv("CSI_LANDING_DIR", str(root / "landing"))
    mp.setenv("CSI_WORK_DIR", str(root / "work"))
    mp.setenv("CSI_WAREHOUSE_URL", f"duckdb:///{root / 'wh.duckdb'}")
    mp.delenv("CSI_CONFIG_FILE", raising=False)
    try:
        settings = load_settings()
        wh = handle.open_warehouse(settings)
        dates = [START + timedelta(days=i) for i in range(DAYS)]
        _, run_ids = load_and_refresh(wh, settings, dates, now=datetime(2026, 11, 1))
        steps.finish_runs(wh, settings, run_ids)
        handle.release(settings)
        wh.dispose()
    finally:
        mp.undo()
    return root / "wh.duckdb"


@pytest.fixture
def report_env(small_warehouse, tmp_path, monkeypatch):
    """A private copy of the small warehouse (a test may change it) and the settings pointing at it."""
    from csi.settings import load_settings

    db = tmp_path / "wh.duckdb"
    shutil.copy(small_warehouse, db)
    monkeypatch.setenv("CSI_WAREHOUSE_URL", f"duckdb:///{db}")
    monkeypatch.setenv("CSI_REPORT_DIR", str(tmp_path / "reports"))
    monkeypatch.delenv("CSI_CONFIG_FILE", raising=False)
    return {"settings": load_settings(), "url": f"duckdb:///{db}", "dir": tmp_path / "reports"}


@pytest.fixture
def blank(tmp_path):
    """An empty DuckDB warehouse with the schema; `blank.put(table, rows)` inserts hand-made rows,
    filling the columns a test leaves out with nulls, zeros or false."""
    yield from _blank(f"duckdb:///{tmp_path / 'blank.duckdb'}")


@pytest.fixture(params=BACKENDS)
def blank_on(request, tmp_path):
    """`blank` on DuckDB and on PostgreSQL (skipped without CSI_TEST_PG_URL)."""
    with fresh_url(request.param, tmp_path) as url:
        yield from _blank(url)


def _blank(url: str):
    with hand_made(url) as wh:
        yield wh


def dump_dom(chromium: str, page: Path, tmp: Path) -> str:
    """The DOM after the page's scripts ran, with every host name unresolvable (no network)."""
    proc = subprocess.run(
        [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={tmp / 'chromium-profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--virtual-time-budget=5000", "--window-size=1280,2000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


INSIGHT_DATE = date(2026, 4, 30)


@pytest.fixture
def insight_marts(blank):
    """`blank` holding one successful run (2026-04-30) and a small filled row set of each insight mart:
    drivers under both weightings, measurement quality, a converged CLV holdout, topics and texts."""
    return _fill_insights(blank)


@pytest.fixture
def insight_marts_on(blank_on):
    """`insight_marts` on DuckDB and on PostgreSQL (skipped without CSI_TEST_PG_URL)."""
    return _fill_insights(blank_on)


def _fill_insights(blank):
    d, q = INSIGHT_DATE, date(2026, 4, 1)
    blank.put("ops_pipeline_run", [{"run_id": "r1", "business_date": d, "status": "success",
                                    "input_fingerprint": "x", "started_at": datetime(2026, 5, 1, 2)}])
    cell = {"quarter": q, "site_id": "ALL", "model_name": "acsi", "status": "ok", "n": 150}
    blank.put("mart_driver_importance", [
        {**cell, "weighting": w, "driver": drv, "total_effect_index": te, "performance": perf, "quadrant": quad,
         "impact_5pt": 5 * te, "total_effect_index_se": 0.05, "is_significant_index": True}
        for w, drv, te, perf, quad in (("equal", "PQ", 0.6, 70.0, "concentrate_here"),
                                       ("equal", "EXP", 0.2, 80.0, "possible_overkill"),
                                       ("clv", "PQ", 0.5, 72.0, "keep_up"), ("clv", "EXP", 0.3, 70.0, "low_priority"))])
    blank.put("mart_pls_quality", [
        {**cell, "weighting": w, "kind": "htmt", "from_construct": "PQ", "to_construct": "SAT",
         "estimate": e, "flag": f} for w, e, f in (("equal", 0.93, "fail"), ("clv", 0.80, "ok"))])
    hold = {"as_of_date": d, "calibration_end": date(2026, 1, 30), "holdout_days": 90, "status": "converged"}
    blank.put("mart_clv_validation", [
        {**hold, "frequency_bin": b, "customers": c, "actual_mean": a, "predicted_mean": p, "actual_orders": o,
         "predicted_orders": po} for b, c, a, p, o, po in (("0", 10, 0.3, 0.25, 3, 2.5), ("1", 5, 0.8, 0.9, 4, 4.5),
                                                            ("total", 15, 0.47, 0.47, 7, 7.0))])
    blank.put("mart_topics_monthly", [
        {"month": date(2026, 4, 1), "site_id": "ALL", "source": "survey", "topic_id": t, "topic_label": label,
         "texts": 10, "mentions": m, "sentiment_sum": s, "negative_count": neg, "nps_with_n": m,
         "nps_with_promoters": 0, "nps_with_detractors": m, "nps_without_n": 10 - m, "nps_without_promoters": 3,
         "nps_without_detractors": 1} for t, label, m, s, neg in (("delivery", "送货 <Delivery>", 4, -2.0, 3),
                                                                  ("payment", "Payment", 1, 0.5, 0))])
    text = {"source": "survey", "site_id": "SH01", "language": "zh", "topics": "delivery", "topic_count": 1}
    blank.put("fct_text", [
        {**text, "text_id": "t1", "written_at": datetime(2026, 4, 3, 9), "written_date": date(2026, 4, 3),
         "content": "<script>alert(1)</script>送货太慢", "sentiment": -0.8, "sentiment_label": "negative"},
        {**text, "text_id": "t2", "written_at": datetime(2026, 3, 3, 9), "written_date": date(2026, 3, 3),
         "content": "fast", "sentiment": 0.6, "sentiment_label": "positive"}])
    blank.put("fct_text_topic", [{"text_id": "t1", "topic_id": "delivery", "source": "survey", "site_id": "SH01",
                                  "written_date": date(2026, 4, 3), "sentiment_label": "negative"}])
    return blank
