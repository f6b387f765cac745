"""BG/NBD customer-level predictions (METRICS.md section 7: p_alive, expected orders).

Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way", Marketing
Science 24(2): P(alive) is eq. (13) (appendix of the paper / FHL note
"Computing P(alive) using the BG/NBD model"); the conditional expectation is eq. (10):

    E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1)
        * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)] * P(alive),
    z = t / (alpha+T+t),  P(alive) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).

For large x the hypergeometric factor overflows while its prefactor underflows
(e.g. x=2000 gives inf*0 = nan). We use Euler's transformation
2F1(A,B;C;z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z), under which the bracket becomes

    1 - (1-z)^(a-1) 2F1(a-1, a+b-1-r; a+b+x-1; z),

whose series converges faster the larger x is. scipy.special.hyp2f1 evaluates it;
non-finite values fall back to direct summation of the Gauss series (z < 1).
Grain: one row per customer; ``t`` and ``alpha`` in the time unit of the fit.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, hyp2f1

from transforms.bgnbd import BgNbdFit, validate_rft

_A_NEAR_ONE = 1e-6  # |a-1| below which eq. (10) is evaluated as a two-sided limit
_SERIES_MAX_TERMS = 200_000


def _params(fit: BgNbdFit) -> tuple[float, float, float, float]:
    params = (fit.r, fit.alpha, fit.a, fit.b)
    if not all(np.isfinite(p) and p > 0 for p in params):
        raise ValueError(f"BG/NBD fit has no usable parameters (status: {fit.status})")
    return params


def _log_odds_dead(r, alpha, a, b, x, tx, t_age) -> np.ndarray:
    """ln( P(dropped out at t_x) / P(alive at T) ); -inf when x = 0."""
    rep = x > 0
    bx1 = np.where(rep, b + x - 1.0, 1.0)
    lo = np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + t_age) - np.log(alpha + tx))
    return np.where(rep, lo, -np.inf)


def p_alive(fit: BgNbdFit, frequency, recency, T) -> np.ndarray:
    """P(customer still active at T | x, t_x, T); exactly 1 where x = 0."""
    r, alpha, a, b = _params(fit)
    x, tx, t_age = validate_rft(frequency, recency, T)
    p = expit(-_log_odds_dead(r, alpha, a, b, x, tx, t_age))
    return np.where(x == 0, 1.0, p)


def hyp2f1_series(A, B, C, z) -> np.ndarray:
    """Gauss series sum_k (A)_k (B)_k / ((C)_k k!) z^k, vectorised, for 0 <= z < 1."""
    A, B, C, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (A, B, C, z)))
    total, term = np.ones(A.shape), np.ones(A.shape)
    active = np.ones(A.shape, dtype=bool)
    for k in range(_SERIES_MAX_TERMS):
        term = np.where(active, term * (A + k) * (B + k) / ((C + k) * (k + 1.0)) * z, 0.0)
        total = total + term
        active &= np.abs(term) > 1e-17 * np.abs(total)
        if not active.any():
            break
    return np.where(active, np.nan, total)


def _bracket_over_am1(r, a, b, x, z, log1mz) -> np.ndarray:
    """[1 - (1-z)^(a-1) 2F1(a-1, a+b-1-r; a+b+x-1; z)] / (a-1), |a-1| >= _A_NEAR_ONE."""
    f = hyp2f1(a - 1.0, a + b - 1.0 - r, a + b + x - 1.0, z)
    bad = ~np.isfinite(f)
    if bad.any():
        f = f.copy()
        f[bad] = hyp2f1_series(a - 1.0, a + b - 1.0 - r, (a + b + x - 1.0)[bad], z[bad])
    pw = np.exp((a - 1.0) * log1mz)
    return (-np.expm1((a - 1.0) * log1mz) - pw * (f - 1.0)) / (a - 1.0)


def expected_purchases(fit: BgNbdFit, t, frequency, recency, T) -> np.ndarray:
    """Expected repeat purchases in (T, T+t] given (x, t_x, T): FHL (2005) eq. (10).

    ``t`` is a scalar or an array broadcastable to the customers (t >= 0).
    """
    r, alpha, a, b = _params(fit)
    x, tx, t_age = validate_rft(frequency, recency, T)
    t_arr = np.asarray(t, dtype=float)
    if not np.all(np.isfinite(t_arr)) or np.any(t_arr < 0):
        raise ValueError("t must be finite and >= 0")
    x, tx, t_age, t_arr = (np.array(v, dtype=float) for v in np.broadcast_arrays(x, tx, t_age, t_arr))
    z = t_arr / (alpha + t_age + t_arr)
    log1mz = np.log(alpha + t_age) - np.log(alpha + t_age + t_arr)
    if abs(a - 1.0) >= _A_NEAR_ONE:
        bracket = _bracket_over_am1(r, a, b, x, z, log1mz)
    else:  # removable singularity at a = 1: average the two sides
        lo, hi = 1.0 - _A_NEAR_ONE, 1.0 + _A_NEAR_ONE
        bracket = 0.5 * (_bracket_over_am1(r, lo, b, x, z, log1mz) + _bracket_over_am1(r, hi, b, x, z, log1mz))
    alive = expit(-_log_odds_dead(r, alpha, a, b, x, tx, t_age))
    out = (a + b + x - 1.0) * bracket * np.where(x == 0, 1.0, alive)
    if not np.all(np.isfinite(out)):
        raise FloatingPointError("expected_purchases produced non-finite values")
    return out
