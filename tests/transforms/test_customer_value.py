"""mart_customer_value and mart_clv_model by hand; batch equals single dates (METRICS.md section 7)."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.transforms.customer_data import complaints, fake_models, responses, sales
from transforms.customer_value import build_customer_value, customer_value_with_models, snapshot_dates

D = date(2026, 1, 10)  # D - 365 = 2025-01-10 (excluded from the 365-day window)

SALES = sales([
    ("o1", "sale", "a", date(2024, 12, 1), 100.0, 60.0),
    ("o2", "sale", "a", date(2025, 1, 10), 50.0, 20.0),  # on D-365: outside the window
    ("o3", "sale", "a", date(2025, 6, 1), 30.0, 10.0), ("o3", "sale", "a", date(2025, 6, 1), 20.0, 10.0),
    ("r1", "return", "a", date(2025, 7, 1), -20.0, -10.0),  # subtracts, not an order
    ("o4", "sale", "b", D, 40.0, 10.0),
    ("o5", "sale", "c", date(2025, 12, 1), 10.0, 15.0), ("o6", "sale", "c", date(2025, 12, 20), 10.0, 15.0),
    ("o7", "sale", "g", date(2026, 1, 11), 99.0, 1.0),  # after D: g has no row
])  # fmt: skip
RESPONSES = responses([
    ("s1", "a", datetime(2025, 8, 1, 9), 9), ("s2", "b", datetime(2025, 8, 1, 9), 10),
    ("s3", "c", datetime(2025, 9, 1, 9), 9), ("s4", "c", datetime(2025, 10, 1, 9), 8),
    ("s5", "p", datetime(2025, 5, 5, 9), 3), ("s6", None, datetime(2025, 5, 5, 9), 1),
])  # fmt: skip
COMPLAINTS = complaints([
    ("k1", "q", datetime(2026, 1, 10, 23), None, False), ("k2", "r", datetime(2026, 1, 11, 1), None, False),
])  # fmt: skip


def test_snapshot_by_hand():
    # Population a, b, c (n = 3); prospects p (survey) and q (complaint on D).
    # a: orders o1, o2, o3 (two lines, one order) -> 3; monetary 100+50+50-20 = 180; margin 40+30+30-10 = 90;
    #    margin_365d = o3 30 + r1 -10 = 20; recency 2025-06-01 -> D = 223 days. b: 1 order on D. c: 2 orders.
    # R (recency 223, 0, 21): ranks a1 c2 b3 -> 1, 2 (1+5//3), 4 (1+10//3); F (3, 1, 2): b1 c2 a4;
    # M (180, 40, 20): c1 b2 a4. Segments: a "1,4" At risk, b "4,1" Promising, c "2,2" Hibernating.
    # Tiers: b 30 rank 1 (1/3 -> gold), a 20 rank 2 (iron), c -10 lead.
    # CLV (fake: p_alive 0.8, 3.65 orders in 365 days; Gamma-Gamma p=2, q=3, v=10):
    #   a x=2, mean of the repeat orders o2 50, o3 50 (not o1, not the return) = 50:
    #   2*(10+2*50)/(2*2+2) = 36.667; c x=1, repeat o6 10: 2*(10+10)/(2+2) = 10;
    #   b x=0: population mean p*v/(q-1) = 10. margin_ratio a 0.5, b 0.75, c -20/20 -> clipped 0.
    #   clv a 3.65*36.667*0.5 = 66.9167, b 3.65*10*0.75 = 27.375, c 0.
    mart, models = customer_value_with_models(SALES, RESPONSES, COMPLAINTS, [D], models=fake_models())
    null3 = [None, None]
    expected = pl.DataFrame(
        {
            "as_of_date": [D] * 5,
            "customer_id": ["a", "b", "c", "p", "q"],
            "first_order_date": [date(2024, 12, 1), D, date(2025, 12, 1), None, None],
            "last_order_date": [date(2025, 6, 1), D, date(2025, 12, 20), None, None],
            "recency_days": [223, 0, 21, *null3],
            "frequency": [3, 1, 2, *null3],
            "monetary": [180.0, 40.0, 20.0, *null3],
            "margin": [90.0, 30.0, -10.0, *null3],
            "margin_365d": [20.0, 30.0, -10.0, *null3],
            "r_score": [1, 4, 2, *null3],
            "f_score": [4, 1, 2, *null3],
            "m_score": [4, 2, 1, *null3],
            "rfm_segment": ["At risk", "Promising", "Hibernating", *null3],
            "rank_365d": [2, 1, 3, *null3],
            "rank_share": [2 / 3, 1 / 3, 1.0, *null3],
            "value_tier": ["iron", "gold", "lead", *null3],
            "loyalty_stage": ["advocate", "first_time", "repeat", "prospect", "prospect"],
            "latest_nps": [9, 10, 8, 3, None],
            "p_alive": [0.8, 0.8, 0.8, *null3],
            "expected_orders_365d": [3.65, 3.65, 3.65, *null3],
            "expected_order_value": [220 / 6, 10.0, 10.0, *null3],
            "margin_ratio": [0.5, 0.75, 0.0, *null3],
            "clv_365d": [3.65 * 220 / 6 * 0.5, 27.375, 0.0, *null3],
        },
        schema_overrides={"r_score": pl.Int8, "f_score": pl.Int8, "m_score": pl.Int8},
    )
    assert_frame_equal(mart.collect(), expected)
    expected_models = pl.DataFrame(
        {
            "as_of_date": [D, D], "model": ["bgnbd", "gamma_gamma"],
            "r": [1.0, None], "alpha": [2.0, None], "a": [0.5, None], "b": [3.0, None],
            "p": [None, 2.0], "q": [None, 3.0], "v": [None, 10.0],
            "log_likelihood": [-10.0, -5.0], "n_customers": [3, 2], "converged": [True, True],
            "status": ["converged", "converged"],
            # the fake models have no standard errors: null, as for a fit whose information is singular
            "r_se": [None, None], "alpha_se": [None, None], "a_se": [None, None], "b_se": [None, None],
        },
        schema_overrides={c: pl.Float64 for c in ("r_se", "alpha_se", "a_se", "b_se")},
    )  # fmt: skip
    assert_frame_equal(models.collect(), expected_models)


def test_batch_equals_single_dates():
    dates = [date(2025, 6, 1), D, date(2025, 12, 31)]
    batch = build_customer_value(SALES, RESPONSES, COMPLAINTS, dates, models=fake_models()).collect()
    single = pl.concat(
        [build_customer_value(SALES, RESPONSES, COMPLAINTS, [x], models=fake_models()).collect()
         for x in sorted(dates)]
    )  # fmt: skip
    assert_frame_equal(batch, single, check_exact=True)
    assert batch.group_by("as_of_date").len().sort("as_of_date")["len"].to_list() == [
        2,
        4,
        5,
    ]  # 06-01: a, p; 12-31: a, b (survey only: prospect), c, p


def test_snapshot_dates_and_bad_input():
    assert snapshot_dates(date(2026, 1, 1), date(2026, 1, 12), "weekly") == [date(2026, 1, 4), date(2026, 1, 11)]
    assert len(snapshot_dates(date(2026, 1, 1), date(2026, 1, 3))) == 3
    with pytest.raises(ValueError, match="cadence"):
        snapshot_dates(date(2026, 1, 1), date(2026, 1, 3), "monthly")
    with pytest.raises(ValueError, match="as_of_dates is empty"):
        build_customer_value(SALES, RESPONSES, COMPLAINTS, [], models=fake_models())


def test_params_from_settings():
    from csi.settings import load_settings
    from transforms.customer_value import CustomerValueParams

    cv = load_settings().customer_value
    params = CustomerValueParams.from_settings(cv)
    assert params.tiers.bounds == (("platinum", 0.2), ("gold", 0.5), ("iron", 0.8))
    assert params.clv.horizon_days == 365 and params.rfm_grid is None
