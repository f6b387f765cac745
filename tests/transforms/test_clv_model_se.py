"""mart_clv_model carries the BG/NBD parameter standard errors (METRICS 12) of the date's fit."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import polars as pl

from tests.transforms.customer_data import fake_models
from transforms.clv import clv_by_snapshot

D = date(2026, 1, 10)


def _population() -> pl.DataFrame:
    # three customers: x = 0, 1, 2 repeat orders; t_x = 151 days (Jan 1 -> Jun 1), T = 374 days
    return pl.DataFrame({
        "as_of_date": [D] * 3, "customer_id": ["c0", "c1", "c2"], "frequency": [1, 2, 3],
        "first_order_date": [date(2025, 1, 1)] * 3, "last_order_date": [date(2025, 6, 1)] * 3,
        "monetary": [10.0, 20.0, 30.0], "margin": [5.0, 10.0, 15.0], "repeat_monetary": [0.0, 10.0, 20.0],
    })  # fmt: skip


def test_standard_errors_are_those_of_the_fit_on_the_dates_customers_and_nan_is_null():
    seen = {}

    def standard_errors(fit, x, t_x, big_t):
        seen.update(x=list(x), t_x=list(t_x), T=list(big_t))
        return {"r": 0.5, "alpha": 2.0, "a": float("nan"), "b": 1.25}

    models = SimpleNamespace(**vars(fake_models()), bgnbd_standard_errors=standard_errors)
    _, rows = clv_by_snapshot(_population(), models=models)
    assert seen == {"x": [0.0, 1.0, 2.0], "t_x": [151.0] * 3, "T": [374.0] * 3}
    bgnbd = rows.filter(pl.col("model") == "bgnbd").row(0, named=True)
    assert (bgnbd["r_se"], bgnbd["alpha_se"], bgnbd["a_se"], bgnbd["b_se"]) == (0.5, 2.0, None, 1.25)
    gamma = rows.filter(pl.col("model") == "gamma_gamma").row(0, named=True)
    assert (gamma["r_se"], gamma["alpha_se"], gamma["a_se"], gamma["b_se"]) == (None, None, None, None)


def test_models_without_standard_errors_leave_them_null():
    _, rows = clv_by_snapshot(_population(), models=fake_models())
    assert rows.select("r_se", "alpha_se", "a_se", "b_se").null_count().row(0) == (2, 2, 2, 2)

