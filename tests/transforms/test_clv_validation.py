"""BG/NBD calibration / holdout validation (METRICS 12): transforms.clv_validation."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from scipy.special import hyp2f1

from tests.transforms.cdnow import CALIBRATION_END, HOLDOUT_END, orders
from transforms.bgnbd import BgNbdFit
from transforms.clv_validation import calibration_holdout, clv_validation, validation_dates

D0 = date(2026, 1, 1)
FIT = BgNbdFit(0.5, 10.0, 0.8, 2.5, float("nan"), 2, True, "converged", 0)  # parameters in days


def _orders(days: dict[str, list[int]]) -> pl.DataFrame:
    rows = [(c, D0 + timedelta(days=d)) for c, ds in days.items() for d in ds]
    return pl.DataFrame(rows, schema={"customer_id": pl.String, "order_date": pl.Date}, orient="row")


def _eq10(r, alpha, a, b, x, tx, big_t, t) -> float:
    """FHL (2005) eq. (10) written out with the hypergeometric function in its original form."""
    e = (a + b + x - 1) / (a - 1)
    e *= 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, t / (alpha + big_t + t)
    )
    if x > 0:
        e /= 1 + a / (b + x - 1) * ((alpha + big_t) / (alpha + tx)) ** (r + x)
    return e


def test_hand_worked_calibration_and_holdout():
    """as of day 40, holdout 15 days: C = day 25. A orders on days 0, 10, 20 | 35: x = 2,
    t_x = 20, T = 25, actual 1. B on day 5: x = 0, t_x = 0, T = 20, actual 0. C's first order
    is on day 30, after C: not a calibration customer. Orders after day 40 do not count."""
    o = _orders({"A": [0, 10, 20, 35, 41], "B": [5], "C": [30, 33]})
    cust = calibration_holdout(o, D0 + timedelta(days=40), 15)
    assert cust.to_dicts() == [
        {"customer_id": "A", "frequency": 2, "recency_days": 20.0, "t_days": 25.0, "actual": 1},
        {"customer_id": "B", "frequency": 0, "recency_days": 0.0, "t_days": 20.0, "actual": 0},
    ]
    v = clv_validation(o, D0 + timedelta(days=40), 15, fit=FIT)
    p_a, p_b = _eq10(0.5, 10.0, 0.8, 2.5, 2, 20, 25, 15), _eq10(0.5, 10.0, 0.8, 2.5, 0, 0, 20, 15)
    rows = {r["frequency_bin"]: r for r in v.rows.to_dicts()}
    assert list(rows) == ["0", "1", "2", "3", "4", "5", "6", "7+", "total"]
    assert rows["0"]["customers"] == 1 and rows["0"]["predicted_mean"] == pytest.approx(p_b, rel=1e-12)
    assert rows["2"]["actual_mean"] == 1.0 and rows["2"]["predicted_orders"] == pytest.approx(p_a, rel=1e-12)
    assert rows["1"]["customers"] == 0 and rows["1"]["actual_mean"] is None and rows["1"]["actual_orders"] == 0
    total = rows["total"]
    assert (total["customers"], total["actual_orders"], total["actual_mean"]) == (2, 1, 0.5)
    assert total["predicted_orders"] == pytest.approx(p_a + p_b, rel=1e-12)
    assert total["mae"] == pytest.approx((abs(p_a - 1) + p_b) / 2, rel=1e-12)
    assert total["rmse"] == pytest.approx(math.sqrt(((p_a - 1) ** 2 + p_b**2) / 2), rel=1e-12)
    assert rows["2"]["mae"] is None
    assert {r["calibration_end"] for r in rows.values()} == {D0 + timedelta(days=25)}
    assert {r["status"] for r in rows.values()} == {"converged"}


def test_fitted_on_the_calibration_orders_when_no_fit_is_given():
    o = _orders({"A": [0, 3], "B": [0, 2, 4, 9], "C": [1], "D": [2, 12, 30]})
    v = clv_validation(o, D0 + timedelta(days=45), 10)
    assert v.fit is not None and v.fit.n_customers == 4
    assert v.rows["status"].unique().to_list() == [v.fit.status]


def test_no_calibration_customers_and_bad_holdout():
    o = _orders({"A": [30]})
    v = clv_validation(o, D0 + timedelta(days=40), 15)
    assert v.rows.to_dicts()[0]["status"] == "no customers before the calibration end"
    with pytest.raises(ValueError, match="holdout_days must be >= 1, got 0"):
        calibration_holdout(o, D0, 0)


def test_validation_dates_are_the_snapshots_a_holdout_after_the_first_order():
    snaps = [D0 + timedelta(days=d) for d in (30, 89, 90, 120)]
    assert validation_dates(snaps, D0, 90) == snaps[2:]
    assert validation_dates(snaps, None, 90) == []


def test_cdnow_holdout_fader_hardie_lee_2005(cdnow_transactions):
    """CDNOW 1/10 sample (2,357 customers of the 1997-Q1 cohort), calibration 39 weeks to
    1997-09-30, holdout the next 39 weeks (273 days) to 1998-06-30, as in Fader, Hardie &
    Lee (2005), "Counting Your Customers the Easy Way", Marketing Science 24(2), section 4.
    Actual: counted from the file below (one order per customer-day, as FHL do); the
    calibration has 2,457 repeat orders, the sum of x in FHL's CDNOW summary. Predicted: FHL's
    published parameters r = 0.243, alpha = 4.414 (weeks), a = 0.793, b = 2.426 in eq. (10)
    written out here (time in weeks): 1,653.94 orders in the holdout against 1,882 actual."""
    o = orders(cdnow_transactions)
    # independent count: per customer, orders before and after the calibration end
    cal, hold, first, last = defaultdict(int), defaultdict(int), {}, {}
    for cid, d in o.iter_rows():
        if d <= CALIBRATION_END:
            cal[cid] += 1
            first[cid] = min(first.get(cid, d), d)
            last[cid] = max(last.get(cid, d), d)
        else:
            hold[cid] += 1
    assert len(first) == 2357 and sum(cal.values()) - len(first) == 2457 and sum(hold.values()) == 1882
    pub = BgNbdFit(0.243, 4.414 * 7, 0.793, 2.426, float("nan"), 2357, True, "converged", 0)  # alpha in days
    v = clv_validation(o, HOLDOUT_END, 273, fit=pub)
    assert v.rows["calibration_end"].unique().to_list() == [CALIBRATION_END]
    rows = {r["frequency_bin"]: r for r in v.rows.to_dicts()}
    # per calibration frequency: customers and holdout orders, counted from the file
    bins = {"0": (1411, 334), "1": (439, 306), "2": (214, 298), "3": (100, 156), "4": (62, 157),
            "5": (38, 112), "6": (29, 112), "7+": (64, 407)}  # fmt: skip
    for label, (n, actual) in bins.items():
        assert (rows[label]["customers"], rows[label]["actual_orders"]) == (n, actual), label
        assert rows[label]["actual_mean"] == pytest.approx(actual / n, rel=1e-12)
    predicted = sum(
        _eq10(
            0.243,
            4.414,
            0.793,
            2.426,
            cal[c] - 1,
            (last[c] - first[c]).days / 7,
            (CALIBRATION_END - first[c]).days / 7,
            39,
        )
        for c in first
    )
    assert predicted == pytest.approx(1653.94, abs=0.01)
    total = rows["total"]
    assert total["predicted_orders"] == pytest.approx(predicted, rel=1e-9)
    assert (total["customers"], total["actual_orders"]) == (2357, 1882)
    err = (v.customers["predicted"] - v.customers["actual"]).to_numpy()
    assert total["mae"] == pytest.approx(np.abs(err).mean()) and total["rmse"] == pytest.approx(
        np.sqrt((err**2).mean())
    )
    # the model's own fit on the calibration days gives FHL's parameters again (alpha in days)
    own = clv_validation(o, HOLDOUT_END, 273)
    assert (round(own.fit.r, 3), round(own.fit.alpha / 7, 3), round(own.fit.a, 3), round(own.fit.b, 3)) == (
        0.243, 4.414, 0.793, 2.426,
    )  # fmt: skip
    assert own.rows.filter(pl.col("frequency_bin") == "total")["predicted_orders"][0] == pytest.approx(
        predicted, rel=2e-3
    )
