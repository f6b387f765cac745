"""Mean BG/NBD log-likelihood with gradient and Hessian, as maximised by transforms.bgnbd.fit_bgnbd.

FHL (2005) eq. (6) with A3 factored out: for a row (x, t_x, T) with weight w (weights sum 1),

    ln L = g(x) - (r+x) ln(alpha+T) + [x>0] softplus(d),   d = c(x) + (r+x) (ln(alpha+T) - ln(alpha+t_x)),
    g(x) = lnG(r+x) - lnG(r) + r ln alpha + lnB(a, b+x) - lnB(a, b),   c(x) = ln a - ln(b+x-1).

d = A4 - A3 is the log-odds of "dropped out after t_x" against "alive at T", so
softplus'(d) = sigma = P(dropped | data) and softplus''(d) = sigma (1 - sigma). Derivatives are
taken in the raw parameters, then mapped to log-parameters theta = ln(r, alpha, a, b):
dL/dtheta_k = P_k dL/dP_k, d2L/dtheta_k dtheta_l = P_k P_l d2L/dP_k dP_l + [k=l] P_k dL/dP_k.

The optimiser evaluates this ~10 times per fit on ~30k customers, where transcendental functions
cost ~20x an add or multiply; hence the layout:
- gamma-function terms per distinct x, ln and 1/(alpha + .) per distinct T and t_x (the pipeline's
  day grain has a few hundred of each), gathered by precomputed indices;
- the term linear in ln(alpha+T) is summed per distinct T with parameter-free weights;
- only softplus(d) needs per-row transcendental work: one exp and one log.
Sums use clv_optim.dot (no BLAS threads).
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln, zeta

from transforms.clv_optim import dot


class BgNbdObjective:
    """theta = ln(r, alpha, a, b) -> (mean ln L, gradient, Hessian or None)."""

    def __init__(self, x: np.ndarray, tx: np.ndarray, t_age: np.ndarray):
        """One row per customer. Customers sharing (x, t_x, T) share a likelihood term, so
        the rows are reduced to distinct triples with weights count / n (one integer sort)."""
        (self.xv, ix), (txv, itx), (self.tv, it) = (np.unique(v, return_inverse=True) for v in (x, tx, t_age))
        if self.xv.size * txv.size * self.tv.size < 2**62:
            code = (ix * txv.size + itx) * self.tv.size + it
        else:  # too many distinct values to pack in int64
            code = np.unique(np.stack([ix, itx, it], axis=1), axis=0, return_inverse=True)[1].ravel()
        _, first, counts = np.unique(code, return_index=True, return_counts=True)
        x, tx, ix, it, weights = x[first], tx[first], ix[first], it[first], counts / x.size
        self.w_x = np.bincount(ix, weights, minlength=self.xv.size)
        self.w_t = np.bincount(it, weights, minlength=self.tv.size)
        self.wx_t = np.bincount(it, weights * x, minlength=self.tv.size)
        self.w_sum = float(weights.sum())
        # repeat rows (x = 0 rows have d = -inf: no softplus term, sigma = 0), grouped by x so
        # that per-x factors apply to per-x sums (np.add.reduceat) rather than to every row
        rep = np.flatnonzero(x > 0)
        rep = rep[np.argsort(x[rep], kind="stable")]
        self.xr, self.seg, seg_n = np.unique(x[rep], return_index=True, return_counts=True)
        self.row_seg = np.repeat(np.arange(seg_n.size), seg_n)
        self.txv, self.itx = np.unique(tx[rep], return_inverse=True)
        self.it, self.x_rep, self.w_rep = it[rep], x[rep], weights[rep]
        # scratch rows reused by every call: fresh 200 kB temporaries cost page faults each time
        self.buf = np.empty((10, rep.size))

    def __call__(self, theta: np.ndarray, hess: bool = False):
        p = np.exp(theta)
        r, alpha, a, b = p
        xv, w_x, w_rep = self.xv, self.w_x, self.w_rep
        lt, inv_t = np.log(alpha + self.tv), 1.0 / (alpha + self.tv)
        ltx, inv_tx = np.log(alpha + self.txv), 1.0 / (alpha + self.txv)
        j = 1.0 / (b + self.xr - 1.0)  # per repeat x: -dc/db
        dd, rx, d, e, t1, t2, q, s, sdd, srxe = self.buf
        np.take(lt, self.it, out=dd)
        dd -= np.take(ltx, self.itx, out=t1)  # ln(alpha+T) - ln(alpha+t_x)
        np.add(self.x_rep, r, out=rx)
        np.take(np.log(a * j), self.row_seg, out=d)
        d += np.multiply(rx, dd, out=t1)
        np.exp(np.negative(np.abs(d, out=e), out=e), out=e)  # e^-|d|
        np.add(e, 1.0, out=t1)
        softplus = dot(w_rep, np.log(t1, out=t2)) + dot(w_rep, np.maximum(d, 0.0, out=t2))
        np.divide(e, t1, out=s)  # e/(1+e): sigma where d <= 0, 1 - sigma where d > 0
        np.copyto(q, s)
        np.divide(1.0, t1, out=q, where=d > 0.0)
        q *= w_rep  # w sigma
        np.divide(s, t1, out=s)
        s *= w_rep  # w sigma (1 - sigma)
        np.take(inv_t, self.it, out=t1)
        np.take(inv_tx, self.itx, out=t2)
        np.add(t1, t2, out=e)
        t1 -= t2  # E = d dd / d alpha
        rxe = np.multiply(rx, t1, out=t2)  # d d / d alpha
        # per distinct x (A1 + A2), special functions in one call each (the arrays are short)
        k = xv.size
        args = np.concatenate([r + xv, b + xv, a + b + xv, [r, b, a + b]])
        lg, dg = gammaln(args), digamma(args)
        g = lg[:k] - lg[-3] + r * np.log(alpha) + lg[-1] + lg[k : 2 * k] - lg[-2] - lg[2 * k : 3 * k]
        dab = dg[-1] - dg[2 * k : 3 * k]
        dbb = dab + dg[k : 2 * k] - dg[-2]
        w_rt = r * self.w_t + self.wx_t
        ll = dot(w_x, g) - dot(w_rt, lt) + softplus
        np.multiply(s, dd, out=sdd)
        np.multiply(s, rxe, out=srxe)
        q_x, s_x, sdd_x, srxe_x = np.add.reduceat(self.buf[6:], self.seg, axis=1)
        q_sum = float(q_x.sum())
        gr = np.array([
            dot(w_x, dg[:k] - dg[-3]) + self.w_sum * np.log(alpha) - dot(self.w_t, lt) + dot(q, dd),
            r / alpha * self.w_sum - dot(w_rt, inv_t) + dot(q, rxe),
            dot(w_x, dab) + q_sum / a,
            dot(w_x, dbb) - dot(q_x, j),
        ])  # fmt: skip
        if not hess:
            return ll, p * gr, None
        tg = zeta(2.0, args)  # trigamma
        tab, tbb = tg[-1] - tg[2 * k : 3 * k], tg[k : 2 * k] - tg[-2]
        h = np.empty((4, 4))
        h[0, 0] = dot(w_x, tg[:k] - tg[-3]) + dot(sdd, dd)
        h[0, 1] = self.w_sum / alpha - dot(self.w_t, inv_t) + dot(sdd, rxe) + dot(q, t1)
        h[0, 2] = float(sdd_x.sum()) / a
        h[0, 3] = -dot(sdd_x, j)
        e *= rxe  # (r+x) E (1/(alpha+T) + 1/(alpha+t_x)) = -d2d/dalpha2
        h[1, 1] = -r * self.w_sum / alpha**2 + dot(w_rt, inv_t * inv_t) + dot(srxe, rxe) - dot(q, e)
        h[1, 2] = float(srxe_x.sum()) / a
        h[1, 3] = -dot(srxe_x, j)
        h[2, 2] = dot(w_x, tab) + (float(s_x.sum()) - q_sum) / a**2
        h[2, 3] = dot(w_x, tab) - dot(s_x, j) / a
        h[3, 3] = dot(w_x, tab + tbb) + dot(s_x + q_x, j * j)
        h = np.triu(h) + np.triu(h, 1).T
        return ll, p * gr, np.outer(p, p) * h + np.diag(p * gr)
