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
from scipy.special import digamma, gammaln, zeta

from transforms.clv_optim import dot, maximise, penalised

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


def _row_loglik(p: float, q: float, v: float, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per-row ln f(m_x) (note eq. 3); gamma-function terms once per distinct x."""
    xv, inv = np.unique(x, return_inverse=True)
    px = p * x
    ll = (gammaln(p * xv + q) - gammaln(p * xv) - gammaln(q) + q * np.log(v))[inv]
    return ll + (px - 1.0) * np.log(m) + px * np.log(x) - (px + q) * np.log(v + x * m)


class GammaGammaObjective:
    """theta = ln(p, q, v) -> (mean ln f, gradient, Hessian or None) over rows weighted w.

    With s = x m, L = ln(v + s), u = ln s - L and G(x) = lnG(px+q) - lnG(px) - lnG(q) + q ln v,
    mean ln f = sum_x W_x G(x) + p sum w x u - sum w ln m - q sum w L: per evaluation one log
    and one reciprocal per row (the optimiser evaluates ~10 times), gamma-function terms per
    distinct x, sums by clv_optim.dot (no BLAS threads). Log-parameter derivatives as in
    transforms.bgnbd_likelihood.
    """

    def __init__(self, x: np.ndarray, m: np.ndarray, w: np.ndarray):
        self.xv, ix = np.unique(x, return_inverse=True)
        self.w_x = np.bincount(ix, w, minlength=self.xv.size)
        self.s, self.log_s, self.w, self.wx = x * m, np.log(x * m), w, w * x
        self.w_sum, self.c0 = float(w.sum()), dot(w, np.log(m))

    def __call__(self, theta: np.ndarray, hess: bool = False):
        par = np.exp(theta)
        p, q, v = par
        xv, w_x, w_sum = self.xv, self.w_x, self.w_sum
        big_l, inv = np.log(v + self.s), 1.0 / (v + self.s)
        wl, wxu = dot(self.w, big_l), dot(self.wx, self.log_s - big_l)
        wr, wxr = dot(self.w, inv), dot(self.wx, inv)
        pxv = p * xv
        ll = dot(w_x, gammaln(pxv + q) - gammaln(pxv)) + w_sum * (q * np.log(v) - gammaln(q))
        ll += p * wxu - self.c0 - q * wl
        psi_pq, psi_px = digamma(pxv + q), digamma(pxv)
        gr = np.array([
            dot(w_x * xv, psi_pq - psi_px) + wxu,
            dot(w_x, psi_pq) + w_sum * (np.log(v) - digamma(q)) - wl,
            q / v * w_sum - p * wxr - q * wr,
        ])  # fmt: skip
        if not hess:
            return ll, par * gr, None
        t_pq, t_px = zeta(2.0, pxv + q), zeta(2.0, pxv)  # trigamma
        h = np.empty((3, 3))
        h[0, 0] = dot(w_x * xv * xv, t_pq - t_px)
        h[0, 1] = h[1, 0] = dot(w_x * xv, t_pq)
        h[0, 2] = h[2, 0] = -wxr
        h[1, 1] = dot(w_x, t_pq) - w_sum * float(zeta(2.0, q))
        h[1, 2] = h[2, 1] = w_sum / v - wr
        h[2, 2] = -q * w_sum / v**2 + p * dot(self.wx, inv * inv) + q * dot(self.w, inv * inv)
        return ll, par * gr, np.outer(par, par) * h + np.diag(par * gr)


def gamma_gamma_loglik(p: float, q: float, v: float, frequency, monetary_value) -> np.ndarray:
    """Per-customer log-density of m_x (note eq. 3); requires frequency > 0 and m_x > 0."""
    x, m = _arrays(frequency, monetary_value)
    if np.any(x <= 0) or not np.all(np.isfinite(m)) or np.any(m <= 0):
        raise ValueError("the Gamma-Gamma likelihood needs frequency > 0 and finite monetary_value > 0")
    return _row_loglik(p, q, v, x, m)


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
    mean_ll = GammaGammaObjective(x, m / scale, np.full(n, 1.0 / n))

    res = maximise(penalised(mean_ll, penalizer), np.log([1.0, 2.0, 1.0]), _NAMES, max_iter)
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
