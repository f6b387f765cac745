"""mart_topics_monthly (METRICS.md section 13), numbers worked by hand."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms.topics_monthly import COLUMNS, build_topics_monthly

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)
T_SCHEMA = {"text_id": pl.String, "source": pl.String, "response_id": pl.String, "site_id": pl.String,
            "written_at": pl.Datetime("us"), "sentiment": pl.Float64, "sentiment_label": pl.String,
            "topics": pl.List(pl.String)}  # fmt: skip
TEXTS = [
    ("t1", "survey", "r1", "A", datetime(2026, 1, 3), -0.5, "negative", ["delivery"]),
    ("t2", "survey", "r2", "A", datetime(2026, 1, 4), 0.2, "positive", ["delivery", "staff_attitude"]),
    ("t3", "survey", "r3", "A", datetime(2026, 1, 5), 0.0, "neutral", []),
    ("t4", "survey", "r4", "A", datetime(2026, 1, 6), 0.6, "positive", ["staff_attitude"]),
    ("t5", "survey", "r5", "B", datetime(2026, 1, 31, 23, 59), -1.0, "negative", ["delivery"]),
    ("t6", "complaint", None, "A", datetime(2026, 1, 9), -0.8, "negative", ["delivery"]),
    ("t7", "survey", "r6", "A", datetime(2026, 2, 1), 0.1, "positive", []),
]
# r1 detractor, r2 promoter, r3 promoter, r4 no NPS answer, r5 promoter, r6 detractor
RESPONSES = [("r1", 3), ("r2", 10), ("r3", 9), ("r4", None), ("r5", 9), ("r6", 0)]


def _mart(**kw) -> pl.DataFrame:
    texts = pl.DataFrame(TEXTS, schema=T_SCHEMA, orient="row").lazy()
    responses = pl.DataFrame(RESPONSES, schema={"response_id": pl.String, "nps_answer": pl.Int64}, orient="row")
    return build_topics_monthly(texts, responses.lazy(), **kw).collect()


N = None
# month, site, source, topic, texts, mentions, share, sentiment_sum, sentiment_mean, negative_count, negative_pct,
# with n/p/d, nps_with, without n/p/d, nps_without, nps_impact
EXPECTED = [
    # A Jan survey: delivery in t1 (r1 detractor) and t2 (r2 promoter); without: r3 (promoter); r4 has no NPS
    (JAN, "A", "survey", "delivery", 4, 2, 50.0, -0.3, -0.15, 1, 50.0, 2, 1, 1, 0.0, 1, 1, 0, 100.0, -100.0),
    # staff in t2 (r2) and t4 (r4, no NPS): with = r2 only; without = r1, r3
    (JAN, "A", "survey", "staff_attitude", 4, 2, 50.0, 0.8, 0.4, 0, 0.0, 1, 1, 0, 100.0, 2, 1, 1, 0.0, 100.0),
    (JAN, "A", "complaint", "delivery", 1, 1, 100.0, -0.8, -0.8, 1, 100.0, N, N, N, N, N, N, N, N, N),
    (JAN, "A", "complaint", "staff_attitude", 1, 0, 0.0, 0.0, N, 0, N, N, N, N, N, N, N, N, N, N),
    (JAN, "ALL", "complaint", "delivery", 1, 1, 100.0, -0.8, -0.8, 1, 100.0, N, N, N, N, N, N, N, N, N),
    (JAN, "ALL", "complaint", "staff_attitude", 1, 0, 0.0, 0.0, N, 0, N, N, N, N, N, N, N, N, N, N),
    # pooled: delivery with r1, r2, r5 (1 det, 2 prom) = 33.33; without r3 = 100
    (JAN, "ALL", "survey", "delivery", 5, 3, 60.0, -1.3, -1.3 / 3, 2, 200 / 3, 3, 2, 1, 100 / 3, 1, 1, 0, 100.0,
     100 / 3 - 100),
    # staff with r2 = 100; without r1, r3, r5 = (2 - 1) / 3
    (JAN, "ALL", "survey", "staff_attitude", 5, 2, 40.0, 0.8, 0.4, 0, 0.0, 1, 1, 0, 100.0, 3, 2, 1, 100 / 3,
     100 - 100 / 3),
    (JAN, "B", "survey", "delivery", 1, 1, 100.0, -1.0, -1.0, 1, 100.0, 1, 1, 0, 100.0, 0, 0, 0, N, N),
    (JAN, "B", "survey", "staff_attitude", 1, 0, 0.0, 0.0, N, 0, N, 0, 0, 0, N, 1, 1, 0, 100.0, N),
    # February 1st 00:00 belongs to February; r6 is a detractor who mentions nothing
    (FEB, "A", "survey", "delivery", 1, 0, 0.0, 0.0, N, 0, N, 0, 0, 0, N, 1, 0, 1, -100.0, N),
    (FEB, "A", "survey", "staff_attitude", 1, 0, 0.0, 0.0, N, 0, N, 0, 0, 0, N, 1, 0, 1, -100.0, N),
    (FEB, "ALL", "survey", "delivery", 1, 0, 0.0, 0.0, N, 0, N, 0, 0, 0, N, 1, 0, 1, -100.0, N),
    (FEB, "ALL", "survey", "staff_attitude", 1, 0, 0.0, 0.0, N, 0, N, 0, 0, 0, N, 1, 0, 1, -100.0, N),
]  # fmt: skip
ORDER = ["month", "site_id", "source", "topic_id", "texts", "mentions", "share_pct", "sentiment_sum",
         "sentiment_mean", "negative_count", "negative_pct", "nps_with_n", "nps_with_promoters",
         "nps_with_detractors", "nps_with", "nps_without_n", "nps_without_promoters", "nps_without_detractors",
         "nps_without", "nps_impact"]  # fmt: skip


def test_topics_monthly_hand_worked():
    got = _mart(topic_ids=["delivery", "staff_attitude"])
    assert got.columns == COLUMNS
    got = got.select(ORDER).sort("month", "site_id", "source", "topic_id")
    schema = got.schema
    want = pl.DataFrame(EXPECTED, schema=schema, orient="row").sort("month", "site_id", "source", "topic_id")
    assert_frame_equal(got, want, check_exact=False, abs_tol=1e-9)


def test_topics_without_a_dictionary_are_the_ones_found():
    got = _mart()
    # no topic list: only topics mentioned in the month get rows (February mentions none)
    assert sorted(set(got["topic_id"])) == ["delivery", "staff_attitude"]
    assert got.filter(pl.col("month") == FEB).height == 0


def test_months_filter_and_missing_column():
    assert set(_mart(topic_ids=["delivery"], months=[date(2026, 2, 14)])["month"]) == {FEB}
    texts = pl.DataFrame(TEXTS, schema=T_SCHEMA, orient="row").drop("topics").lazy()
    with pytest.raises(ValueError, match=r"fct_text: missing column\(s\) \['topics'\]"):
        build_topics_monthly(texts, pl.LazyFrame({"response_id": [], "nps_answer": []}))
