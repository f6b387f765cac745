"""Gamma-Gamma spend model (transforms.gamma_gamma), Fader & Hardie (2013) note.

The hand log-likelihood was computed from the closed form with math.lgamma and
cross-checked by integrating gamma(px, x nu) density of the mean over
nu ~ gamma(q, v) with scipy.integrate.quad.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from tests.transforms.derivatives import assert_derivatives_match
from transforms.gamma_gamma import (
    GammaGammaFit,
    GammaGammaObjective,
    expected_order_value,
    fit_gamma_gamma,
    gamma_gamma_loglik,
)


def simulate(n: int, p: float, q: float, v: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = 1.0 + rng.poisson(2.0, n)
    nu = rng.gamma(q, 1.0 / v, n)
    return x, rng.gamma(p * x, 1.0 / (x * nu))  # mean of x gamma(p, nu) draws


def test_single_customer_loglik_matches_hand_and_integration():
    assert gamma_gamma_loglik(6.0, 4.0, 15.0, [3], [20.0])[0] == pytest.approx(-3.3667618678342, abs=1e-12)

    def f(nu: float) -> float:
        return stats.gamma(18.0, scale=1 / (3 * nu)).pdf(20.0) * stats.gamma(4.0, scale=1 / 15.0).pdf(nu)

    integrated = math.log(integrate.quad(f, 0, np.inf, epsrel=1e-12)[0])
    assert integrated == pytest.approx(-3.3667618678342, abs=1e-9)


def test_objective_gradient_and_hessian_match_finite_differences():
    x, m = simulate(3_000, 6.0, 4.0, 15.0, seed=2)
    x, m = np.r_[x, 500.0], np.r_[m, 40.0]  # and one customer with a huge frequency
    w = np.random.default_rng(1).uniform(0.5, 1.5, x.size)
    mean_ll = GammaGammaObjective(x, m / 20.0, w / w.sum())
    for theta in (np.log([6.0, 4.0, 0.8]), np.log([1.0, 2.0, 1.0]), np.log([30.0, 1.2, 5.0])):
        ll = mean_ll(theta, True)[0]
        assert ll == pytest.approx(w @ gamma_gamma_loglik(*np.exp(theta), x, m / 20.0) / w.sum(), rel=1e-12)
        assert_derivatives_match(mean_ll, theta)


def test_expected_order_value_hand_example():
    fit = GammaGammaFit(6.0, 4.0, 15.0, 0.0, 1, True, "converged")
    got = expected_order_value(fit, [3, 0, 0], [20.0, 0.0, np.nan])
    # p (v + x m) / (p x + q - 1) = 6 * 75 / 21; x = 0 -> population mean p v / (q - 1) = 30
    np.testing.assert_allclose(got, [450 / 21, 30.0, 30.0], rtol=1e-15)


def test_cdnow_published_parameters(cdnow):
    """Fader & Hardie (2013): p = 6.25, q = 3.74, gamma = 15.44 on the 946 repeat buyers, fitted on
    each one's mean repeat-transaction value (zbar: the first purchase excluded)."""
    d = np.loadtxt(cdnow.summary, delimiter=",", skiprows=1)
    fit = fit_gamma_gamma(d[:, 1], d[:, 4])
    assert fit.converged and fit.n_customers == 946
    assert (round(fit.p, 2), round(fit.q, 2)) == (6.25, 3.74)
    assert abs(round(fit.v, 2) - 15.44) <= 0.01  # 15.448 here: zbar is printed to the cent
    published = gamma_gamma_loglik(6.25, 3.74, 15.44, d[d[:, 1] > 0, 1], d[d[:, 1] > 0, 4]).sum()
    assert published - 0.01 < fit.log_likelihood and fit.log_likelihood >= published


def test_simulated_parameters_are_recovered_and_units_scale():
    x, m = simulate(20_000, 6.0, 4.0, 15.0, seed=11)
    fit = fit_gamma_gamma(x, m)
    assert fit.converged and fit.status == "converged" and fit.n_customers == 20_000
    np.testing.assert_allclose([fit.p, fit.q, fit.v], [6.0, 4.0, 15.0], rtol=0.1)
    assert fit.log_likelihood >= gamma_gamma_loglik(6.0, 4.0, 15.0, x, m).sum()
    cents = fit_gamma_gamma(x, 100 * m)
    np.testing.assert_allclose([cents.p, cents.q, cents.v], [fit.p, fit.q, 100 * fit.v], rtol=1e-5)


def test_zero_frequency_and_non_positive_spend_rows_are_ignored():
    x, m = simulate(2_000, 6.0, 4.0, 15.0, seed=5)
    base = fit_gamma_gamma(x, m)
    fit = fit_gamma_gamma(np.r_[x, 0, 0, 2], np.r_[m, 0.0, np.nan, -4.0])
    assert fit.n_customers == 2_000 and fit.p == pytest.approx(base.p, rel=1e-9)


def test_degenerate_inputs():
    few = fit_gamma_gamma([0, 0, 3], [0.0, 0.0, 12.0])
    assert not few.converged and few.status.startswith("degenerate:") and math.isnan(few.p)
    same = fit_gamma_gamma(np.full(200, 2.0), np.full(200, 20.0))  # no spread: p, q -> inf
    assert not same.converged and same.status.startswith("degenerate:")


def test_q_at_most_one_is_degenerate():
    x, m = simulate(5_000, 6.0, 0.7, 15.0, seed=3)  # heavy-tailed population: no finite mean
    fit = fit_gamma_gamma(x, m)
    assert fit.q <= 1 and not fit.converged and fit.status.startswith("degenerate: q")
    with pytest.raises(ValueError):
        expected_order_value(fit, [1], [10.0])
