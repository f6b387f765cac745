"""Gamma-Gamma model of mean order value (METRICS.md section 7, CLV).

Fader, P. S. and Hardie, B. G. S. (2013), "The Gamma-Gamma Model of Monetary
Value" (note, brucehardie.com/notes/025); after Colombo & Jiang (1999).
Transaction values z_i ~ gamma(p, nu), nu ~ gamma(q, v) across customers
(``v`` is the note's gamma, a scale in currency units). For a customer with x
repeat transactions of mean value m_x the marginal density is (note, eq. 3)

    f(m_x | p, q, v; x) = G(px+q) / (G(px) G(q)) * v^q m_x^(px-1) x^(px) / (v + x m_x)^(px+q)

and the conditional expected mean transaction value is (note, eq. 5)

    E[M | p, q, v; m_x, x] = p (v + x m_x) / (p x + q - 1)
                           = (q-1)/(px+q-1) * p v/(q-1) + px/(px+q-1) * m_x,

a weighted average of the population mean p v / (q-1) (q > 1) and the customer's
own mean; with x = 0 it is the population mean. Grain: one row per customer;
``frequency`` = repeat orders, ``monetary_value`` = mean value of the repeat orders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from transforms.clv_optim import maximise

_NAMES = ("p", "q", "v")


@dataclass(frozen=True)
class GammaGammaFit:
    p: float
    q: float
    v: float
    log_likelihood: float
    n_customers: int
    converged: bool
    status: str


def _arrays(frequency, monetary_value) -> tuple[np.ndarray, np.ndarray]:
    x, m = (np.atleast_1d(np.asarray(v, dtype=float)).ravel() for v in (frequency, monetary_value))
    if x.shape != m.shape:
        raise ValueError("frequency and monetary_value must have the same length")
    if not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be a finite non-negative integer count")
    return x, m


def _aux(x: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, ...]:
    """Parameter-free pieces: distinct x (gamma terms are evaluated once per x), ln x, ln m."""
    xv, inv = np.unique(x, return_inverse=True)
    return xv, inv, np.log(x), np.log(m)


def _ll_and_grad(theta: np.ndarray, x: np.ndarray, m: np.ndarray, aux, grad: bool = True):
    """Per-row ln f(m_x) and (optionally) d/d log-parameter, shape (3, n)."""
    p, q, v = np.exp(theta)
    xv, inv, log_x, log_m = aux
    pxv = p * xv
    log_vxm = np.log(v + x * m)
    px = pxv[inv]
    ll = (gammaln(pxv + q) - gammaln(pxv) - gammaln(q) + q * np.log(v))[inv]
    ll += (px - 1.0) * log_m + px * log_x - (px + q) * log_vxm
    if not grad:
        return ll, None
    psi_pq, psi_px = digamma(pxv + q), digamma(pxv)
    d_p = x * ((psi_pq - psi_px)[inv] + log_m + log_x - log_vxm)
    d_q = (psi_pq - digamma(q) + np.log(v))[inv] - log_vxm
    d_v = q / v - (px + q) / (v + x * m)
    return ll, np.stack([d_p * p, d_q * q, d_v * v])


def gamma_gamma_loglik(p: float, q: float, v: float, frequency, monetary_value) -> np.ndarray:
    """Per-customer log-density of m_x (note eq. 3); requires frequency > 0 and m_x > 0."""
    x, m = _arrays(frequency, monetary_value)
    if np.any(x <= 0) or not np.all(np.isfinite(m)) or np.any(m <= 0):
        raise ValueError("the Gamma-Gamma likelihood needs frequency > 0 and finite monetary_value > 0")
    return _ll_and_grad(np.log([p, q, v]), x, m, _aux(x, m), grad=False)[0]


def fit_gamma_gamma(frequency, monetary_value, *, penalizer: float = 0.0, max_iter: int = 1000) -> GammaGammaFit:
    """Maximum-likelihood fit over the customers with frequency > 0.

    Rows with frequency 0 are ignored; so are repeat customers whose mean value
    is not finite and positive (outside the gamma support, e.g. net of returns);
    ``n_customers`` counts the rows used. ``penalizer`` adds
    ``penalizer * sum(log(theta)**2)`` (theta = p, q, v / mean(m_x)) to the mean
    negative log-likelihood. q <= 1 (no finite population mean) is degenerate.
    """
    x, m = _arrays(frequency, monetary_value)
    use = (x > 0) & np.isfinite(m) & (m > 0)
    x, m = x[use], m[use]
    n = int(x.size)
    nan = float("nan")
    if n < 2:
        return GammaGammaFit(nan, nan, nan, nan, n, False, "degenerate: fewer than 2 customers with repeat purchases")
    scale = float(m.mean())  # internal currency unit: v_internal = v / scale
    ux, um = x, m / scale
    weights, aux = np.full(n, 1.0 / n), _aux(ux, um)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, g = _ll_and_grad(theta, ux, um, aux)
        f = -float(weights @ ll) + penalizer * float(theta @ theta)
        return f, -(g @ weights) + 2.0 * penalizer * theta

    res = maximise(objective, np.log([1.0, 2.0, 1.0]), _NAMES, max_iter)
    p, q, v_s = (float(t) for t in np.exp(res.log_params))
    v = v_s * scale
    ll = float(gamma_gamma_loglik(p, q, v, x, m).sum())
    converged, status = res.converged, res.status
    if not np.isfinite(ll):
        converged, status = False, "not_converged: non-finite log-likelihood"
    elif converged and q <= 1.0:
        converged, status = False, f"degenerate: q = {q:.4g} <= 1, population mean order value is infinite"
    return GammaGammaFit(p, q, v, ll, n, converged, status)


def expected_order_value(fit: GammaGammaFit, frequency, monetary_value) -> np.ndarray:
    """Conditional expected mean order value (note eq. 5); population mean p v/(q-1) for x = 0."""
    p, q, v = fit.p, fit.q, fit.v
    if not all(np.isfinite(t) and t > 0 for t in (p, q, v)) or q <= 1.0:
        raise ValueError(f"Gamma-Gamma fit cannot give an expected value (status: {fit.status})")
    x, m = _arrays(frequency, monetary_value)
    m = np.where(x > 0, m, 0.0)
    if not np.all(np.isfinite(m)):
        raise ValueError("monetary_value must be finite where frequency > 0")
    return p * (v + x * m) / (p * x + q - 1.0)
