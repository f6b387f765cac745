"""PLS path modelling (Wold / Lohmoeller algorithm) in numpy: METRICS.md section 5.

Mode A outer estimation, path weighting inner scheme (centroid/factorial optional), on
standardised indicators. The whole algorithm runs on the indicator correlation matrix
S (scores Y = Z W have cor(Y) = W'SW, mode A weights are S W E), so it costs O(p^2) per
iteration whatever n is, and the bootstrap (pls_bootstrap.py) reuses it on resampled S.
sd convention: indicators and scores are both scaled by the same sd formula, so weights,
loadings, paths, R^2 and index scores are identical with n or n-1 (R plspm uses
n-scaling for both); we use the plain correlation matrix.
Sign convention: each construct is oriented so the sum of its loadings is >= 0.
Weighted PLS (METRICS 10, Becker & Ismail 2016): with case weights, S is the weighted
correlation matrix and the index uses weighted item means. Since every later step (mode A
weights, construct correlations W'SW, least-squares paths on them) is a function of S alone,
this is weighted standardisation, weighted correlations and weighted least squares at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import numpy as np

from transforms.pls_fit import fit_correlations


class ModelLike(Protocol):
    constructs: dict[str, list[str]]
    paths: list[tuple[str, str]]


@dataclass(frozen=True)
class PlsResult:
    """Estimates keyed by item, construct or (from, to); all empty unless status == 'ok'."""

    status: str
    n: int
    iterations: int
    outer_weights: dict[str, float] = field(default_factory=dict)
    loadings: dict[str, float] = field(default_factory=dict)
    paths: dict[tuple[str, str], float] = field(default_factory=dict)
    r2: dict[str, float] = field(default_factory=dict)
    total_effects: dict[tuple[str, str], float] = field(default_factory=dict)
    index_weights: dict[str, float] = field(default_factory=dict)  # outer weights, sum 1 per construct
    index: dict[str, float] = field(default_factory=dict)
    weight_sum: float | None = None  # sum of the case weights (weighted PLS only)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class Layout:
    """Model geometry in index form: block of each item, path matrix P[i, j] = 1 for i -> j."""

    constructs: list[str]
    items: list[str]
    block: np.ndarray
    pred: np.ndarray

    @classmethod
    def of(cls, model: ModelLike, item_names: Sequence[str]) -> Layout:
        constructs = list(model.constructs)
        items = [i for c in constructs for i in model.constructs[c]]
        missing = set(items) - set(item_names)
        if missing:
            raise ValueError(f"data lacks model items {sorted(missing)}")
        block = np.array([constructs.index(c) for c in constructs for _ in model.constructs[c]])
        pred = np.zeros((len(constructs), len(constructs)), dtype=bool)
        for a, b in model.paths:
            pred[constructs.index(a), constructs.index(b)] = True
        return cls(constructs, items, block, pred)

    # index arrays of the iterations, built once per layout (not per resample and iteration)
    @cached_property
    def mask(self) -> np.ndarray:
        """mask[i, k] = 1.0 where item i belongs to construct k."""
        return (self.block[:, None] == np.arange(len(self.constructs))[None, :]).astype(float)

    @cached_property
    def adj(self) -> np.ndarray:
        return self.pred | self.pred.T

    @cached_property
    def predecessors(self) -> list[tuple[int, np.ndarray]]:
        """(k, indices of the constructs with a path into k) for every endogenous k."""
        return [(k, np.flatnonzero(self.pred[:, k])) for k in range(len(self.constructs)) if self.pred[:, k].any()]


def fit_correlation(s: np.ndarray, lay: Layout, tol: float, max_iter: int, scheme: str = "path"):
    """Core on a correlation matrix: (status, iterations, W (p x m), R (m x m), B (m x m));
    the arrays are None unless status == 'ok'. See pls_fit.fit_correlations for a stack."""
    status, iters, w, r, b = fit_correlations(s[None], lay, tol, max_iter, scheme)
    if status[0] != "ok":
        return str(status[0]), int(iters[0]), None, None, None
    return "ok", int(iters[0]), w[0], r[0], b[0]


def case_weights(weights, n: int) -> np.ndarray | None:
    """Validated case weights as floats (None stays None: the unweighted estimator)."""
    if weights is None:
        return None
    w = np.asarray(weights, dtype=float).ravel()
    if w.shape != (n,):
        raise ValueError(f"weights: {w.size} values for {n} responses")
    if not (np.isfinite(w).all() and (w > 0).all()):
        raise ValueError("weights must be finite and > 0 (leave out responses without a weight)")
    return w


def weighted_moments(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(weighted means, weighted covariance matrix) with weights normalised to sum 1."""
    p = w / w.sum()
    mean = p @ x
    xc = x - mean
    return mean, (xc * p[:, None]).T @ xc


def correlation(x: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Item correlation matrix: plain (np.corrcoef) or weighted (weighted covariances over
    weighted sds; any common factor of the weights cancels)."""
    if weights is None:
        return np.corrcoef(x, rowvar=False)
    _, cov = weighted_moments(x, weights)
    sd = np.sqrt(np.diag(cov))
    return cov / sd[:, None] / sd[None, :]


def total_effects(b: np.ndarray) -> np.ndarray:
    """Direct + indirect effects: (I - B)^-1 - I, with B[i, j] the path i -> j."""
    eye = np.eye(b.shape[-1])  # b may be a stack
    return np.linalg.inv(eye - b) - eye


def reachable(pred: np.ndarray) -> np.ndarray:
    """reach[i, j]: a directed path leads from construct i to construct j."""
    reach = pred.copy()
    for _ in range(len(pred)):
        reach = reach | ((reach.astype(int) @ pred.astype(int)) > 0)
    return reach


def estimate(
    data: np.ndarray,
    model: ModelLike,
    item_names: Sequence[str],
    scale_min: float | Sequence[float],
    scale_max: float | Sequence[float],
    tol: float = 1e-7,
    max_iter: int = 300,
    min_n: int = 10,
    scheme: str = "path",
    weights=None,
) -> PlsResult:
    """Estimate the model on complete cases `data` (n x len(item_names), columns = item_names).

    scale_min/scale_max: one value or one per column of `data`. Never returns NaN numbers:
    a model that cannot be estimated has a status and no estimates. `weights` (one > 0 per
    row, e.g. CLV) gives weighted PLS; None is the unweighted estimator, bit for bit.
    """
    x = np.asarray(data, dtype=float)
    n = x.shape[0]
    wc = case_weights(weights, n)
    lay = Layout.of(model, item_names)
    cols = [list(item_names).index(i) for i in lay.items]
    lo = np.broadcast_to(np.asarray(scale_min, dtype=float), (len(item_names),))[cols]
    hi = np.broadcast_to(np.asarray(scale_max, dtype=float), (len(item_names),))[cols]
    x = x[:, cols]
    if n < max(min_n, 2):
        return PlsResult(f"too_few_responses: {n} < {max(min_n, 2)}", n, 0)
    if not np.isfinite(x).all():
        return PlsResult("degenerate: missing values", n, 0)
    sd = x.std(axis=0) if wc is None else np.sqrt(np.diag(weighted_moments(x, wc)[1]))
    const = [lay.items[i] for i in np.flatnonzero(sd <= 1e-12 * np.maximum(1.0, np.abs(x).max(axis=0)))]
    if const:
        return PlsResult(f"degenerate: constant item {', '.join(const)}", n, 0)
    s = correlation(x, wc)
    status, it, w, r, b = fit_correlation(s, lay, tol, max_iter, scheme)
    if status != "ok":
        return PlsResult(status, n, it)
    m = len(lay.constructs)
    wv = w[np.arange(len(lay.items)), lay.block]
    load = (s @ w)[np.arange(len(lay.items)), lay.block]
    raw = wv  # METRICS 5: the construct's outer weights, normalised to sum 1
    sums = np.bincount(lay.block, weights=raw, minlength=m)
    norm = raw / sums[lay.block]
    pos = ((x.mean(axis=0) if wc is None else weighted_moments(x, wc)[0]) - lo) / (hi - lo)
    idx = np.bincount(lay.block, weights=norm * pos, minlength=m) * 100
    te = total_effects(b)
    reach = reachable(lay.pred)
    cs = lay.constructs
    endo = [k for k in range(m) if lay.pred[:, k].any()]
    return PlsResult(
        status="ok",
        n=n,
        iterations=it,
        outer_weights=dict(zip(lay.items, wv.tolist(), strict=True)),
        loadings=dict(zip(lay.items, load.tolist(), strict=True)),
        paths={(cs[i], cs[j]): float(b[i, j]) for i, j in zip(*np.nonzero(lay.pred), strict=True)},
        r2={cs[k]: float(b[:, k] @ r[:, k]) for k in endo},
        total_effects={(cs[i], cs[j]): float(te[i, j]) for i, j in zip(*np.nonzero(reach), strict=True)},
        index_weights=dict(zip(lay.items, norm.tolist(), strict=True)),
        index={c: float(idx[k]) for k, c in enumerate(cs) if abs(sums[k]) > 1e-12},
        weight_sum=None if wc is None else float(wc.sum()),
    )
