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
The fit's objective and gradient are in ``bgnbd_likelihood``; predictions (P(alive),
eq. 10 conditional expectation) are in ``bgnbd_predict``. Parameter standard errors
(METRICS 12) come from the inverse observed information, the analytic Hessian of the
log-likelihood at the optimum (``bgnbd_standard_errors``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from transforms.bgnbd_likelihood import BgNbdObjective
from transforms.clv_optim import maximise, penalised

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


def _row_loglik(r: float, alpha: float, a: float, b: float, x, tx, t_age) -> np.ndarray:
    """Per-row ln L = A1 + A2 + logaddexp(A3, A4); gamma-function terms once per distinct x."""
    xv, inv = np.unique(x, return_inverse=True)
    rep_v = xv > 0
    g_v = gammaln(r + xv) - gammaln(r) + r * np.log(alpha)  # A1
    g_v += gammaln(a + b) + gammaln(b + xv) - gammaln(b) - gammaln(a + b + xv)  # A2
    c4_v = np.where(rep_v, np.log(a) - np.log(np.where(rep_v, b + xv - 1.0, 1.0)), -np.inf)
    rx = r + x
    a3 = -rx * np.log(alpha + t_age)
    return g_v[inv] + a3 + np.logaddexp(0.0, c4_v[inv] - rx * np.log(alpha + tx) - a3)


def bgnbd_loglik(r: float, alpha: float, a: float, b: float, frequency, recency, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (FHL 2005 eq. 6) at the given parameters."""
    x, tx, t_age = validate_rft(frequency, recency, T)
    return _row_loglik(r, alpha, a, b, x, tx, t_age)


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
    mean_ll = BgNbdObjective(x, tx / scale, t_age / scale)
    start = np.log([1.0, float(t_age.mean() / scale) / float(x.mean()), 1.0, 1.0])
    res = maximise(penalised(mean_ll, penalizer), start, _NAMES, max_iter)
    r, alpha_s, a, b = (float(v) for v in np.exp(res.log_params))
    # ln L in the data's time unit: scaling t_x, T and alpha by 1/scale multiplies L by scale^x
    ll = n * mean_ll(res.log_params)[0] - float(x.sum() * np.log(scale))
    converged, status = res.converged, res.status
    if not np.isfinite(ll):
        converged, status = False, "not_converged: non-finite log-likelihood"
    return BgNbdFit(r, alpha_s * scale, a, b, ll, n, converged, status, res.iterations)


def bgnbd_standard_errors(fit: BgNbdFit, frequency, recency, T) -> dict[str, float]:
    """Standard errors of r, alpha, a, b: sqrt of the diagonal of the inverse of the observed
    information -d2 ln L / dparam2 (unpenalised, in the raw parameters, at the fit's values),
    on the customers the fit was made on. NaN for every parameter when the fit has no usable
    parameters or the information is not positive definite (no interior maximum)."""
    nan = dict.fromkeys(_NAMES, float("nan"))
    x, tx, t_age = validate_rft(frequency, recency, T)
    params = np.array([fit.r, fit.alpha, fit.a, fit.b], dtype=float)
    if x.size == 0 or not (np.all(np.isfinite(params)) and np.all(params > 0)):
        return nan
    mean_t = float(t_age.mean())
    scale = mean_t if mean_t > 0 else 1.0  # the fit's internal time unit (alpha / scale)
    p = params / np.array([1.0, scale, 1.0, 1.0])
    _, g_theta, h_theta = BgNbdObjective(x, tx / scale, t_age / scale)(np.log(p), hess=True)
    # d2/dtheta2 = P H P + diag(P g) for theta = ln p: undo the chain rule to the raw parameters
    info = -x.size * (h_theta - np.diag(g_theta)) / np.outer(p, p)
    if not np.all(np.isfinite(info)) or np.linalg.eigvalsh(info)[0] <= 0:
        return nan
    se = np.sqrt(np.diag(np.linalg.inv(info))) * np.array([1.0, scale, 1.0, 1.0])
    return dict(zip(_NAMES, se.tolist(), strict=True))
