"""CLV wiring: degenerate and failing fits leave CLV null with a status (METRICS.md section 7)."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.transforms.customer_data import complaints, fake_models, responses, sales
from transforms import customer_snapshots as cs
from transforms.clv import ClvParams, clv_by_snapshot

D = date(2026, 1, 10)


def _population(frequency: list[int], monetary: list[float] | None = None) -> pl.DataFrame:
    """Every order worth 10 unless `monetary` is given (then the repeat orders share it evenly)."""
    n = len(frequency)
    monetary = monetary or [10.0 * f for f in frequency]
    return pl.DataFrame(
        {
            "as_of_date": [D] * n,
            "customer_id": [f"c{i}" for i in range(n)],
            "frequency": frequency,
            "first_order_date": [date(2025, 1, 1)] * n,
            "last_order_date": [date(2025, 6, 1)] * n,
            "monetary": monetary,
            "margin": [5.0 * f for f in frequency],
            "repeat_monetary": [m * (f - 1) / f for f, m in zip(frequency, monetary, strict=True)],
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
    ).with_columns(repeat_monetary=pl.col("monetary") * (pl.col("frequency") - 1) / pl.col("frequency"))  # fmt: skip


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


def population_from_sales(sales_rows: pl.LazyFrame, d: date) -> pl.DataFrame:
    """The CLV inputs as of d straight from sales facts, through the customer streams."""
    hist = cs.history(sales_rows, responses(), complaints())
    snap = cs.snapshots(hist, [d], first="first_sale")
    cols = ["cum_orders", "cum_revenue", "cum_margin", "cum_repeat_revenue", "first_order_date", "last_order_date"]
    base = snap.attach(snap.grid, hist.sales, cols).collect()
    return base.select(
        cs.D, cs.CID, "first_order_date", "last_order_date", frequency="cum_orders", monetary="cum_revenue",
        margin="cum_margin", repeat_monetary="cum_repeat_revenue",
    )  # fmt: skip


def test_gamma_gamma_gets_the_mean_of_the_repeat_orders_by_hand():
    # METRICS 7 / Fader & Hardie's note: the first purchase is not a repeat transaction.
    # a: o1 100 (first), o2 30 + 20 (one order of two lines), o3 10, a return of -25 (not a
    #    transaction) -> x = 2, repeat mean (50 + 10) / 2 = 30 (all orders' mean net: 135 / 3 = 45).
    # b: b1 8 and b2 40 on its first day (the first is b1 by order_id), b3 12 -> x = 2, (40 + 12) / 2 = 26.
    # c: one order -> x = 0. Fake Gamma-Gamma p = 2, q = 3, v = 10: E = p (v + x m) / (p x + q - 1):
    #    a 2 * (10 + 60) / 6 = 70 / 3, b 2 * (10 + 52) / 6 = 62 / 3, c p v / (q - 1) = 10.
    rows = sales([
        ("o1", "sale", "a", date(2025, 1, 1), 100.0, 0.0), ("o2", "sale", "a", date(2025, 2, 1), 30.0, 0.0),
        ("o2", "sale", "a", date(2025, 2, 1), 20.0, 0.0), ("o3", "sale", "a", date(2025, 3, 1), 10.0, 0.0),
        ("r1", "return", "a", date(2025, 3, 5), -25.0, 0.0),
        ("b2", "sale", "b", date(2025, 1, 5), 40.0, 0.0), ("b1", "sale", "b", date(2025, 1, 5), 8.0, 0.0),
        ("b3", "sale", "b", date(2025, 2, 5), 12.0, 0.0),
        ("c1", "sale", "c", date(2025, 1, 9), 70.0, 0.0),
    ])  # fmt: skip
    population = population_from_sales(rows, D)
    assert population.sort(cs.CID)["repeat_monetary"].to_list() == [60.0, 52.0, 0.0]
    models_ns, seen = fake_models(), {}

    def fit_gamma_gamma(frequency, monetary_value):
        seen.update(x=list(frequency), m=list(monetary_value))
        return fake_models().fit_gamma_gamma(frequency, monetary_value)

    models_ns.fit_gamma_gamma = fit_gamma_gamma
    customers, models = clv_by_snapshot(population, models=models_ns)
    assert seen == {"x": [2.0, 2.0], "m": [30.0, 26.0]}
    eov = dict(zip(customers["customer_id"], customers["expected_order_value"], strict=True))
    assert eov == pytest.approx({"a": 70 / 3, "b": 62 / 3, "c": 10.0}, rel=1e-12)
    assert models.filter(pl.col("model") == "gamma_gamma")["n_customers"].to_list() == [2]


def test_population_without_repeat_monetary_is_refused():
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['repeat_monetary'\]"):
        clv_by_snapshot(_population([1, 2]).drop("repeat_monetary"), models=fake_models())


def test_cdnow_transactions_reproduce_the_published_gamma_gamma(cdnow):
    """Fader & Hardie (2013) from the CDNOW sample's transaction log, through the sales streams and
    clv_by_snapshot: p = 6.25, q = 3.74, gamma = 15.44 on 946 repeat buyers, calibration period
    1997-01-01 .. 1997-09-30 (39 weeks). As in FHL's data, a customer's transactions of one day are
    one order (its lines): order_id = customer and date."""
    # columns separated by runs of spaces: customer, id, yyyymmdd, quantity, amount
    log = [line.split() for line in cdnow.transactions.read_text().splitlines() if line.strip()]
    fields = pl.DataFrame({"customer_id": [f[0] for f in log], "day": [f[2] for f in log],
                           "amount": [float(f[4]) for f in log]})  # fmt: skip
    assert fields.height == 6919 and fields["customer_id"].n_unique() == 2357
    rows = fields.select(
        order_id=pl.col("customer_id") + "-" + pl.col("day"), order_type=pl.lit("sale"), customer_id="customer_id",
        order_date=pl.col("day").str.to_date("%Y%m%d"), revenue="amount", cost=pl.lit(0.0),
    )  # fmt: skip
    population = population_from_sales(sales(rows.rows()), date(1997, 9, 30))
    assert population.height == 2357
    _, models = clv_by_snapshot(population)
    gg = models.filter(pl.col("model") == "gamma_gamma").row(0, named=True)
    assert gg["converged"] and gg["n_customers"] == 946
    assert (round(gg["p"], 2), round(gg["q"], 2), round(gg["v"], 2)) == (6.25, 3.74, 15.44)
