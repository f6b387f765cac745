"""The report's insight sections on hand-made marts: importance-performance, measurement quality,
CLV holdout (issue 17) and topics, sentiment, example texts (issue 18). Expected values by hand."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from csi.report import build

Q0, Q1, Q2 = date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1)


def _drv(quarter, weighting, driver, status="ok", **values) -> dict:
    return {"quarter": quarter, "site_id": values.pop("site_id", "ALL"), "model_name": "acsi",
            "weighting": weighting, "driver": driver, "status": status, "n": values.pop("n", 150), **values}


def test_importance_of_the_newest_estimated_quarter_both_weightings_with_quadrant_means(blank):
    blank.put("mart_driver_importance", [
        _drv(Q0, "equal", "PQ", status="too_few_responses: 40 < 100", n=40),
        _drv(Q1, "equal", "EXP", total_effect_index=0.2, performance=70.0, quadrant="low_priority"),
        _drv(Q1, "equal", "PQ", total_effect_index=0.6, performance=80.0, quadrant="keep_up", impact_5pt=3.1),
        _drv(Q1, "equal", "PV", total_effect_index=0.4, performance=60.0, quadrant="low_priority"),
        _drv(Q1, "clv", "PV", total_effect_index=0.3, performance=70.0, quadrant="low_priority", n=90),
        _drv(Q1, "clv", "PQ", total_effect_index=0.5, performance=90.0, quadrant="keep_up", n=90),
        _drv(Q1, "clv", "EXP", status="degenerate: singular", n=90),
        _drv(Q1, "equal", "PQ", total_effect_index=0.9, performance=10.0, site_id="SH01"),
        _drv(Q2, "clv", "PQ", status="no_clv_snapshot: none", n=12),
        _drv(Q2, "equal", "PQ", status="too_few_responses: 12 < 100", n=12),
    ])
    with blank.warehouse.transaction() as tx:
        frame, quarter, status = build.importance(tx, date(2026, 5, 1))
        none, no_q, why = build.importance(tx, date(2025, 12, 31))
        nothing, _, never = build.importance(tx, date(2025, 9, 30))
    assert quarter == Q1 and status == "ok (equal, clv)"
    # equal first, highest importance first; the degenerate clv EXP row and SH01 are left out
    assert frame.select("weighting", "driver").rows() == [("equal", "PQ"), ("equal", "PV"), ("equal", "EXP"),
                                                          ("clv", "PQ"), ("clv", "PV")]
    # means over the weighting's drivers: equal (80 + 70 + 60) / 3 = 70, (0.6 + 0.2 + 0.4) / 3 = 0.4;
    # clv (90 + 70) / 2 = 80, (0.5 + 0.3) / 2 = 0.4
    assert frame["performance_mean"].to_list() == pytest.approx([70.0, 70.0, 70.0, 80.0, 80.0])
    assert frame["importance_mean"].to_list() == pytest.approx([0.4, 0.4, 0.4, 0.4, 0.4])
    # Q0 is the newest quarter on or before 2025-12-31: its equal row's reason
    assert none.height == 0 and no_q is None and why == "too_few_responses: 40 < 100"
    assert nothing.height == 0 and never == "no quarter estimated yet"


def _q(kind, weighting, estimate, flag, quarter=Q1, site="ALL", **names) -> dict:
    return {"quarter": quarter, "site_id": site, "model_name": "acsi", "weighting": weighting, "kind": kind,
            "estimate": estimate, "flag": flag, "n": 150, **names}


def test_quality_side_by_side_per_statistic_in_reading_order(blank):
    pq_sat = {"from_construct": "PQ", "to_construct": "SAT"}
    blank.put("mart_pls_quality", [
        _q("vif", "equal", 2.0, "ok", **pq_sat), _q("vif", "clv", 3.5, "warning", **pq_sat),
        _q("f2", "equal", 0.3, None, **pq_sat), _q("f2", "clv", 0.2, None, **pq_sat),
        _q("htmt", "equal", 0.87, "warning", **pq_sat), _q("htmt", "clv", 0.8, "ok", **pq_sat),
        _q("alpha", "equal", None, None, construct="COMP", note="single-item construct"),
        _q("loading", "equal", 0.8, "ok", construct="PQ", item="pq_1"),
        _q("loading", "clv", 0.6, "fail", construct="PQ", item="pq_1"),
        _q("loading", "equal", 0.2, "fail", construct="PQ", item="pq_1", site="SH01"),
        _q("loading", "equal", 0.1, "fail", construct="PQ", item="pq_1", quarter=Q0),
    ])
    with blank.warehouse.transaction() as tx:
        frame, quarter = build.quality(tx, date(2026, 6, 30))
        _, before = build.quality(tx, date(2025, 9, 30))
    assert quarter == Q1 and before is None
    assert frame.select("kind", "subject", "estimate_equal", "flag_equal", "estimate_clv", "flag_clv",
                        "note_equal", "worst").rows() == [
        ("loading", "PQ / pq_1", 0.8, "ok", 0.6, "fail", None, "fail"),
        ("alpha", "COMP", None, None, None, None, "single-item construct", None),
        ("htmt", "PQ – SAT", 0.87, "warning", 0.8, "ok", None, "warning"),
        ("vif", "PQ -> SAT", 2.0, "ok", 3.5, "warning", None, "warning"),
        ("f2", "PQ -> SAT", 0.3, None, 0.2, None, None, None),
    ]


def test_holdout_of_the_newest_as_of_date_bins_in_order(blank):
    rows = [{"as_of_date": date(2026, 4, 30), "calibration_end": date(2026, 1, 30), "holdout_days": 90,
             "frequency_bin": b, "customers": c, "status": "converged"}
            for b, c in (("total", 30), ("7+", 5), ("0", 15), ("1", 10))]
    rows += [{"as_of_date": date(2026, 5, 1), "calibration_end": date(2026, 1, 31), "holdout_days": 90,
              "frequency_bin": "total", "customers": 31, "status": "converged"}]
    blank.put("mart_clv_validation", rows)
    with blank.warehouse.transaction() as tx:
        frame, when = build.holdout(tx, date(2026, 4, 30))
        _, never = build.holdout(tx, date(2026, 4, 29))
    assert when == date(2026, 4, 30) and never is None
    assert frame.select("frequency_bin", "customers").rows() == [("0", 15), ("1", 10), ("7+", 5), ("total", 30)]


def _t(month, source, topic, texts, mentions, site="ALL", **values) -> dict:
    return {"month": month, "site_id": site, "source": source, "topic_id": topic,
            "topic_label": topic.title(), "texts": texts, "mentions": mentions, **values}


def _nps(wn, wp, wd, on, op, od) -> dict:
    return {"nps_with_n": wn, "nps_with_promoters": wp, "nps_with_detractors": wd,
            "nps_without_n": on, "nps_without_promoters": op, "nps_without_detractors": od}


def test_topics_pool_three_months_from_the_additive_parts(blank):
    jan, feb, mar = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
    blank.put("mart_topics_monthly", [
        _t(jan, "survey", "delivery", 10, 2, sentiment_sum=-1.0, negative_count=2, **_nps(2, 0, 2, 8, 4, 1)),
        _t(feb, "survey", "delivery", 10, 3, sentiment_sum=-0.5, negative_count=2, **_nps(3, 1, 1, 7, 3, 2)),
        _t(mar, "complaint", "delivery", 5, 5, sentiment_sum=-4.0, negative_count=5),
        _t(jan, "survey", "payment", 10, 0, **_nps(0, 0, 0, 10, 4, 3)),
        _t(feb, "survey", "payment", 10, 1, sentiment_sum=0.5, **_nps(1, 1, 0, 9, 3, 3)),
        _t(mar, "complaint", "payment", 5, 0),
        _t(date(2025, 12, 1), "survey", "payment", 10, 10, sentiment_sum=9.0),  # before the 3 months
        _t(date(2026, 4, 1), "survey", "payment", 10, 10, sentiment_sum=9.0),  # after D's month
        _t(mar, "complaint", "payment", 5, 5, site="SH01"),
    ])
    with blank.warehouse.transaction() as tx:
        frame, months = build.topics(tx, date(2026, 3, 20))
        _, none = build.topics(tx, date(2025, 11, 30))
    assert months == (jan, mar) and none is None
    assert frame["topic_id"].to_list() == ["delivery", "payment"]  # 10 mentions, then 1
    got = {r["topic_id"]: r for r in frame.iter_rows(named=True)}
    d, p = got["delivery"], got["payment"]
    assert (d["survey_mentions"], d["complaint_mentions"], d["mentions"], d["texts"]) == (5, 5, 10, 25)
    assert d["share_pct"] == pytest.approx(40.0)  # 10 of 25 texts
    assert d["sentiment_mean"] == pytest.approx(-0.55)  # (-1 - 0.5 - 4) / 10
    assert d["negative_pct"] == pytest.approx(90.0)  # 9 of 10
    # with: n 5, promoters 1, detractors 3 -> -40; without: n 15, 7, 3 -> 26.67; impact -66.67
    assert (d["nps_with"], d["nps_without"], d["nps_impact"]) == pytest.approx((-40.0, 80 / 3, -40 - 80 / 3))
    assert (p["survey_mentions"], p["complaint_mentions"], p["share_pct"]) == (1, 0, pytest.approx(4.0))
    # with: n 1, 1 promoter -> 100; without: n 19, 7 - 6 -> 5.26; impact 94.74
    assert (p["nps_with"], p["nps_without"], p["nps_impact"]) == pytest.approx((100.0, 100 / 19, 100 - 100 / 19))
    assert p["negative_pct"] == 0.0


def _text(text_id, source, day, sentiment, label, content, topics) -> dict:
    return {"text_id": text_id, "source": source, "site_id": "SH01",
            "written_at": datetime.combine(day, datetime.min.time()),
            "written_date": day, "content": content, "language": "zh", "sentiment": sentiment,
            "sentiment_label": label, "topics": ";".join(topics), "topic_count": len(topics)}


def test_sentiment_trend_and_example_texts(blank):
    texts = [
        _text("t1", "survey", date(2026, 3, 5), -0.8, "negative", "送货太慢了<b>!</b>", ["delivery"]),
        _text("t2", "survey", date(2026, 3, 6), -0.8, "negative", "送货太慢了<b>!</b>", ["delivery"]),
        _text("t3", "complaint", date(2026, 2, 10), -0.9, "negative", "Late   delivery\nagain ", ["delivery"]),
        _text("t4", "survey", date(2026, 3, 7), 0.6, "positive", "x" * 130, ["delivery"]),
        _text("t5", "survey", date(2025, 12, 20), -1.0, "negative", "old", ["delivery"]),
        _text("t6", "survey", date(2026, 4, 2), -1.0, "negative", "too new", ["delivery"]),
        _text("t7", "complaint", date(2026, 3, 1), 0.0, "neutral", "付款", ["payment"]),
    ]
    blank.put("fct_text", texts)
    blank.put("fct_text_topic", [{"text_id": t["text_id"], "topic_id": topic, "source": t["source"],
                                  "site_id": t["site_id"], "written_date": t["written_date"],
                                  "sentiment_label": t["sentiment_label"]}
                                 for t in texts for topic in t["topics"].split(";")])
    with blank.warehouse.transaction() as tx:
        trend = build.sentiment_trend(tx, date(2026, 3, 1))
        shown = build.examples(tx, date(2026, 1, 1), date(2026, 3, 1), per_topic=3, chars=120)
        two = build.examples(tx, date(2026, 1, 1), date(2026, 3, 1), per_topic=2)
    # 13 months to 2026-03: 2025-03 .. 2026-03 (t6 in April is out)
    assert trend.rows() == [
        (date(2026, 2, 1), "complaint", 1, pytest.approx(-0.9), 100.0, 0.0),
        (date(2026, 3, 1), "complaint", 1, 0.0, 0.0, 0.0),
        (date(2025, 12, 1), "survey", 1, -1.0, 100.0, 0.0),
        # t1, t2, t4: (-0.8 - 0.8 + 0.6) / 3; 2 of 3 negative, 1 of 3 positive
        (date(2026, 3, 1), "survey", 3, pytest.approx(-1 / 3), pytest.approx(200 / 3), pytest.approx(100 / 3)),
    ]
    # most negative first; t1 and t2 tie on sentiment, t2 is newer; t1 has t2's wording and is left out;
    # t5 is before January; t4 cut to 119 characters and an ellipsis
    assert shown.select("topic_id", "source", "content").rows() == [
        ("delivery", "complaint", "Late delivery again"), ("delivery", "survey", "送货太慢了<b>!</b>"),
        ("delivery", "survey", "x" * 119 + "…"), ("payment", "complaint", "付款")]
    assert shown.filter(shown["source"] == "survey")["written_date"].to_list() == [date(2026, 3, 6), date(2026, 3, 7)]
    assert two["topic_id"].to_list() == ["delivery", "delivery", "payment"]


def test_every_insight_section_degrades_without_its_mart(blank):
    with blank.warehouse.engine.begin() as conn:
        for name in ("mart_driver_importance", "mart_pls_quality", "mart_clv_validation", "mart_topics_monthly"):
            conn.execute(sa.text(f"DROP TABLE {name}"))
    d = date(2026, 3, 5)
    with blank.warehouse.transaction() as tx:
        frame, quarter, status = build.importance(tx, d)
        assert (frame.height, quarter, status) == (0, None, "no driver-importance mart yet")
        assert build.quality(tx, d)[1] is None and build.quality(tx, d)[0].height == 0
        assert build.holdout(tx, d)[1] is None and build.topics(tx, d)[1] is None


def test_insight_charts_carry_their_numbers_and_escape_labels():
    import polars as pl

    from csi.report import charts

    ipa = pl.DataFrame({
        "weighting": ["equal", "equal", "clv"], "driver": ["PQ", "<b>EXP</b>", "PQ"],
        "performance": [80.0, 60.0, 90.0], "total_effect_index": [0.6, 0.2, 0.5],
        "quadrant": ["keep_up", "low_priority", "keep_up"], "impact_5pt": [3.0, 1.0, 2.5],
        "total_effect_index_se": [0.1, 0.1, 0.2], "is_significant_index": [True, True, True], "n": [150, 150, 90],
        "performance_mean": [70.0, 70.0, 90.0], "importance_mean": [0.4, 0.4, 0.5]})
    fig = charts.importance_performance(ipa)
    equal, clv = fig.data
    assert list(equal.x) == [80.0, 60.0] and list(equal.y) == [0.6, 0.2] and list(clv.x) == [90.0]
    assert list(equal.text) == ["PQ", "&lt;b&gt;EXP&lt;/b&gt;"]
    assert list(equal.marker.color) == [charts.GREEN, charts.GREY]
    # the quadrant lines of each panel cross at its means
    assert len(fig.layout.shapes) == 4
    assert {s.x0 for s in fig.layout.shapes if s.x0 == s.x1} == {70.0, 90.0}
    assert {s.y0 for s in fig.layout.shapes if s.y0 == s.y1} == {0.4, 0.5}
    assert "impact of +5 points" in equal.hovertemplate

    hold = pl.DataFrame({"frequency_bin": ["0", "7+", "total"], "customers": [10, 2, 12],
                         "actual_mean": [0.3, 5.0, 1.1], "predicted_mean": [0.25, 4.5, 0.96],
                         "actual_orders": [3, 10, 13], "predicted_orders": [2.5, 9.0, 11.5]})
    actual, predicted = charts.clv_holdout(hold).data
    assert list(actual.x) == ["0", "7+"] and list(actual.y) == [0.3, 5.0] and list(predicted.y) == [0.25, 4.5]
    assert [list(c) for c in predicted.customdata] == [[10, 2.5], [2, 9.0]]

    top = pl.DataFrame({"topic_label": ["Delivery", "付款 & <i>"], "survey_mentions": [5, 1],
                        "complaint_mentions": [5, 0], "share_pct": [40.0, 4.0], "sentiment_mean": [-0.55, 0.5],
                        "negative_pct": [90.0, 0.0], "nps_impact": [-66.7, 94.7], "nps_with": [-40.0, 100.0],
                        "nps_with_n": [50, 1], "nps_without": [26.7, 5.3], "nps_without_n": [15, 19]})
    survey, complaint, impact = charts.topics(top, low_n=30).data
    assert list(survey.y) == ["Delivery", "付款 &amp; &lt;i&gt;"] and list(survey.x) == [5, 1]
    assert list(complaint.x) == [5, 0] and list(impact.x) == [-66.7, 94.7]
    # Delivery: 50 responses mention it, negative impact -> red; the other: 1 < 30 -> grey (low sample)
    assert list(impact.marker.color) == [charts.RED, charts.GREY]

    trend = pl.DataFrame({"month": [date(2026, 2, 1), date(2026, 3, 1)], "source": ["survey", "survey"],
                          "texts": [4, 3], "sentiment_mean": [0.2, -0.1], "negative_pct": [25.0, 66.7],
                          "positive_pct": [50.0, 33.3]})
    (line,) = charts.sentiment_trend(trend).data
    assert list(line.x) == ["2026-02", "2026-03"] and list(line.y) == [0.2, -0.1]


def test_the_page_shows_the_insight_sections_and_escapes_their_text(insight_marts_on):
    from csi.report.render import render

    with insight_marts_on.warehouse.transaction() as tx:
        data = build.load(tx)
    # t1 of April is the delivery example; the sentiment trend counts t2 (March) and t1 (April)
    assert data.examples.select("topic_id", "sentiment").rows() == [("delivery", -0.8)]
    assert data.sentiment.select("month", "texts", "negative_pct").rows() == [(date(2026, 3, 1), 1, 0.0),
                                                                              (date(2026, 4, 1), 1, 100.0)]
    assert data.importance_quarter == date(2026, 4, 1) and data.holdout_date == date(2026, 4, 30)
    assert data.topic_months == (date(2026, 2, 1), date(2026, 4, 1))
    html = render(data)
    for chart in ("chart-ipa", "chart-clv-holdout", "chart-topics", "chart-sentiment"):
        assert f'data-chart="{chart}"' in html
    assert "1 failed, 0 warnings of 1 statistics" in html
    assert '<tr class="fail"><td class="t">htmt</td><td class="t">PQ – SAT</td><td class="">0.930</td>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;送货太慢" in html and "<script>alert(1)" not in html
    assert "送货 &lt;Delivery&gt;" in html


def test_the_page_says_when_the_insight_marts_are_empty(blank):
    from csi.report.render import render

    blank.put("ops_pipeline_run", [{"run_id": "r1", "business_date": date(2026, 3, 5), "status": "success",
                                    "input_fingerprint": "x", "started_at": datetime(2026, 3, 6, 2)}])
    with blank.warehouse.transaction() as tx:
        html = render(build.load(tx))
    assert "importance-performance not estimated yet: no quarter estimated yet" in html
    assert "measurement quality not estimated yet (no estimated quarter)" in html
    assert "CLV holdout validation: no data yet" in html
    assert "no topics yet (no texts analysed)" in html
    assert "chart-ipa" not in html and "chart-topics" not in html
