"""Measurement-model quality of a PLS estimate (METRICS.md section 11): mart_pls_quality rows.

Reliability and convergent validity per construct (Cronbach's alpha, rho_A, rho_C, AVE),
discriminant validity per construct pair (HTMT), collinearity and effect size per structural
path (VIF, f^2), and each loading, with a flag against the thresholds (config).
Everything is a function of the item correlation matrix S (weighted for weighted PLS, as
in transforms.pls_pm) and of the estimate's outer weights and loadings:
- alpha on standardised items: k/(k-1) (1 - k / sum of the block of S);
- rho_A (Dijkstra & Henseler 2015, as seminr and SmartPLS compute it): with w the outer
  weights scaled to a unit-variance composite, (w'w)^2 w'(S - diag S)w / w'(ww' - diag ww')w;
- rho_C = (sum l)^2 / ((sum l)^2 + sum(1 - l^2)), AVE = mean(l^2);
- HTMT (Henseler, Ringle & Sarstedt 2015): mean |r| between the two blocks' items over the
  geometric mean of the mean |r| among each block's own items (off-diagonal);
- VIF of a predictor among the target's predictors = diagonal of the inverse of their
  construct-score correlation matrix; f^2 = (R^2 - R^2 without it) / (1 - R^2), the reduced
  model re-regressed on the same construct scores (as seminr does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from transforms.mart_columns import QUALITY_SCHEMA
from transforms.pls_pm import Layout, ModelLike, PlsResult, case_weights, correlation


@dataclass(frozen=True)
class QualityThresholds:
    """METRICS 11 flags (config): at least `*_min`; HTMT and VIF below `*_max`, warning up to `*_warn`."""

    loading_min: float = 0.708
    reliability_min: float = 0.7  # alpha, rho_a, rho_c
    ave_min: float = 0.5
    htmt_max: float = 0.85
    htmt_warn: float = 0.90
    vif_max: float = 3.0
    vif_warn: float = 5.0


def _at_least(value: float, bound: float) -> str:
    return "ok" if value >= bound else "fail"


def _below(value: float, ok_below: float, warn_up_to: float) -> str:
    if value < ok_below:
        return "ok"
    return "warning" if value <= warn_up_to else "fail"


def cronbach_alpha(s_block: np.ndarray) -> float:
    k = s_block.shape[0]
    return k / (k - 1) * (1.0 - k / float(s_block.sum()))


def rho_a(s_block: np.ndarray, w: np.ndarray) -> float:
    w = w / np.sqrt(w @ s_block @ w)
    ww = np.outer(w, w)
    num = w @ (s_block - np.diag(np.diag(s_block))) @ w
    den = w @ (ww - np.diag(np.diag(ww))) @ w
    return float((w @ w) ** 2 * num / den)


def htmt(s: np.ndarray, i: np.ndarray, j: np.ndarray) -> float:
    """i, j: item indices of two blocks with >= 2 items each."""
    a = np.abs(s)
    hetero = a[np.ix_(i, j)].mean()
    mono_i = a[np.ix_(i, i)][~np.eye(i.size, dtype=bool)].mean()
    mono_j = a[np.ix_(j, j)][~np.eye(j.size, dtype=bool)].mean()
    return float(hetero / np.sqrt(mono_i * mono_j))


def _r2(r: np.ndarray, pred: np.ndarray, k: int) -> float:
    if pred.size == 0:
        return 0.0
    b = np.linalg.solve(r[np.ix_(pred, pred)], r[pred, k])
    return float(b @ r[pred, k])


def measurement_quality(
    data: np.ndarray,
    model: ModelLike,
    item_names: Sequence[str],
    res: PlsResult,
    weights=None,
    thresholds: QualityThresholds = QualityThresholds(),
) -> pl.DataFrame:
    """mart_pls_quality rows (QUALITY_SCHEMA) of the estimate `res` of `model` on `data`
    (the same complete responses, columns = item_names, and the same `weights` the estimate
    used). No rows unless res.ok: the estimate's status says why."""
    if not res.ok:
        return pl.DataFrame(schema=QUALITY_SCHEMA)
    lay = Layout.of(model, item_names)
    x = np.asarray(data, dtype=float)[:, [list(item_names).index(i) for i in lay.items]]
    s = correlation(x, case_weights(weights, x.shape[0]))
    th = thresholds
    m = len(lay.constructs)
    w_all = np.array([res.outer_weights[i] for i in lay.items])
    load_all = np.array([res.loadings[i] for i in lay.items])
    wmat = np.zeros((len(lay.items), m))
    wmat[np.arange(len(lay.items)), lay.block] = w_all
    r = wmat.T @ s @ wmat  # construct-score correlations
    blocks = [np.flatnonzero(lay.block == k) for k in range(m)]
    rows: list[dict] = []
    for item, v in zip(lay.items, load_all, strict=True):
        c = lay.constructs[lay.block[lay.items.index(item)]]
        rows.append({"kind": "loading", "construct": c, "item": item, "estimate": float(v),
                     "flag": _at_least(v, th.loading_min)})  # fmt: skip
    for k, c in enumerate(lay.constructs):
        idx = blocks[k]
        if idx.size < 2:
            rows += [{"kind": kind, "construct": c, "note": "single-item construct: no reliability figures"}
                     for kind in ("alpha", "rho_a", "rho_c", "ave")]  # fmt: skip
            continue
        sb, lo = s[np.ix_(idx, idx)], load_all[idx]
        sl = float(lo.sum())
        values = {
            "alpha": (cronbach_alpha(sb), th.reliability_min),
            "rho_a": (rho_a(sb, w_all[idx]), th.reliability_min),
            "rho_c": (sl**2 / (sl**2 + float((1.0 - lo**2).sum())), th.reliability_min),
            "ave": (float((lo**2).mean()), th.ave_min),
        }
        rows += [{"kind": kind, "construct": c, "estimate": v, "flag": _at_least(v, bound)}
                 for kind, (v, bound) in values.items()]  # fmt: skip
    for a in range(m):
        for b in range(a + 1, m):
            pair = {"kind": "htmt", "from_construct": lay.constructs[a], "to_construct": lay.constructs[b]}
            if blocks[a].size < 2 or blocks[b].size < 2:
                rows.append({**pair, "note": "single-item construct: HTMT needs two or more items on both sides"})
                continue
            v = htmt(s, blocks[a], blocks[b])
            rows.append({**pair, "estimate": v, "flag": _below(v, th.htmt_max, th.htmt_warn)})
    for k, pr in lay.predecessors:
        inv = np.linalg.inv(r[np.ix_(pr, pr)])
        r2_with = _r2(r, pr, k)
        for pos, j in enumerate(pr):
            path = {"from_construct": lay.constructs[j], "to_construct": lay.constructs[k]}
            vif = float(inv[pos, pos])
            rows.append({**path, "kind": "vif", "estimate": vif, "flag": _below(vif, th.vif_max, th.vif_warn)})
            f2 = (r2_with - _r2(r, np.delete(pr, pos), k)) / (1.0 - r2_with)
            rows.append({**path, "kind": "f2", "estimate": f2})
    return pl.DataFrame(rows, schema=QUALITY_SCHEMA)
