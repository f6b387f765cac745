"""BG/NBD fit and predictions (transforms.bgnbd, transforms.bgnbd_predict).

Reference values were computed independently of the vectorised code: by the
closed form of FHL (2005) eq. (6) with math.lgamma, and cross-checked by 2-D
numerical integration (scipy.integrate.dblquad) of the individual-level
likelihood over the gamma(r, alpha) x beta(a, b) mixing distributions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from tests.transforms.derivatives import assert_derivatives_match
from transforms import bgnbd_predict
from transforms.bgnbd import BgNbdFit, bgnbd_loglik, fit_bgnbd
from transforms.bgnbd_likelihood import BgNbdObjective
from transforms.bgnbd_predict import expected_purchases, p_alive

R, ALPHA, A, B = 0.5, 2.0, 0.8, 2.5  # hand-example parameters
CDNOW = BgNbdFit(0.243, 4.414, 0.793, 2.426, -9582.4, 2357, True, "converged", 0)  # FHL (2005) table


def simulate(n: int, r: float, alpha: float, a: float, b: float, seed: int) -> tuple[np.ndarray, ...]:
    """BG/NBD customers observed for T ~ U(20, 40) after their first purchase."""
    rng = np.random.default_rng(seed)
    lam, p, big_t = rng.gamma(r, 1.0 / alpha, n), rng.beta(a, b, n), rng.uniform(20.0, 40.0, n)
    x, tx, now = np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        nxt = now[idx] + rng.exponential(1.0 / lam[idx])
        ok = nxt <= big_t[idx]
        buy = idx[ok]
        x[buy] += 1
        tx[buy] = now[buy] = nxt[ok]
        active[idx[~ok]] = False
        active[buy[rng.random(buy.size) < p[buy]]] = False
    return x, tx, big_t


def _mixing(r: float, alpha: float, a: float, b: float):
    """gamma(r, alpha) and beta(a, b) densities written out (plain floats, fast under dblquad)."""
    c_g = r * math.log(alpha) - math.lgamma(r)
    c_b = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)

    def dens(lam: float, p: float) -> float:
        log_g = c_g + (r - 1) * math.log(lam) - alpha * lam
        return math.exp(log_g + c_b + (a - 1) * math.log(p) + (b - 1) * math.log1p(-p))

    return dens


def _integrated_ll(x: int, tx: float, big_t: float) -> float:
    dens = _mixing(R, ALPHA, A, B)

    def f(lam: float, p: float) -> float:
        alive = (1 - p) ** x * lam**x * math.exp(-lam * big_t)
        dead = p * (1 - p) ** (x - 1) * lam**x * math.exp(-lam * tx) if x > 0 else 0.0
        return (alive + dead) * dens(lam, p)

    return math.log(integrate.dblquad(f, 0, 1, 0, np.inf, epsabs=1e-13, epsrel=1e-10)[0])


def test_single_customer_loglik_matches_hand_computation():
    ll = bgnbd_loglik(R, ALPHA, A, B, [3, 0, 1], [5.0, 0.0, 0.0], [8.0, 8.0, 3.0])
    # x=0: ln L = r ln(alpha/(alpha+T)) = 0.5 ln(0.2)
    expected = [-7.24886747650547, 0.5 * math.log(0.2), -2.2208267026777353]
    np.testing.assert_allclose(ll, expected, rtol=1e-12)


def test_loglik_matches_numerical_integration():
    assert bgnbd_loglik(R, ALPHA, A, B, 3, 5.0, 8.0)[0] == pytest.approx(_integrated_ll(3, 5.0, 8.0), abs=1e-9)


def test_cdnow_published_parameters(cdnow):
    """FHL (2005): r=0.243, alpha=4.414, a=0.793, b=2.426 (weeks), LL=-9582.4.

    `cdnow` (tests/conftest.py) gives a CSV with columns ID,x,t_x,T,zbar (the CDNOW
    1/10th sample summary, 2,357 customers, 39-week calibration period), or fails.
    """
    d = np.loadtxt(cdnow.summary, delimiter=",", skiprows=1)
    fit = fit_bgnbd(d[:, 1], d[:, 2], d[:, 3])
    assert fit.converged and fit.status == "converged" and fit.n_customers == 2357
    for name in ("r", "alpha", "a", "b"):
        assert abs(getattr(fit, name) - getattr(CDNOW, name)) <= 5e-4, name
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)


def test_simulated_parameters_are_recovered():
    x, tx, big_t = simulate(50_000, 0.25, 4.0, 0.8, 2.5, seed=20260101)
    fit = fit_bgnbd(x, tx, big_t)
    assert fit.converged and fit.status == "converged"
    np.testing.assert_allclose([fit.r, fit.alpha, fit.a, fit.b], [0.25, 4.0, 0.8, 2.5], rtol=0.1)
    assert fit.log_likelihood >= bgnbd_loglik(0.25, 4.0, 0.8, 2.5, x, tx, big_t).sum()
    # the MLE is invariant to the time unit: alpha scales, LL shifts by -sum(x) ln 7
    days = fit_bgnbd(x, 7 * tx, 7 * big_t)
    np.testing.assert_allclose([days.r, days.alpha, days.a, days.b], [fit.r, 7 * fit.alpha, fit.a, fit.b], rtol=1e-5)
    assert days.log_likelihood == pytest.approx(fit.log_likelihood - x.sum() * math.log(7), abs=1e-4)


def test_objective_gradient_and_hessian_match_finite_differences():
    # the fit's objective: rows reduced to distinct (x, t_x, T) (day grain repeats them), plus
    # one customer with a huge frequency; mean ln L must equal the per-customer formula
    x, tx, big_t = simulate(3_000, 0.4, 5.0, 0.7, 3.0, seed=11)
    x, tx, big_t = np.r_[x, 2000.0], np.round(7 * np.r_[tx, 29.0]), np.round(7 * np.r_[big_t, 30.0])
    mean_ll = BgNbdObjective(x, tx / 100.0, big_t / 100.0)
    for theta in (np.log([0.5, 0.2, 0.8, 2.0]), np.log([2.0, 0.05, 0.2, 9.0]), np.log([0.1, 3.0, 5.0, 0.6])):
        ll = mean_ll(theta, True)[0]
        assert ll == pytest.approx(bgnbd_loglik(*np.exp(theta), x, tx / 100.0, big_t / 100.0).mean(), rel=1e-12)
        assert_derivatives_match(mean_ll, theta)


def test_interior_maximum_is_found_where_newton_alone_runs_to_the_boundary():
    # From the cold start Newton heads for a, b -> inf on this sample; L-BFGS-B from the same
    # start finds the interior maximum (the pre-Newton optimiser's answer), and the better one wins.
    x, tx, big_t = simulate(5_000, 2.73, 45.2, 0.67, 7.84, seed=744652262)
    fit = fit_bgnbd(x, tx, big_t)
    assert fit.converged and fit.status == "converged"
    np.testing.assert_allclose([fit.r, fit.alpha, fit.a, fit.b], [2.46867, 40.8743, 4.49721, 49.9256], rtol=1e-4)
    assert fit.log_likelihood == pytest.approx(-31734.33434, abs=1e-4)


def test_p_alive_is_one_for_zero_frequency_and_a_probability_otherwise():
    pa = p_alive(CDNOW, [0, 0, 2, 2, 7], [0, 0, 30.43, 30.43, 5.0], [38.86, 5.0, 38.86, 80.0, 38.86])
    assert pa[0] == 1.0 and pa[1] == 1.0
    assert np.all((pa[2:] > 0) & (pa[2:] < 1))
    assert pa[3] < pa[2]  # a longer silence since the last purchase lowers P(alive)
    # FHL P(alive) for customer 1 of CDNOW: 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
    assert pa[2] == pytest.approx(1 / (1 + 0.793 / 3.426 * (43.274 / 34.844) ** 2.243), rel=1e-12)


def test_expected_purchases_matches_paper_and_integration():
    # FHL (2005): customer with x=2, t_x=30.43, T=38.86 expects 1.226 purchases in the next 39 weeks
    fit = BgNbdFit(0.242594, 4.413532, 0.792886, 2.425752, 0.0, 0, True, "converged", 0)
    assert expected_purchases(fit, 39.0, 2, 30.43, 38.86)[0] == pytest.approx(1.226, abs=5e-4)
    # E[Y(t)|data] = int (alive-at-T likelihood) (1 - e^{-lambda p t}) / p dG dF / int L dG dF
    dens = _mixing(fit.r, fit.alpha, fit.a, fit.b)
    x, tx, big_t, t = 7, 29.43, 38.86, 10.0

    def lik(lam, p, alive_only):
        alive = (1 - p) ** x * lam**x * math.exp(-lam * big_t)
        return alive if alive_only else alive + p * (1 - p) ** (x - 1) * lam**x * math.exp(-lam * tx)

    num = integrate.dblquad(lambda lam, p: lik(lam, p, True) * -math.expm1(-lam * p * t) / p * dens(lam, p),
                            0, 1, 0, np.inf, epsabs=1e-13, epsrel=1e-10)[0]  # fmt: skip
    den = integrate.dblquad(lambda lam, p: lik(lam, p, False) * dens(lam, p), 0, 1, 0, np.inf,
                            epsabs=1e-13, epsrel=1e-10)[0]  # fmt: skip
    assert expected_purchases(fit, t, x, tx, big_t)[0] == pytest.approx(num / den, rel=1e-7)


def test_expected_purchases_increasing_in_t():
    t = np.array([0.0, 1.0, 7.0, 39.0, 52.0, 365.0, 5000.0])
    for x, tx, big_t in [(0, 0.0, 38.86), (2, 30.43, 38.86), (7, 5.0, 38.86), (300, 700.0, 730.0)]:
        e = expected_purchases(CDNOW, t, x, tx, big_t)
        assert e[0] == 0.0 and np.all(np.diff(e) > 0)


def test_large_frequency_is_finite_and_matches_untransformed_formula():
    x, tx, big_t, t = 300.0, 1400.0, 1460.0, 365.0
    e = expected_purchases(CDNOW, t, x, tx, big_t)[0]
    r, al, a, b = CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b
    from scipy.special import hyp2f1  # eq. (10) as printed, finite at this x

    z = t / (al + big_t + t)
    direct = ((a + b + x - 1) / (a - 1) * (1 - ((al + big_t) / (al + big_t + t)) ** (r + x)
              * hyp2f1(r + x, b + x, a + b + x - 1, z)) * p_alive(CDNOW, x, tx, big_t)[0])  # fmt: skip
    assert e == pytest.approx(direct, rel=1e-9)
    huge = expected_purchases(CDNOW, [52.0, 365.0], [5000.0, 1e6], [3000.0, 36500.0], [3000.0, 36500.0])
    assert np.all(np.isfinite(huge)) and np.all(huge > 0)
    assert np.all(np.isfinite(p_alive(CDNOW, [5000.0, 1e6], [3000.0, 36000.0], [3000.0, 36500.0])))


def test_hypergeometric_series_fallback(monkeypatch):
    args = (CDNOW, 39.0, [0, 2, 40], [0.0, 30.43, 30.0], [38.86, 38.86, 38.86])
    reference = expected_purchases(*args)
    monkeypatch.setattr(bgnbd_predict, "hyp2f1", lambda *a: np.full(np.broadcast(*a).shape, np.inf))
    np.testing.assert_allclose(expected_purchases(*args), reference, rtol=1e-10)


def test_a_equal_to_one_is_the_continuous_limit():
    at_one = BgNbdFit(0.3, 5.0, 1.0, 2.0, 0.0, 0, True, "converged", 0)
    near = BgNbdFit(0.3, 5.0, 1.0 + 1e-4, 2.0, 0.0, 0, True, "converged", 0)
    args = (39.0, [0, 3], [0.0, 20.0], [38.0, 38.0])
    np.testing.assert_allclose(expected_purchases(at_one, *args), expected_purchases(near, *args), rtol=1e-3)


@pytest.mark.parametrize(
    ("x", "tx", "big_t", "why"),
    [
        ([], [], [], "no customers"),
        ([0, 0, 0], [0, 0, 0], [5, 6, 7], "all-zero frequency"),
        ([0, 3, 0], [0, 4, 0], [5, 6, 7], "fewer than 2 customers"),
    ],
)
def test_degenerate_inputs(x, tx, big_t, why):
    fit = fit_bgnbd(np.array(x, float), np.array(tx, float), np.array(big_t, float))
    assert not fit.converged and fit.status.startswith("degenerate:") and why in fit.status
    assert math.isnan(fit.r) and math.isnan(fit.alpha)
    with pytest.raises(ValueError):
        p_alive(fit, [1], [1], [2])


def test_no_dropout_data_is_degenerate_not_converged():
    rng = np.random.default_rng(3)
    x, big_t = rng.integers(1, 6, 500).astype(float), rng.uniform(10, 50, 500)
    fit = fit_bgnbd(x, big_t, big_t)  # everybody bought at T: dropout is not identified
    assert not fit.converged and fit.status.startswith("degenerate:")


def test_invalid_rows_raise():
    with pytest.raises(ValueError):
        fit_bgnbd([1, 2], [5, 9], [6, 8])  # recency > T
    with pytest.raises(ValueError):
        fit_bgnbd([0, 2], [1, 3], [6, 8])  # recency without repeat purchases
    with pytest.raises(ValueError):
        fit_bgnbd([1.5, 2], [1, 3], [6, 8])


def test_fit_200k_customers_day_grain_converges():
    # speed is measured by bench/, not asserted here
    x, tx, big_t = simulate(200_000, 0.25, 4.0, 0.8, 2.5, seed=7)
    fit = fit_bgnbd(x, np.round(7 * tx), np.round(7 * big_t))
    assert fit.converged and np.isfinite(fit.log_likelihood)
