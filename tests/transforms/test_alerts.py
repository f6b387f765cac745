"""The METRICS 9 alert rules, each on a few hand-worked cells (boundaries on both sides)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from csi.warehouse import tables_alerts
from transforms import alerts

FEB, MAR = date(2026, 2, 1), date(2026, 3, 1)


def _rows(frame: pl.LazyFrame) -> dict[tuple, dict]:
    out = frame.collect()
    assert out.schema == pl.Schema(alerts.ALERT_SCHEMA)
    return {(r["rule"], r["subject"], r["period"]): r for r in out.iter_rows(named=True)}


def test_codes_equal_the_declaration():
    assert alerts.RULES == tables_alerts.ALERT_RULES
    assert alerts.SEVERITIES == tables_alerts.ALERT_SEVERITIES
    assert set(tables_alerts.MART_ALERTS.column_names) >= set(alerts.ALERT_SCHEMA)
    assert tables_alerts.MART_ALERTS.key == alerts.KEY


def _sat(rows: list[tuple]) -> pl.LazyFrame:
    cols = ["site_id", "month", "nps_n", "nps", "nps_prev", "nps_delta", "nps_change_significant"]
    return pl.LazyFrame(rows, schema=cols, orient="row")


def test_nps_drop_significant_falls_with_enough_answers_in_both_months():
    sat = _sat([
        ("S1", FEB, 100, 40.0, None, None, None), ("S1", MAR, 100, 28.0, 40.0, -12.0, True),    # critical
        ("S2", FEB, 40, 30.0, None, None, None), ("S2", MAR, 50, 25.0, 30.0, -5.0, True),       # warning
        ("S3", FEB, 29, 50.0, None, None, None), ("S3", MAR, 100, 30.0, 50.0, -20.0, True),     # Feb n 29 < 30
        ("S4", FEB, 100, 10.0, None, None, None), ("S4", MAR, 100, 25.0, 10.0, 15.0, True),     # a rise
        ("S5", FEB, 100, 40.0, None, None, None), ("S5", MAR, 100, 20.0, 40.0, -20.0, False),   # not significant
        ("ALL", FEB, 500, 30.0, None, None, None), ("ALL", MAR, 500, 20.0, 30.0, -10.0, True),  # -10: critical
    ])
    got = _rows(alerts.nps_drop(sat, low_sample_n=30, critical_delta=-10.0))
    assert set(got) == {("nps_drop", "S1", MAR), ("nps_drop", "S2", MAR), ("nps_drop", "ALL", MAR)}
    s1 = got[("nps_drop", "S1", MAR)]
    assert (s1["severity"], s1["value"], s1["previous"], s1["metric"], s1["period_grain"]) == \
        ("critical", 28.0, 40.0, "nps", "month")
    assert s1["message"] == "Site S1: NPS fell from 40.0 to 28.0 (-12.0 points, a significant change) in 2026-03 " \
                            "(n = 100 vs 100)."
    assert got[("nps_drop", "S2", MAR)]["severity"] == "warning"
    assert got[("nps_drop", "ALL", MAR)]["severity"] == "critical"
    assert got[("nps_drop", "ALL", MAR)]["message"].startswith("All sites: NPS fell from 30.0 to 20.0")


def test_csat_drop_beyond_1_96_standard_errors_of_the_difference():
    # p0 = 0.80 (n 100). p1 = 0.68: se = sqrt(.8*.2/100 + .68*.32/100) = sqrt(.003776) = .061449,
    # 1.96 se = .12044 > drop .12: no alert. p1 = 0.67: se = sqrt(.0016 + .002211) = .0617333,
    # 1.96 se = .1209973 < drop .13: alert.
    cols = ["site_id", "month", "csat_n", "csat_top2_count"]
    sat = pl.LazyFrame([
        ("S1", FEB, 100, 80), ("S1", MAR, 100, 68),
        ("S2", FEB, 100, 80), ("S2", MAR, 100, 67),
        ("S3", FEB, 29, 29), ("S3", MAR, 100, 10),   # Feb below the low-sample n
        ("S4", MAR, 100, 10),                         # no previous month
    ], schema=cols, orient="row")
    got = _rows(alerts.csat_drop(sat, low_sample_n=30, z=1.96))
    assert set(got) == {("csat_drop", "S2", MAR)}
    s2 = got[("csat_drop", "S2", MAR)]
    assert s2["severity"] == "warning" and s2["metric"] == "csat_top2_pct"
    assert s2["value"] == pytest.approx(67.0) and s2["previous"] == pytest.approx(80.0)
    assert s2["threshold"] == pytest.approx(12.09973, abs=1e-4)
    assert s2["message"] == "Site S2: CSAT top-2-box fell from 80.0 % to 67.0 % in 2026-03 (-13.0 points, more " \
                            "than 1.96 standard errors = 12.1 points; n = 100 vs 100)."


def test_sla_breach_below_80_critical_below_60_with_ten_closed():
    cols = ["site_id", "month", "closed_count", "sla_met_pct"]
    comp = pl.LazyFrame([
        ("S1", MAR, 10, 59.9),    # critical
        ("S2", MAR, 20, 79.99),   # warning
        ("S3", MAR, 9, 10.0),     # 9 closed: too few
        ("S4", MAR, 50, 80.0),    # 80 is not below 80
        ("S5", MAR, 10, 60.0),    # 60 is not below 60: warning
    ], schema=cols, orient="row")
    got = _rows(alerts.sla_breach(comp, warning_pct=80.0, critical_pct=60.0, min_closed=10))
    assert {k[1]: v["severity"] for k, v in got.items()} == {"S1": "critical", "S2": "warning", "S5": "warning"}
    assert got[("sla_breach", "S1", MAR)]["threshold"] == 80.0
    assert got[("sla_breach", "S1", MAR)]["message"] == \
        "Site S1: only 59.9 % of the 10 complaints closed in 2026-03 met their SLA (threshold 80.0 %)."


def test_backlog_growth_fifty_percent_with_ten_open():
    cols = ["site_id", "month", "open_at_month_end"]
    comp = pl.LazyFrame([
        ("S1", FEB, 10), ("S1", MAR, 15),    # exactly +50 %
        ("S2", FEB, 10), ("S2", MAR, 14),    # +40 %
        ("S3", FEB, 4), ("S3", MAR, 9),      # +125 % but 9 open
        ("S4", FEB, 0), ("S4", MAR, 10),     # from none
        ("S5", MAR, 100),                    # no previous month
    ], schema=cols, orient="row")
    got = _rows(alerts.backlog_growth(comp, growth_pct=50.0, min_open=10))
    assert set(got) == {("backlog_growth", "S1", MAR), ("backlog_growth", "S4", MAR)}
    s1 = got[("backlog_growth", "S1", MAR)]
    assert (s1["value"], s1["previous"], s1["threshold"], s1["severity"]) == (15.0, 10.0, 50.0, "warning")
    assert s1["message"] == "Site S1: 15 complaints open at the end of 2026-03, up 50.0 % from 10 a month earlier " \
                            "(threshold +50.0 %)."
    assert "up from none from 0" in got[("backlog_growth", "S4", MAR)]["message"]


def test_feed_missing_per_source_of_a_run_or_delivered_date():
    d1, d2, d3 = date(2026, 2, 1), date(2026, 2, 2), date(2026, 2, 3)
    runs = pl.LazyFrame({"business_date": [d1, d2]})
    files = pl.LazyFrame({"drop_date": [d1, d1, d1, d2, d2, d2, d3],
                          "source": ["sales", "surveys", "complaints", "sales", "complaints", "sales", "surveys"]})
    got = _rows(alerts.feed_missing(runs, files))
    assert set(got) == {("feed_missing", "surveys", d2), ("feed_missing", "sales", d3),
                        ("feed_missing", "complaints", d3)}
    row = got[("feed_missing", "surveys", d2)]
    assert (row["severity"], row["value"], row["period_grain"]) == ("critical", 0.0, "date")
    assert row["message"] == "No surveys file arrived in the drop of 2026-02-02."


def test_quarantine_spike_above_one_percent_of_at_least_100_rows_read():
    d1, d2 = date(2026, 2, 1), date(2026, 2, 2)
    runs = pl.LazyFrame({
        "business_date": [d1, d2],
        "sales_rows_read": [1000, 999], "sales_rows_quarantined": [10, 10],      # 1.0 %: no; 1.001 %: yes
        "surveys_rows_read": [200, 0], "surveys_rows_quarantined": [3, 0],       # 1.5 %: yes; none read
        "complaints_rows_read": [0, 99], "complaints_rows_quarantined": [0, 4],  # 4 %, but 99 < 100 rows
    })
    got = _rows(alerts.quarantine_spike(runs, threshold_pct=1.0, min_rows=100))
    assert set(got) == {("quarantine_spike", "surveys", d1), ("quarantine_spike", "sales", d2)}
    assert got[("quarantine_spike", "surveys", d1)]["value"] == pytest.approx(1.5)
    assert got[("quarantine_spike", "sales", d2)]["value"] == pytest.approx(100 * 10 / 999)
    assert got[("quarantine_spike", "surveys", d1)]["message"] == \
        "1.5 % of the surveys records of the drop of 2026-02-01 were quarantined (3 of 200; threshold 1.0 %)."


def test_valuable_at_risk_counts_platinum_and_gold_entering_the_high_band():
    d1, d2, d3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)
    rows = [
        (d1, "c1", "high", "platinum", 500.0),   # first snapshot: no previous, no alert
        (d2, "c1", "high", "platinum", 500.0),   # high before: not entering
        (d2, "c2", "high", "gold", 100.0),       # entering
        (d2, "c3", "high", "iron", 900.0),       # not valuable
        (d2, "c4", "high", "gold", None),        # entering, no CLV
        (d2, "c5", "medium", "platinum", 50.0),  # not high
        (d3, "c2", "high", "gold", 100.0),       # high at d2: not entering
        *[(d3, f"n{i}", "high", "gold", 10.0) for i in range(10)],  # 10 entering: critical
    ]
    signals = pl.LazyFrame(rows, schema=["as_of_date", "customer_id", "risk_band", "value_tier", "clv_365d"],
                           orient="row")
    got = _rows(alerts.valuable_at_risk(signals, pl.LazyFrame({"as_of_date": [d1, d2, d3]}), critical_count=10))
    assert set(got) == {("valuable_at_risk", "ALL", d2), ("valuable_at_risk", "ALL", d3)}
    a2, a3 = got[("valuable_at_risk", "ALL", d2)], got[("valuable_at_risk", "ALL", d3)]
    assert (a2["value"], a2["clv_365d_sum"], a2["severity"]) == (2.0, 100.0, "warning")
    assert (a3["value"], a3["clv_365d_sum"], a3["severity"]) == (10.0, 100.0, "critical")
    assert a2["message"] == "2 platinum or gold customer(s) entered the high churn-risk band at the snapshot of " \
                            "2026-03-02 (their clv_365d sums to 100.0)."


def test_no_input_rows_give_no_alerts_of_the_schema():
    assert alerts.empty_alerts().collect().schema == pl.Schema(alerts.ALERT_SCHEMA)
