"""BG/NBD parameter standard errors (METRICS 12): transforms.bgnbd.bgnbd_standard_errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.transforms.cdnow import calibration_weeks
from transforms.bgnbd import BgNbdFit, bgnbd_loglik, bgnbd_standard_errors, fit_bgnbd


def _simulate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BG/NBD customers (r=0.5, alpha=6, a=0.7, b=3) observed for T ~ U(30, 60)."""
    rng = np.random.default_rng(seed)
    lam, p, big_t = rng.gamma(0.5, 1 / 6.0, n), rng.beta(0.7, 3.0, n), rng.uniform(30, 60, n)
    x, tx = np.zeros(n), np.zeros(n)
    for i in range(n):
        now = 0.0
        while True:
            now += rng.exponential(1 / lam[i])
            if now > big_t[i]:
                break
            x[i] += 1
            tx[i] = now
            if rng.random() < p[i]:
                break
    return x, tx, big_t


def _finite_difference_se(fit: BgNbdFit, x, tx, t_age) -> np.ndarray:
    """sqrt diag of the inverse of minus the central-difference Hessian of sum ln L (the plain
    per-customer formula, not the optimiser's objective) in the raw parameters."""
    p0 = np.array([fit.r, fit.alpha, fit.a, fit.b])

    def ll(p):
        return float(bgnbd_loglik(*p, x, tx, t_age).sum())

    h = np.zeros((4, 4))
    step = 1e-4 * p0
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * step[i], np.eye(4)[j] * step[j]
            h[i, j] = (ll(p0 + ei + ej) - ll(p0 + ei - ej) - ll(p0 - ei + ej) + ll(p0 - ei - ej)) / (
                4 * step[i] * step[j]
            )
    return np.sqrt(np.diag(np.linalg.inv(-h)))


def test_standard_errors_equal_the_finite_difference_hessian():
    x, tx, t_age = _simulate(1500, seed=5)
    fit = fit_bgnbd(x, tx, t_age)
    assert fit.converged
    se = bgnbd_standard_errors(fit, x, tx, t_age)
    fd = _finite_difference_se(fit, x, tx, t_age)
    np.testing.assert_allclose([se[k] for k in ("r", "alpha", "a", "b")], fd, rtol=1e-4)


def test_cdnow_standard_errors_match_lifetimes(cdnow_transactions):
    """CDNOW 1/10 sample, 39-week calibration (FHL 2005), in weeks. The MLE is FHL's
    (r, alpha, a, b) = (0.243, 4.414, 0.793, 2.426), LL = -9582.4. lifetimes 0.11.3
    BetaGeoFitter.summary on the same data prints the SEs (sqrt of the diagonal of the
    inverse observed information, delta method from its log-parameters):
    r 0.012557, alpha 0.378221, a 0.185719, b 0.705345 (its summary file rounds t_x and T to
    0.01 week, hence the 1e-3 relative tolerance)."""
    x, tx, t_age = calibration_weeks(cdnow_transactions)
    fit = fit_bgnbd(x, tx, t_age)
    assert (round(fit.r, 3), round(fit.alpha, 3), round(fit.a, 3), round(fit.b, 3)) == (0.243, 4.414, 0.793, 2.426)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    se = bgnbd_standard_errors(fit, x, tx, t_age)
    published = {"r": 0.012557, "alpha": 0.378221, "a": 0.185719, "b": 0.705345}
    for k, v in published.items():
        assert se[k] == pytest.approx(v, rel=1e-3), k


def test_alpha_standard_error_is_in_the_time_unit_of_the_data(cdnow_transactions):
    """Days instead of weeks: alpha and its SE are 7 times larger, the others unchanged."""
    x, tx, t_age = calibration_weeks(cdnow_transactions)
    weeks = bgnbd_standard_errors(fit_bgnbd(x, tx, t_age), x, tx, t_age)
    days_fit = fit_bgnbd(x, 7 * tx, 7 * t_age)
    days = bgnbd_standard_errors(days_fit, x, 7 * tx, 7 * t_age)
    assert days["alpha"] == pytest.approx(7 * weeks["alpha"], rel=1e-5)
    for k in ("r", "a", "b"):
        assert days[k] == pytest.approx(weeks[k], rel=1e-5)


def test_no_usable_fit_gives_nan_standard_errors():
    nan_fit = BgNbdFit(*(4 * [float("nan")]), float("nan"), 3, False, "degenerate: no customers", 0)
    se = bgnbd_standard_errors(nan_fit, [1, 0, 2], [3.0, 0.0, 4.0], [5.0, 5.0, 5.0])
    assert all(math.isnan(v) for v in se.values()) and set(se) == {"r", "alpha", "a", "b"}
