"""CLV wiring: degenerate and failing fits leave CLV null with a status (METRICS.md section 7)."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from tests.transforms.customer_data import fake_models
from transforms.clv import ClvParams, clv_by_snapshot

D = date(2026, 1, 10)


def _population(frequency: list[int], monetary: list[float] | None = None) -> pl.DataFrame:
    n = len(frequency)
    return pl.DataFrame(
        {
            "as_of_date": [D] * n,
            "customer_id": [f"c{i}" for i in range(n)],
            "frequency": frequency,
            "first_order_date": [date(2025, 1, 1)] * n,
            "last_order_date": [date(2025, 6, 1)] * n,
            "monetary": monetary or [10.0 * f for f in frequency],
            "margin": [5.0 * f for f in frequency],
        }
    )


def test_no_repeat_customers_is_degenerate_and_null():
    customers, models = clv_by_snapshot(_population([1, 1, 1]), models=fake_models())
    assert customers["clv_365d"].null_count() == 3 and customers["p_alive"].null_count() == 3
    assert customers["margin_ratio"].to_list() == [0.5, 0.5, 0.5]
    assert models["converged"].to_list() == [False, False]
    assert models["status"].to_list() == [
        "degenerate: fewer than 2 customers with repeat orders",
        "degenerate: fewer than 2 repeat customers with positive spend",
    ]


def test_not_converged_fit_gives_null_clv_and_says_why():
    customers, models = clv_by_snapshot(_population([1, 2, 3]), models=fake_models(converged=False))
    assert customers["p_alive"].null_count() == 3 and customers["clv_365d"].null_count() == 3
    assert customers["expected_order_value"].null_count() == 0  # Gamma-Gamma still fitted
    bg = models.filter(pl.col("model") == "bgnbd").row(0, named=True)
    assert bg["status"] == "not used: not_converged: fake" and bg["r"] == 1.0 and not bg["converged"]


def test_fit_that_raises_is_recorded_not_propagated():
    models_ns = fake_models()

    def boom(frequency, recency, T):
        raise FloatingPointError("overflow in gammaln")

    models_ns.fit_bgnbd = boom
    customers, models = clv_by_snapshot(_population([1, 2, 3]), models=models_ns)
    assert customers["clv_365d"].null_count() == 3
    bg = models.filter(pl.col("model") == "bgnbd").row(0, named=True)
    assert bg["status"] == "failed: FloatingPointError: overflow in gammaln" and bg["log_likelihood"] is None


def test_nonpositive_spend_repeat_customer_gets_no_order_value():
    pop = _population([2, 3, 2], monetary=[-4.0, 30.0, 20.0])
    customers, _ = clv_by_snapshot(pop, ClvParams(min_gamma_gamma_customers=2), models=fake_models())
    eov = customers["expected_order_value"].to_list()
    assert eov[0] is None and eov[1] is not None and customers["margin_ratio"][0] == 0.0


def _simulated_population(d: date, seed: int, n: int = 300) -> pl.DataFrame:
    """A vectorised BG/NBD simulation as of d (lambda ~ gamma(1, 1/30 per day), dropout
    p ~ beta(1, 3) after each repeat order)."""
    rng = np.random.default_rng(seed)
    k = 40
    lam, p = rng.gamma(1.0, 1 / 30.0, n), rng.beta(1.0, 3.0, n)
    age = rng.integers(100, 370, n)
    times = np.cumsum(rng.exponential(1.0, (n, k)) / lam[:, None], axis=1)
    x = np.minimum((times <= age[:, None]).sum(axis=1), rng.geometric(p))
    x = np.minimum(x, k - 1)
    t_x = np.where(x > 0, np.floor(times[np.arange(n), np.maximum(x - 1, 0)]), 0).astype(int)
    first = np.datetime64(d) - age.astype("timedelta64[D]")
    last = first + t_x.astype("timedelta64[D]")
    return pl.DataFrame(
        {"as_of_date": [d] * n, "customer_id": [f"c{i:03d}" for i in range(n)], "frequency": x + 1,
         "first_order_date": first, "last_order_date": last,
         "monetary": (x + 1) * rng.gamma(5.0, 10.0, n), "margin": (x + 1) * 10.0}
    )  # fmt: skip


def test_real_models_on_simulated_customers():
    # Integration with transforms.bgnbd / gamma_gamma
    customers, models = clv_by_snapshot(_simulated_population(D, seed=7))
    assert models["model"].to_list() == ["bgnbd", "gamma_gamma"]
    assert models["status"].to_list() == ["converged", "converged"], models["status"].to_list()
    assert customers["p_alive"].is_between(0, 1).all()
    assert (customers["expected_orders_365d"] > 0).all() and (customers["clv_365d"] >= 0).all()


def test_a_date_fitted_alone_equals_the_same_date_in_a_backfill():
    # a nightly run refits only recent dates: no state may flow from one date's fit to another's
    later = date(2026, 2, 7)
    pops = [_simulated_population(D, seed=7), _simulated_population(later, seed=8, n=400)]
    both = clv_by_snapshot(pl.concat(pops))
    alone = [clv_by_snapshot(p) for p in reversed(pops)]
    assert_frame_equal(both[1], pl.concat([m for _, m in reversed(alone)]))
    assert_frame_equal(both[0].sort("as_of_date", "customer_id"),
                       pl.concat([c for c, _ in reversed(alone)]).sort("as_of_date", "customer_id"))  # fmt: skip


def test_prediction_that_raises_is_recorded():
    models_ns = fake_models()

    def bad(fit, t, frequency, recency, T):
        raise FloatingPointError("expected_purchases produced non-finite values")

    models_ns.expected_purchases = bad
    customers, models = clv_by_snapshot(_population([1, 2, 3]), models=models_ns)
    assert customers["p_alive"].null_count() == 3 and customers["expected_orders_365d"].null_count() == 3
    assert (
        models["status"][0] == "failed: prediction: FloatingPointError: expected_purchases produced non-finite values"
    )
