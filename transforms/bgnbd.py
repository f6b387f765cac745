"""BG/NBD maximum-likelihood fit (METRICS.md section 7, CLV).

Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "'Counting Your Customers'
the Easy Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2),
275-284; and Fader, Hardie & Lee (2005), "Implementing the BG/NBD Model for
Customer Base Analysis in Excel" (the A1..A4 log-likelihood decomposition).

Grain: one row per customer; ``frequency`` x = repeat purchases, ``recency``
t_x = time of last purchase minus time of first, ``T`` = snapshot minus first
purchase, all in the same time unit (the pipeline uses days; ``alpha`` is in
that unit). Per-customer likelihood, FHL (2005) eq. (6):

    L = B(a, b+x)/B(a, b) * G(r+x) a^r / (G(r) (alpha+T)^(r+x))
        + [x>0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

evaluated as ln L = A1 + A2 + logaddexp(A3, A4) with
A1 = lnG(r+x) - lnG(r) + r ln alpha, A2 = lnB(a, b+x) - lnB(a, b),
A3 = -(r+x) ln(alpha+T), A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x) (x>0 only).
Predictions (P(alive), eq. 10 conditional expectation) are in ``bgnbd_predict``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, expit, gammaln

from transforms.clv_optim import maximise

_NAMES = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class BgNbdFit:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    converged: bool
    status: str
    iterations: int


def validate_rft(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float 1-D copies of (x, t_x, T); ValueError on impossible rows."""
    x, tx, t_age = (np.atleast_1d(np.asarray(v, dtype=float)).ravel() for v in (frequency, recency, T))
    if not x.shape == tx.shape == t_age.shape:
        raise ValueError("frequency, recency and T must have the same length")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(tx)) and np.all(np.isfinite(t_age))):
        raise ValueError("frequency, recency and T must be finite")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be a non-negative integer count of repeat purchases")
    if np.any(tx < 0) or np.any(tx > t_age):
        raise ValueError("recency must satisfy 0 <= recency <= T")
    if np.any((x == 0) & (tx != 0)):
        raise ValueError("recency must be 0 when frequency is 0")
    return x, tx, t_age


def _compress(x, tx, t_age) -> tuple[np.ndarray, ...]:
    """Distinct (x, t_x, T) rows and their counts (lexsort; cheaper than unique(axis=0))."""
    order = np.lexsort((t_age, tx, x))
    xs, txs, ts = x[order], tx[order], t_age[order]
    new = np.ones(xs.size, dtype=bool)
    new[1:] = (np.diff(xs) != 0) | (np.diff(txs) != 0) | (np.diff(ts) != 0)
    starts = np.flatnonzero(new)
    return xs[starts], txs[starts], ts[starts], np.diff(np.append(starts, xs.size)).astype(float)


def _ll_and_grad(theta: np.ndarray, x, tx, t_age, xv, inv, grad: bool = True):
    """Per-row ln L and (optionally) d ln L / d log-parameter, shape (4, n).

    Gamma-function terms depend on x only, so they are evaluated once per
    distinct x (``x == xv[inv]``) and gathered; per row only two logs, one
    logaddexp and one expit.
    """
    r, alpha, a, b = np.exp(theta)
    rep_v = xv > 0
    bx1_v = np.where(rep_v, b + xv - 1.0, 1.0)
    g_v = gammaln(r + xv) - gammaln(r) + r * np.log(alpha)  # A1
    g_v += gammaln(a + b) + gammaln(b + xv) - gammaln(b) - gammaln(a + b + xv)  # A2
    c4_v = np.where(rep_v, np.log(a) - np.log(bx1_v), -np.inf)
    rx = r + x
    log_at, log_atx = np.log(alpha + t_age), np.log(alpha + tx)
    a3 = -rx * log_at
    d = c4_v[inv] - rx * log_atx - a3  # A4 - A3, -inf when x = 0
    ll = g_v[inv] + a3 + np.logaddexp(0.0, d)
    if not grad:
        return ll, None
    w4 = expit(d)
    w3 = 1.0 - w4
    dr_v = digamma(r + xv) - digamma(r) + np.log(alpha)
    dab_v = digamma(a + b) - digamma(a + b + xv)
    db_v = dab_v + digamma(b + xv) - digamma(b)
    d_r = dr_v[inv] - w3 * log_at - w4 * log_atx
    d_alpha = r / alpha - rx * (w3 / (alpha + t_age) + w4 / (alpha + tx))
    d_a = dab_v[inv] + w4 / a
    d_b = db_v[inv] - w4 / bx1_v[inv]
    return ll, np.stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b])


def bgnbd_loglik(r: float, alpha: float, a: float, b: float, frequency, recency, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (FHL 2005 eq. 6) at the given parameters."""
    x, tx, t_age = validate_rft(frequency, recency, T)
    xv, inv = np.unique(x, return_inverse=True)
    return _ll_and_grad(np.log([r, alpha, a, b]), x, tx, t_age, xv, inv, grad=False)[0]


def _nan_fit(n: int, status: str) -> BgNbdFit:
    nan = float("nan")
    return BgNbdFit(nan, nan, nan, nan, nan, n, False, status, 0)


def fit_bgnbd(frequency, recency, T, *, penalizer: float = 0.0, max_iter: int = 1000) -> BgNbdFit:
    """Maximum-likelihood BG/NBD fit, one row per customer.

    ``penalizer`` adds ``penalizer * sum(log(theta)**2)`` to the mean negative
    log-likelihood, theta = (r, alpha / mean(T), a, b): an L2 shrinkage of the
    log-parameters towards 1 in time units of the mean customer age. Degenerate
    data (no customers, all-zero frequency, fewer than 2 repeat customers) gives
    NaN parameters with ``converged=False`` and a ``degenerate: ...`` status.
    """
    x, tx, t_age = validate_rft(frequency, recency, T)
    n = int(x.size)
    n_rep = int(np.count_nonzero(x))
    if n == 0:
        return _nan_fit(n, "degenerate: no customers")
    if n_rep == 0:
        return _nan_fit(n, "degenerate: all-zero frequency (no repeat purchases)")
    if n_rep < 2:
        return _nan_fit(n, "degenerate: fewer than 2 customers with repeat purchases")
    mean_t = float(t_age.mean())
    scale = mean_t if mean_t > 0 else 1.0  # internal time unit: alpha_internal = alpha / scale
    ux, utx, ut, counts = _compress(x, tx / scale, t_age / scale)
    uxv, uinv = np.unique(ux, return_inverse=True)
    weights = counts / n

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, g = _ll_and_grad(theta, ux, utx, ut, uxv, uinv)
        f = -float(weights @ ll) + penalizer * float(theta @ theta)
        return f, -(g @ weights) + 2.0 * penalizer * theta

    start = np.log([1.0, float(ut @ counts) / float(ux @ counts), 1.0, 1.0])
    res = maximise(objective, start, _NAMES, max_iter)
    r, alpha_s, a, b = np.exp(res.log_params)
    alpha = float(alpha_s * scale)
    ll = float(bgnbd_loglik(r, alpha, a, b, x, tx, t_age).sum())
    if not np.isfinite(ll):
        return BgNbdFit(r, alpha, a, b, ll, n, False, "not_converged: non-finite log-likelihood", res.iterations)
    return BgNbdFit(float(r), alpha, float(a), float(b), ll, n, res.converged, res.status, res.iterations)
