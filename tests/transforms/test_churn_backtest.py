"""Churn backtest on a tiny data set with a hand-computed AUC (METRICS.md section 8)."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.transforms.customer_data import d, sales
from transforms.churn_backtest import build_churn_backtest

D0, D1, D2 = d(1, 2), d(1, 3), d(5, 3)  # D2 + 90 = 06-03 > newest data date 06-01: not backtested

SIGNALS = pl.LazyFrame(
    {
        "as_of_date": [D0] + [D1] * 6 + [D2],
        "customer_id": ["f", "a", "b", "c", "d", "e", "f", "a"],
        "risk_score": [0.0, 70.0, 70.0, 40.0, 15.0, 15.0, 0.0, 70.0],
        "risk_band": ["low", "high", "high", "medium", "low", "low", "low", "high"],
    }
)
SALES = sales([
    ("a1", "sale", "a", d(1, 3), 1.0, 0.0),  # on D1 itself: not in (D1, D1+90]
    ("b1", "sale", "b", d(1, 4), 1.0, 0.0),
    ("c1r", "return", "c", d(10, 4), -1.0, 0.0),  # a return is not an order
    ("d1", "sale", "d", d(30, 5), 1.0, 0.0),  # D1 + 90 = 05-30: inside the window
    ("e1", "sale", "e", d(31, 5), 1.0, 0.0),  # D1 + 91: outside
    ("f1", "sale", "f", d(2, 3), 1.0, 0.0), ("f2", "sale", "f", d(1, 6), 1.0, 0.0),
])  # fmt: skip


def test_tiny_backtest_by_hand():
    # D1: churned a(70), c(40), e(15); retained b(70), d(15), f(0).
    # Average ranks of the scores: f 1, d/e 2.5, c 4, a/b 5.5. Churned rank sum = 5.5 + 4 + 2.5 = 12.
    # AUC = (12 - 3*4/2) / (3*3) = 6/9 = 0.6666...; by pairs: a 0.5+1+1, c 0+1+1, e 0+0.5+1 = 6 of 9.
    # Bands: high a, b (1 churned, 50 %); medium c (100 %); low d, e, f (1 churned, 33.3 %).
    # D0: only f, retained (order 03-02) -> AUC null (no churned), empty bands -> rate null.
    out = build_churn_backtest(SIGNALS, SALES).collect()
    expected = pl.DataFrame(
        {
            "as_of_date": [D0] * 4 + [D1] * 4,
            "risk_band": ["ALL", "low", "medium", "high"] * 2,
            "customers": [1, 1, 0, 0, 6, 3, 1, 2],
            "churned": [0, 0, 0, 0, 3, 1, 1, 1],
            "churn_rate_pct": [0.0, 0.0, None, None, 50.0, 100.0 / 3, 100.0, 50.0],
            "auc": [None, None, None, None, 2 / 3, None, None, None],
        }
    )
    assert_frame_equal(out, expected)


def test_explicit_data_end_and_bad_horizon():
    out = build_churn_backtest(SIGNALS, SALES, data_end=d(3, 6)).collect()
    assert out["as_of_date"].unique().sort().to_list() == [D0, D1, D2]
    with pytest.raises(ValueError, match="horizon_days"):
        build_churn_backtest(SIGNALS, SALES, horizon_days=0)


def test_auc_with_more_pairs_than_32_bits_count():
    # 70,000 churned (no order after D1, score 1) against 70,000 retained (an order on D1 + 1):
    # 35,000 retained score 0 and 35,000 score 1. n1 * n0 = 4.9e9 pairs, more than 2**32.
    # Pairs: churned over a 0-score retained count 1 (2.45e9), over a tied one 1/2 (2.45e9 / 2):
    # AUC = (2.45e9 + 1.225e9) / 4.9e9 = 0.75 exactly.
    n = 70_000
    churned = [f"c{i}" for i in range(n)]
    retained = [f"r{i}" for i in range(n)]
    signals = pl.LazyFrame({
        "as_of_date": [D1] * (2 * n), "customer_id": churned + retained,
        "risk_score": [1.0] * n + [0.0] * (n // 2) + [1.0] * (n // 2), "risk_band": ["low"] * (2 * n),
    })  # fmt: skip
    later = sales([(f"o{c}", "sale", c, d(2, 3), 1.0, 0.0) for c in retained])
    out = build_churn_backtest(signals, later, data_end=d(1, 6)).collect()
    row = out.filter(pl.col("risk_band") == "ALL").row(0, named=True)
    assert (row["customers"], row["churned"]) == (2 * n, n)
    assert row["auc"] == 0.75
