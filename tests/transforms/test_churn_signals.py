"""Churn signals, score, band and reasons by hand (METRICS.md section 8)."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.transforms.customer_data import complaints, d, responses, sales, ts
from transforms.churn_signals import DEFAULT_WEIGHTS, SIGNALS, ChurnParams, build_churn_signals

D = d(30, 6)  # D-90 = 2025-04-01, D-180 = 2025-01-01

SALES = sales([
    # a: two orders on 01-01, 01-11, 01-31 -> every order counts: gaps 0, 10, 20 -> median 10
    ("a1", "sale", "a", d(1), 10.0, 5.0), ("a2", "sale", "a", d(1), 10.0, 5.0),
    ("a3", "sale", "a", d(11), 10.0, 5.0), ("a4", "sale", "a", d(31), 10.0, 5.0),
    # b: two orders on the same day only -> one gap of 0 -> median 0 -> recency_ratio null
    ("b1", "sale", "b", d(20, 6), 5.0, 1.0), ("b2", "sale", "b", d(20, 6), 5.0, 1.0),
    # c: order dates 06-01, 06-03, 06-04, 06-14, 06-15 -> gaps 2, 1, 10, 1 -> median 1.5
    *[(f"c{i}", "sale", "c", d(day, 6), 1.0, 0.5) for i, day in enumerate([1, 3, 4, 14, 15])],
    # s: 100 in (D-180, D-90]; 50 - 12 (a return) in (D-90, D] -> spend_trend 0.38
    ("s1", "sale", "s", d(15, 2), 100.0, 50.0), ("s2", "sale", "s", d(1, 5), 50.0, 25.0),
    ("s2r", "return", "s", d(10, 5), -12.0, -6.0),
    # t: only a recent order -> earlier window 0 -> spend_trend null
    ("t1", "sale", "t", d(1, 6), 80.0, 40.0),
    # u: 10 exactly on D-90 (earlier window), 20 on D -> 2.0
    ("u1", "sale", "u", d(1, 4), 10.0, 5.0), ("u2", "sale", "u", d(30, 6), 20.0, 10.0),
])  # fmt: skip
RESPONSES = responses([
    ("r1", "s", ts(1, 3), 9), ("r2", "s", ts(1, 5), 5),  # latest 5, previous 9 -> drop -4
    ("r4", "u", ts(1, 6, 10), 8), ("r5", "u", ts(1, 6, 10), 6),  # same time: r5 after r4 -> latest 6
    ("r6", None, ts(2, 6), 0),  # anonymous: ignored
    ("r7", "a", ts(1, 7), 0),  # after D: ignored
])  # fmt: skip
COMPLAINTS = complaints([
    ("k1", "t", ts(1, 6), datetime(2025, 6, 30, 23, 59, 59), True),  # closed on D: neither
    ("k2", "t", ts(10, 6), datetime(2025, 7, 1, 0, 0, 0), True),  # closed at D's end = D+1: open
    ("k3", "u", ts(1, 3), None, False),  # open, opened before the 90-day window
    ("k4", "u", ts(15, 6), ts(20, 6), False),  # closed (rejected) but not resolved: unresolved
    ("k5", "s", ts(1, 4, 10), None, False),  # opened on D-90: open, outside (D-90, D]
    ("k6", "a", ts(1, 7), None, False),  # opened after D
])  # fmt: skip
P_ALIVE = pl.LazyFrame({"as_of_date": [D] * 4, "customer_id": ["a", "s", "u", "zz"], "p_alive": [0.1, 0.3, 0.9, 0.0]})


def test_signals_score_band_reasons_by_hand():
    out = build_churn_signals(SALES, RESPONSES, COMPLAINTS, [D], p_alive=P_ALIVE).collect()
    expected = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "s", "t", "u"],
            "recency_days": [150, 10, 15, 60, 29, 0],
            # a: 150 / 10; s: gap 02-15 -> 05-01 = 75 days, 60 / 75
            "recency_ratio": [15.0, None, 10.0, 0.8, None, 0.0],
            "is_recency_signal": [True, False, True, False, False, False],
            "p_alive": [0.1, None, None, 0.3, None, 0.9],
            "revenue_90d": [0.0, 10.0, 5.0, 38.0, 80.0, 20.0],
            "revenue_prev_90d": [20.0, 0.0, 0.0, 100.0, 0.0, 10.0],
            "spend_trend": [0.0, None, None, 0.38, None, 2.0],
            "is_spend_signal": [True, False, False, True, False, False],
            "latest_nps": [None, None, None, 5, None, 6],
            "previous_nps": [None, None, None, 9, None, 8],
            "is_detractor": [None, None, None, True, None, True],
            "nps_drop": [None, None, None, -4, None, -2],
            "is_nps_drop_signal": [False, False, False, True, False, False],
            "open_complaints": [0, 0, 0, 1, 1, 1],
            "unresolved_90d": [0, 0, 0, 0, 1, 1],
            "risk_score": [70.0, 0.0, 30.0, 65.0, 15.0, 25.0],
            "risk_band": ["high", "low", "low", "medium", "low", "low"],
            "reasons": [
                "long time since last order (15.0x usual gap); low chance still active (p_alive 10%); "
                "spending down 100%",
                None,
                "long time since last order (10.0x usual gap)",
                "low chance still active (p_alive 30%); spending down 62%; detractor (latest NPS 5); "
                "1 open complaint; NPS dropped 4 points (9 to 5)",
                "1 open complaint; 1 complaint unresolved in 90 days",
                "detractor (latest NPS 6); 1 open complaint; 1 complaint unresolved in 90 days",
            ],
        }
    )
    assert_frame_equal(out.select(expected.columns), expected)
    assert out["as_of_date"].unique().to_list() == [D]


def test_recency_ratio_counts_every_order_metrics_example():
    # METRICS 8: orders on days 0, 0, 10 and 30 give gaps 0, 10, 20 and a median of 10. Day 0 =
    # 2025-03-01; D = 05-20 is 50 days after the last order (03-31) -> 50 / 10 = 5.0. Before the last
    # order (D = 03-20): orders on days 0, 0, 10 -> gaps 0, 10 -> median 5; recency 9 -> 1.8.
    # e: days 0, 0, 0, 12 -> gaps 0, 0, 12 -> median 0 -> null (as is a single order, f).
    rows = [("m1", "sale", "m", d(1, 3), 1.0, 0.0), ("m2", "sale", "m", d(1, 3), 1.0, 0.0),
            ("m3", "sale", "m", d(11, 3), 1.0, 0.0), ("m4", "sale", "m", d(31, 3), 1.0, 0.0),
            # a return is not an order: no gap of its own
            ("m4r", "return", "m", d(5, 4), -1.0, 0.0),
            *[(f"e{i}", "sale", "e", d(day, 3), 1.0, 0.0) for i, day in enumerate([1, 1, 1, 13])],
            ("f1", "sale", "f", d(1, 3), 1.0, 0.0)]  # fmt: skip
    dates = [d(20, 3), d(20, 5)]
    out = build_churn_signals(sales(rows), responses(), complaints(), dates).collect()
    got = {(r["as_of_date"], r["customer_id"]): r["recency_ratio"] for r in out.iter_rows(named=True)}
    assert got == {(d(20, 3), "e"): None, (d(20, 3), "f"): None, (d(20, 3), "m"): 1.8,
                   (d(20, 5), "e"): None, (d(20, 5), "f"): None, (d(20, 5), "m"): 5.0}  # fmt: skip


def test_score_is_capped_at_100_and_weights_reorder_reasons():
    params = ChurnParams.with_weights(dict.fromkeys(SIGNALS, 60.0) | {"open_complaints": 70.0})
    out = build_churn_signals(SALES, RESPONSES, COMPLAINTS, [D], p_alive=P_ALIVE, params=params).collect()
    s = out.filter(pl.col("customer_id") == "s").row(0, named=True)
    assert s["risk_score"] == 100.0 and s["risk_band"] == "high"
    assert s["reasons"].startswith("1 open complaint; low chance still active")


def test_batch_equals_single_dates():
    dates = [d(31, 3), D, d(15, 5)]
    batch = build_churn_signals(SALES, RESPONSES, COMPLAINTS, dates, p_alive=P_ALIVE).collect()
    single = pl.concat(
        [build_churn_signals(SALES, RESPONSES, COMPLAINTS, [x], p_alive=P_ALIVE).collect() for x in sorted(dates)]
    )
    assert_frame_equal(batch, single, check_exact=True)
    assert batch["as_of_date"].n_unique() == 3


@pytest.mark.parametrize(
    "params",
    [
        ChurnParams.with_weights({"recency": 10.0}),
        ChurnParams.with_weights({"p_alive": -1.0}),
        ChurnParams(medium_band_min=80.0, high_band_min=70.0),
    ],
)
def test_bad_params_are_refused(params):
    with pytest.raises(ValueError, match="churn"):
        build_churn_signals(SALES, RESPONSES, COMPLAINTS, [D], params=params)


def test_no_dates_is_refused():
    with pytest.raises(ValueError, match="as_of_dates is empty"):
        build_churn_signals(SALES, RESPONSES, COMPLAINTS, [])


def test_params_from_settings_merge_partial_weights():
    from csi.settings import load_settings

    settings = load_settings(churn={"weights": {"recency_ratio": 35.0}, "medium_band_min": 30.0})
    params = ChurnParams.from_settings(settings.churn)
    assert dict(params.weights) == {"recency_ratio": 35.0, "p_alive": 25.0, "spend_trend": 15.0,
                                    "detractor": 10.0, "nps_drop": 5.0, "open_complaints": 10.0,
                                    "unresolved_90d": 5.0}  # fmt: skip
    assert params.medium_band_min == 30.0 and params.ordered_weights()[0] == ("recency_ratio", 35.0)


def test_default_weights_agree_between_settings_and_transform():
    from csi.settings import ChurnSettings

    assert ChurnSettings().weights == dict(zip(SIGNALS, DEFAULT_WEIGHTS, strict=True))
    assert dict(ChurnParams.from_settings(ChurnSettings()).weights) == ChurnSettings().weights
