"""Whale curve on four customers, by hand (METRICS.md section 7)."""

from __future__ import annotations

from datetime import date

import polars as pl
from polars.testing import assert_frame_equal

from transforms.whale_curve import build_whale_curve

D1 = date(2025, 3, 1)


def test_four_customers_by_hand():
    # Ranked margins 60, 30, 20, -10; total 100; n = 4. Point p covers floor(p*4/100) customers:
    # 5..20 % -> 0 customers (0.0); 25..45 % -> 1 (60 -> 0.6); 50..70 % -> 2 (90 -> 0.9);
    # 75..95 % -> 3 (110 -> 1.1, above 1: the loss-maker at the tail); 100 % -> 4 (100 -> 1.0).
    # top20 = the 20 % point = 0.0; bottom30 = (100 - 90) / 100 = 0.1. The prospect row is ignored.
    cv = pl.LazyFrame(
        {"as_of_date": [D1] * 5, "customer_id": ["w", "x", "y", "z", "p"], "rank_365d": [1, 2, 3, 4, None],
         "margin_365d": [60.0, 30.0, 20.0, -10.0, None]}
    )  # fmt: skip
    out = build_whale_curve(cv).collect()
    customers = [0] * 4 + [1] * 5 + [2] * 5 + [3] * 5 + [4]
    cum = [0.0] * 4 + [60.0] * 5 + [90.0] * 5 + [110.0] * 5 + [100.0]
    expected = pl.DataFrame(
        {
            "as_of_date": [D1] * 20,
            "rank_share_pct": list(range(5, 101, 5)),
            "customers": customers,
            "n_customers": [4] * 20,
            "cumulative_margin": cum,
            "total_margin": [100.0] * 20,
            "cumulative_margin_share": [0.0] * 4 + [0.6] * 5 + [0.9] * 5 + [1.1] * 5 + [1.0],
            "top20_margin_share": [0.0] * 20,
            "bottom30_margin_share": [0.1] * 20,
        }
    )
    assert_frame_equal(out, expected)


def test_zero_total_margin_gives_null_shares_and_empty_input_no_rows():
    cv = pl.LazyFrame({"as_of_date": [D1, D1], "rank_365d": [1, 2], "margin_365d": [5.0, -5.0]})
    out = build_whale_curve(cv).collect()
    assert out["cumulative_margin_share"].null_count() == 20
    assert out["bottom30_margin_share"].null_count() == 20
    empty = cv.filter(pl.lit(False))
    assert build_whale_curve(empty).collect().height == 0
