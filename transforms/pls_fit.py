"""PLS path-model iterations on a stack of correlation matrices (transforms.pls_pm, METRICS.md 5).

The algorithm of transforms.pls_pm (mode A outer estimation on the indicator correlation
matrix S; path, centroid or factorial inner scheme) run on B matrices at once: one
estimate is B = 1, the bootstrap (pls_bootstrap.py) passes its resamples. The matrices are
tiny (p ~ 15 items, m ~ 6 constructs), so cost is numpy call overhead: every step here is one
batched call over the matrices still iterating, and the per-construct index arrays come from
the layout once. Each matrix keeps its own iteration count: one that has converged (or failed)
leaves the batch with exactly the weights the one-matrix loop would have stopped at.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DEGENERATE_INNER = "degenerate: zero inner estimate"
COLLINEAR = "degenerate: collinear construct scores"


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched a x = b with b a stack of vectors (np.linalg.solve wants them as columns)."""
    return np.linalg.solve(a, b[..., None])[..., 0]


def _inner(r: np.ndarray, lay: Any, scheme: str) -> np.ndarray:
    """Inner weights E (B x m x m) from the construct correlations r."""
    if scheme == "centroid":
        return np.sign(r) * lay.adj
    e = r * lay.adj
    if scheme != "factorial":  # path weighting: predecessors by multiple regression
        for k, pr in lay.predecessors:
            e[:, pr, k] = _solve(r[:, pr[:, None], pr], r[:, pr, k])
    return e


def fit_correlations(s: np.ndarray, lay: Any, tol: float, max_iter: int, scheme: str = "path"):
    """s: B x p x p correlation matrices; lay: a pls_pm.Layout.

    Returns (status (B,) object array, iterations (B,), W (B x p x m), R (B x m x m), paths
    (B x m x m)); W, R and paths are NaN where status != 'ok'.
    """
    nb, p, m = s.shape[0], s.shape[1], len(lay.constructs)
    status, iters = np.full(nb, "ok", dtype=object), np.zeros(nb, dtype=int)
    w_out, r_out, b_out = np.full((nb, p, m), np.nan), np.full((nb, m, m), np.nan), np.full((nb, m, m), np.nan)
    if not lay.adj.any(axis=0).all():
        status[:] = "degenerate: construct without paths"
        return status, iters, w_out, r_out, b_out
    mask = lay.mask
    w = mask / np.sqrt(np.einsum("pm,bpq,qm->bm", mask, s, mask))[:, None, :]
    act, sa = np.arange(nb), s
    for it in range(1, max_iter + 1):
        r = np.swapaxes(w, 1, 2) @ sa @ w
        w_new = (sa @ w @ _inner(r, lay, scheme)) * mask
        var = np.einsum("bpm,bpq,bqm->bm", w_new, sa, w_new)
        bad = ~np.all(var > 1e-300, axis=1)
        w_new /= np.sqrt(np.where(bad[:, None], 1.0, var))[:, None, :]
        done = np.max(np.abs(w_new - w), axis=(1, 2)) < tol
        status[act[bad]] = DEGENERATE_INNER
        iters[act[bad | done]] = it
        w_out[act[done & ~bad]] = w_new[done & ~bad]
        keep = ~(bad | done)
        act, w, sa = act[keep], w_new[keep], sa[keep]
        if act.size == 0:
            break
    status[act], iters[act] = "not_converged", max_iter
    ok = np.flatnonzero(status == "ok")
    s, w = s[ok], w_out[ok]
    w *= np.where(((s @ w) * mask).sum(axis=1) < 0, -1.0, 1.0)[:, None, :]  # sum of loadings >= 0
    r = np.swapaxes(w, 1, 2) @ s @ w
    b, fine = np.zeros((ok.size, m, m)), np.ones(ok.size, dtype=bool)
    for k, pr in lay.predecessors:
        rr = r[:, pr[:, None], pr]
        fine &= ~(np.linalg.cond(rr) > 1e12)
        sel = np.flatnonzero(fine)
        b[sel[:, None], pr, k] = _solve(rr[sel], r[sel][:, pr, k])
    status[ok[~fine]] = COLLINEAR
    ok = ok[fine]
    w_out[status != "ok"] = np.nan
    w_out[ok], r_out[ok], b_out[ok] = w[fine], r[fine], b[fine]
    return status, iters, w_out, r_out, b_out
