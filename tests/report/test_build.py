"""The report's data-reading functions on hand-made marts (expected values worked out by hand)."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
import sqlalchemy as sa

from csi.report import build
from csi.warehouse.declare import NN, C, TableDecl


def test_months_back_crosses_years():
    assert build.months_back(date(2026, 1, 1), 12) == date(2025, 1, 1)
    assert build.months_back(date(2026, 3, 1), 13) == date(2025, 2, 1)
    assert build.months_back(date(2026, 3, 1), 0) == date(2026, 3, 1)


def _sat(month: date, site: str, **values) -> dict:
    return {"month": month, "site_id": site, **values}


def test_latest_month_headline_and_13_month_trend(blank):
    months = [date(2025 + (m // 12), m % 12 + 1, 1) for m in range(0, 15)]  # 2025-01 .. 2026-03
    rows = [_sat(m, "ALL", nps=float(i)) for i, m in enumerate(months) if m != date(2026, 2, 1)]
    rows += [_sat(date(2026, 3, 1), "SH02", nps=10.0), _sat(date(2026, 3, 1), "SH01", nps=20.0)]
    blank.put("mart_satisfaction_monthly", rows)
    with blank.warehouse.transaction() as tx:
        # February has no figures: a report dated in February shows January
        assert build.latest_month(tx, date(2026, 2, 20)) == date(2026, 1, 1)
        assert build.latest_month(tx, date(2026, 3, 2)) == date(2026, 3, 1)
        assert build.latest_month(tx, date(2024, 12, 31)) is None
        head = build.headline(tx, date(2026, 3, 1))
        trend = build.trends(tx, date(2026, 3, 1))
    assert head["site_id"].to_list() == ["ALL", "SH01", "SH02"]
    every = trend.filter(pl.col("site_id") == "ALL")
    # 13 months back from 2026-03: 2025-03 .. 2026-03 with 2026-02 missing = 12 rows
    assert every["month"].min() == date(2025, 3, 1) and every["month"].max() == date(2026, 3, 1)
    assert every.height == 12


def test_movers_are_the_largest_absolute_changes_ties_by_site():
    month = pl.DataFrame({"site_id": ["ALL", "A", "B", "C", "D", "E"],
                          "nps_delta": [-30.0, -20.0, 5.0, None, 20.0, -4.0]})
    assert build.movers(month, k=2) == ["A", "D"]
    assert build.movers(month, k=4) == ["A", "D", "B", "E"]


def _model(quarter, kind, status="ok", **values) -> dict:
    return {"quarter": quarter, "site_id": values.pop("site_id", "ALL"), "model_name": "acsi", "kind": kind,
            "status": status, "n": values.pop("n", 150), **values}


def test_drivers_of_the_newest_estimated_quarter_with_bootstrap_significance(blank):
    q1, q2 = date(2026, 1, 1), date(2026, 4, 1)
    blank.put("mart_acsi_model", [
        _model(q1, "status"),
        _model(q1, "total_effect", from_construct="PQ", to_construct="SAT", estimate=0.4, std_error=0.1),
        _model(q1, "total_effect", from_construct="EXP", to_construct="SAT", estimate=0.05, std_error=0.05),
        _model(q1, "total_effect", from_construct="PV", to_construct="SAT", estimate=0.3, std_error=0.0),
        _model(q1, "total_effect", from_construct="SAT", to_construct="LOY", estimate=0.9, std_error=0.1),
        _model(q1, "total_effect", from_construct="PQ", to_construct="SAT", estimate=0.9, std_error=0.1,
               site_id="SH01"),
        _model(q2, "status", status="too_few_responses: 12 < 100", n=12),
    ])
    with blank.warehouse.transaction() as tx:
        frame, quarter, status = build.drivers(tx, date(2026, 5, 10))
        none, no_quarter, why = build.drivers(tx, date(2025, 12, 31))
    assert quarter == q1 and status == "ok (n = 150)"
    # t = 0.4 / 0.1 = 4 (significant), 0.05 / 0.05 = 1 (not), PV has no positive se: no t
    assert frame.select("from_construct", "t_value", "is_significant").rows() == [
        ("PQ", pytest.approx(4.0), True), ("PV", None, None), ("EXP", pytest.approx(1.0), False)]
    assert none.height == 0 and no_quarter is None and why == "no quarter estimated yet"


def test_drivers_say_why_when_no_quarter_is_estimated(blank):
    blank.put("mart_acsi_model", [_model(date(2026, 1, 1), "status", status="too_few_responses: 12 < 100", n=12)])
    with blank.warehouse.transaction() as tx:
        frame, quarter, status = build.drivers(tx, date(2026, 2, 1))
    assert frame.height == 0 and quarter is None and status == "too_few_responses: 12 < 100"


def test_customer_sections_of_the_newest_snapshot(blank):
    d, old = date(2026, 2, 14), date(2026, 2, 13)
    value = [
        {"customer_id": "P1", "value_tier": "platinum", "margin_365d": 100.0, "clv_365d": 10.0},
        {"customer_id": "P2", "value_tier": "platinum", "margin_365d": 50.0, "clv_365d": None},
        {"customer_id": "G1", "value_tier": "gold", "margin_365d": 30.0, "clv_365d": 30.0},
        {"customer_id": "G2", "value_tier": "gold", "margin_365d": 20.0, "clv_365d": 99.0},
        {"customer_id": "I1", "value_tier": "iron", "margin_365d": 5.0, "clv_365d": 50.0},
        {"customer_id": "L1", "value_tier": "lead", "margin_365d": -5.0, "clv_365d": 1.0},
        {"customer_id": "X1", "value_tier": None, "loyalty_stage": "prospect"},
    ]
    bands = {"P1": "high", "P2": "high", "G1": "high", "G2": "medium", "I1": "high", "L1": "low"}
    blank.put("mart_customer_value", [{"as_of_date": d, "loyalty_stage": "repeat", **v} for v in value]
              + [{"as_of_date": old, "customer_id": "P1", "value_tier": "lead", "loyalty_stage": "repeat"}])
    blank.put("mart_churn_signals", [{"as_of_date": d, "customer_id": c, "risk_band": b, "risk_score": 80.0,
                                      "reasons": f"why {c}"} for c, b in bands.items()])
    with blank.warehouse.transaction() as tx:
        snap = build.snapshot_date(tx, date(2026, 3, 1))
        tiers = build.tiers(tx, snap)
        churn = build.churn_bands(tx, snap)
        declining = build.declining(tx, snap)
        assert build.snapshot_date(tx, date(2026, 1, 1)) is None
    assert snap == d
    assert tiers.rows() == [("platinum", 2, 150.0, 10.0), ("gold", 2, 50.0, 129.0), ("iron", 1, 5.0, 50.0),
                            ("lead", 1, -5.0, 1.0)]
    assert churn.rows() == [("low", 1), ("medium", 1), ("high", 4)]  # G2 medium; P1, P2, G1, I1 high
    # high band and platinum/gold: G1 (CLV 30), P1 (10), then P2 without a CLV; G2 is medium, I1 iron
    assert declining.select("customer_id", "reasons").rows() == [("G1", "why G1"), ("P1", "why P1"),
                                                                  ("P2", "why P2")]


def test_backtest_rows_of_the_newest_backtested_snapshot_all_first(blank):
    rows = [{"as_of_date": date(2026, 1, 1), "risk_band": b, "customers": 10, "churned": 1,
             "auc": 0.7 if b == "ALL" else None} for b in ("high", "low", "ALL", "medium")]
    rows += [{"as_of_date": date(2025, 12, 1), "risk_band": "ALL", "customers": 5, "churned": 1, "auc": 0.6}]
    blank.put("mart_churn_backtest", rows)
    with blank.warehouse.transaction() as tx:
        frame, when = build.backtest(tx, date(2026, 4, 1))
    assert when == date(2026, 1, 1)
    assert frame["risk_band"].to_list() == ["ALL", "low", "medium", "high"]
    assert frame["auc"][0] == pytest.approx(0.7)


def test_data_quality_of_the_business_date(blank):
    d = date(2026, 2, 14)
    base = {"business_date": d, "input_fingerprint": "x", "run_id": "r1", "status": "replaced",
            "started_at": datetime(2026, 2, 15, 1)}
    blank.put("ops_pipeline_run", [
        {**base, "sales_rows_read": 99},
        {**base, "run_id": "r2", "status": "success", "started_at": datetime(2026, 2, 15, 2),
         "sales_rows_read": 200, "sales_rows_loaded": 196, "sales_rows_quarantined": 4,
         "surveys_rows_read": 50, "surveys_rows_loaded": 50},
    ])
    q = {"drop_date": d, "run_id": "r2", "reason_count": 1}
    blank.put("ops_quarantine", [
        {**q, "source": "sales", "source_file": "sales/a.csv", "record_no": 1, "reasons": "discount:out_of_range; quantity:not_positive"},
        {**q, "source": "sales", "source_file": "sales/a.csv", "record_no": 2, "reasons": "quantity:not_positive"},
        {**q, "source": "sales", "source_file": "sales/b.parquet", "reasons": "file:unreadable (cannot read parquet)"},
        {**q, "source": "sales", "source_file": "sales/old.csv", "record_no": 1, "reasons": "x:y",
         "drop_date": date(2026, 2, 13)},
    ])
    f = {"drop_date": d, "file_sha256": "h", "file_bytes": 1, "run_id": "r2", "rows": 0}
    blank.put("ops_ingested_file", [
        {**f, "source": "sales", "file_path": "sales/a.csv", "status": "ingested", "rows": 200},
        {**f, "source": "sales", "file_path": "sales/b.parquet", "status": "unreadable"},
        {**f, "source": "sales", "file_path": "sales/c.csv", "status": "duplicate"},
        {**f, "source": "surveys", "file_path": "surveys/notes.txt", "status": "unsupported"},
    ])
    with blank.warehouse.transaction() as tx:
        run = build.run_of(tx, d)
        reasons = build.top_reasons(tx, d)
        files = build.files_not_read(tx, d)
    assert run["run_id"] == "r2"  # the replaced run never counts
    loads = build.loads(run)
    assert loads.rows() == [("sales", 200, 196, 4, pytest.approx(2.0)), ("surveys", 50, 50, 0, 0.0),
                            ("complaints", 0, 0, 0, None)]
    # each code of a record counts once: quantity:not_positive 2, the others 1 (ties by source, reason)
    assert reasons.rows() == [("sales", "quantity:not_positive", 2), ("sales", "discount:out_of_range", 1),
                              ("sales", "file:unreadable (cannot read parquet)", 1)]
    assert files.rows() == [("sales", "sales/b.parquet", "unreadable", "file:unreadable (cannot read parquet)"),
                            ("surveys", "surveys/notes.txt", "unsupported", None)]
    assert build.loads(None)["rows_read"].to_list() == [0, 0, 0]


def test_checks_outcome_from_the_counts_or_the_run_status():
    assert build.checks_of(None, {"checked": 120, "failed": 0}) == {"checked": 120, "failed": 0, "passed": True}
    assert build.checks_of({"status": "success"}, None) == {"passed": True}
    assert build.checks_of({"status": "failed", "error": "data quality: 1 expectation(s) failed"}, None) == {
        "passed": False, "error": "data quality: 1 expectation(s) failed"}
    assert build.checks_of({"status": "refreshed", "error": None}, None) == {"passed": None, "status": "refreshed"}
    assert build.checks_of(None, None) is None


ALERTS = TableDecl("test_alerts", "mart", "hand-made alerts table", (
    NN("rule", "text", "rule"), NN("severity", "text", "severity"), NN("subject", "text", "subject"),
    NN("period", "date", "period"), NN("message", "text", "message"), NN("resolved", "bool", "resolved"),
    C("value", "double", "value")))


def test_alerts_of_the_month_critical_first_or_none_without_the_table(blank, monkeypatch):
    monkeypatch.setattr(build, "ALERTS_TABLE", "no_such_table")
    with blank.warehouse.transaction() as tx:
        assert build.alerts(tx, date(2026, 4, 30)) is None
    monkeypatch.setattr(build, "ALERTS_TABLE", ALERTS.name)
    monkeypatch.setitem(build.BY_NAME, ALERTS.name, ALERTS)
    with blank.warehouse.transaction() as tx:  # declared, not created yet
        assert build.alerts(tx, date(2026, 4, 30)) is None
    with blank.warehouse.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE test_alerts (rule TEXT, severity TEXT, subject TEXT, period DATE, "
                             "message TEXT, resolved BOOLEAN, value DOUBLE)"))
    blank.put(ALERTS.name, [
        {"rule": "quarantine_spike", "severity": "warning", "subject": "sales", "period": date(2026, 4, 3),
         "message": "m1", "resolved": False},
        {"rule": "nps_drop", "severity": "critical", "subject": "SH03", "period": date(2026, 4, 1),
         "message": "m2", "resolved": False},
        {"rule": "feed_missing", "severity": "critical", "subject": "surveys", "period": date(2026, 4, 2),
         "message": "m3", "resolved": True},
        {"rule": "nps_drop", "severity": "critical", "subject": "SH01", "period": date(2026, 3, 1),
         "message": "last month", "resolved": False},
    ])
    with blank.warehouse.transaction() as tx:
        got = build.alerts(tx, date(2026, 4, 30))
    assert got["message"].to_list() == ["m2", "m1", "m3"]  # open before resolved, critical before warning


def test_load_without_a_successful_run_says_so(blank):
    with blank.warehouse.transaction() as tx, pytest.raises(build.NoReportData, match="no successful run"):
        build.load(tx)


def test_whole_report_from_hand_made_marts_on_both_databases(blank_on):
    """A warehouse holding one run and one month: load() and render() on DuckDB and PostgreSQL."""
    from csi.report.render import render

    d = date(2026, 3, 5)
    blank_on.put("ops_pipeline_run", [{"run_id": "r1", "business_date": d, "status": "success",
                                       "input_fingerprint": "x", "started_at": datetime(2026, 3, 6, 2),
                                       "sales_rows_read": 10, "sales_rows_loaded": 9, "sales_rows_quarantined": 1}])
    # 40 answers: 20 promoters, 12 passives, 8 detractors -> NPS 100 * (20 - 8) / 40 = 30
    blank_on.put("mart_satisfaction_monthly", [
        _sat(date(2026, 3, 1), "ALL", nps_n=40, promoters=20, passives=12, detractors=8, nps=30.0,
             nps_ci_low=8.0, nps_ci_high=52.0, nps_delta=-5.0, nps_change_significant=False),
        _sat(date(2026, 2, 1), "ALL", nps_n=30, nps=35.0)])
    blank_on.put("ops_quarantine", [{"drop_date": d, "source": "sales", "source_file": "sales/a.csv",
                                     "record_no": 3, "reasons": "quantity:not_positive", "reason_count": 1,
                                     "run_id": "r1"}])
    with blank_on.warehouse.transaction() as tx:
        data = build.load(tx)
    assert data.business_date == d and data.month == date(2026, 3, 1)
    assert data.headline.select("site_id", "nps").rows() == [("ALL", 30.0)]
    assert data.trends["month"].to_list() == [date(2026, 2, 1), date(2026, 3, 1)]
    assert data.reasons.rows() == [("sales", "quantity:not_positive", 1)]
    assert data.checks == {"passed": True} and data.snapshot_date is None and data.kano_quarter is None
    html = render(data)
    assert '<span class="kpi" data-kpi="nps" data-site="ALL">30.0</span>' in html
    assert '<span class="down">-5.0</span> vs previous month (<span class="ns">not significant</span>)' in html
    assert "no customer snapshot yet" in html


def test_tables_escape_text_and_class_rows_by_a_column():
    from csi.report.render import table

    frame = pl.DataFrame({"severity": ["critical", "warning"], "message": ["<b>x</b> & 客户", "ok"],
                          "value": [1.234, None]})
    html = table(frame, {"message": "message", "value": "value"}, digits={"value": 2}, text=("message",),
                 row_class="severity")
    assert html == ('<table><tr><th class="t">message</th><th class="">value</th></tr>'
                    '<tr class="critical"><td class="t">&lt;b&gt;x&lt;/b&gt; &amp; 客户</td><td class="">1.23</td></tr>'
                    '<tr class="warning"><td class="t">ok</td><td class="">–</td></tr></table>')
