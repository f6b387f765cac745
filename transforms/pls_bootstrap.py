"""Bootstrap standard errors of PLS path coefficients and total effects (METRICS.md 5).

Resamples rows with replacement. The n-dependent work is vectorised: resample counts C
(B x n) times the centred data and its pairwise products give every resample's
correlation matrix in two matrix products; the PLS iterations then run on the small
p x p matrices, all resamples in one batch (transforms.pls_fit.fit_correlations). A
resample with a constant item or an estimation failure is dropped and counted; SE =
sample sd (ddof 1) over the successful resamples, and no SE at all when fewer than 2
succeeded.
Weighted PLS (METRICS 10): responses are resampled with equal probability and keep their
weights, so a resample's case weights are count x weight (Becker & Ismail 2016).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from transforms.pls_fit import fit_correlations
from transforms.pls_pm import Layout, ModelLike, case_weights, reachable, total_effects


@dataclass(frozen=True)
class BootstrapResult:
    resamples_ok: int
    resamples_failed: int
    path_se: dict[tuple[str, str], float] = field(default_factory=dict)
    total_effect_se: dict[tuple[str, str], float] = field(default_factory=dict)


def resampled_correlations(
    x: np.ndarray, resamples: int, seed: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(B x p x p correlation matrices, B-vector 'usable' flags) of bootstrap resamples of x.

    The same seed draws the same resamples with or without weights."""
    n, p = x.shape
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(float)
    if weights is None:
        xc, total = x - x.mean(axis=0), n
    else:
        counts *= weights
        xc, total = x - (weights / weights.sum()) @ x, counts.sum(axis=1)[:, None]
    m1 = counts @ xc / total
    m2 = (counts @ (xc[:, :, None] * xc[:, None, :]).reshape(n, p * p)).reshape(-1, p, p)
    m2 = m2 / (total if weights is None else total[:, :, None])
    cov = m2 - m1[:, :, None] * m1[:, None, :]
    var = np.einsum("bii->bi", cov)
    scale = np.maximum(np.abs(xc).max(axis=0), 1.0) ** 2
    usable = (var > 1e-12 * scale).all(axis=1)
    sd = np.sqrt(np.where(var > 0, var, 1.0))
    return cov / sd[:, :, None] / sd[:, None, :], usable


def bootstrap(
    data: np.ndarray,
    model: ModelLike,
    item_names: Sequence[str],
    resamples: int = 200,
    seed: int = 0,
    tol: float = 1e-7,
    max_iter: int = 300,
    scheme: str = "path",
    weights=None,
) -> BootstrapResult:
    """Bootstrap SEs of the path coefficients and total effects of `model` on complete `data`
    (`weights`: weighted PLS, as in pls_pm.estimate)."""
    lay = Layout.of(model, item_names)
    x = np.asarray(data, dtype=float)[:, [list(item_names).index(i) for i in lay.items]]
    wc = case_weights(weights, x.shape[0])
    if resamples < 2 or x.shape[0] < 2 or not np.isfinite(x).all():
        return BootstrapResult(0, max(resamples, 0))
    corr, usable = resampled_correlations(x, resamples, seed, wc)
    status, _, _, _, beta = fit_correlations(corr[usable], lay, tol, max_iter, scheme)
    betas = beta[status == "ok"]
    ok = len(betas)
    if ok < 2:
        return BootstrapResult(ok, resamples - ok)
    se_b = np.std(betas, axis=0, ddof=1)
    se_t = np.std(total_effects(betas), axis=0, ddof=1)
    cs = lay.constructs
    pi, pj = np.nonzero(lay.pred)
    ti, tj = np.nonzero(reachable(lay.pred))
    return BootstrapResult(
        resamples_ok=ok,
        resamples_failed=resamples - ok,
        path_se={(cs[i], cs[j]): float(se_b[i, j]) for i, j in zip(pi, pj, strict=True)},
        total_effect_se={(cs[i], cs[j]): float(se_t[i, j]) for i, j in zip(ti, tj, strict=True)},
    )
