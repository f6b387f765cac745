"""Key drivers and importance-performance (METRICS.md section 10): mart_driver_importance rows.

For one quarter x site x weighting: every construct with a direct path to the index
construct is a driver. Importance is its standardised total effect on the index construct
(and on loyalty), with bootstrap SE and |t| > 1.96; performance is its 0-100 construct
index; the ACSI impact is the index points the index construct gains from a 5-point gain
in the driver, 5 * total effect * sd(index scores) / sd(driver scores), from each
respondent's 0-100 construct scores (normalised outer weights, METRICS 5; weighted sds
under weighted PLS). The quadrant (Martilla & James 1977) compares importance and
performance with their means over the drivers of the same model: strictly above the mean
is "above", equal counts as below.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from transforms.mart_columns import DRIVER_SCHEMA
from transforms.pls_bootstrap import BootstrapResult, bootstrap
from transforms.pls_pm import ModelLike, PlsResult, case_weights, estimate, weighted_moments

T_CRITICAL = 1.96


def drivers(model: ModelLike, index_construct: str) -> list[str]:
    """Constructs with a direct path to the index construct, in the model's construct order."""
    if index_construct not in model.constructs:
        raise ValueError(f"index construct {index_construct!r} is not a construct of the model")
    direct = {a for a, b in model.paths if b == index_construct}
    return [c for c in model.constructs if c in direct]


def quadrant(importance: float, performance: float, mean_importance: float, mean_performance: float) -> str:
    high_i, high_p = importance > mean_importance, performance > mean_performance
    if high_i:
        return "keep_up" if high_p else "concentrate_here"
    return "possible_overkill" if high_p else "low_priority"


def construct_scores(
    data: np.ndarray, item_names: Sequence[str], res: PlsResult, constructs: Sequence[str], model: ModelLike,
    scale_min, scale_max,
) -> np.ndarray:  # fmt: skip
    """n x len(constructs) respondent scores on 0-100: sum of normalised outer weight x the
    item's position on its scale, the per-respondent form of the METRICS 5 index."""
    x = np.asarray(data, dtype=float)
    lo = np.broadcast_to(np.asarray(scale_min, dtype=float), (len(item_names),))
    hi = np.broadcast_to(np.asarray(scale_max, dtype=float), (len(item_names),))
    pos = (x - lo) / (hi - lo)
    out = np.zeros((x.shape[0], len(constructs)))
    for k, c in enumerate(constructs):
        for item in model.constructs[c]:
            j = list(item_names).index(item)
            out[:, k] += res.index_weights[item] * pos[:, j]
    return out * 100.0


def _significant(estimate: float | None, se: float | None) -> bool | None:
    if estimate is None or se is None or not se > 0:
        return None
    return abs(estimate / se) > T_CRITICAL


def driver_table(
    res: PlsResult,
    boot: BootstrapResult | None,
    data: np.ndarray,
    model: ModelLike,
    item_names: Sequence[str],
    scale_min,
    scale_max,
    index_construct: str,
    loyalty_construct: str | None = "LOY",
    weights=None,
) -> pl.DataFrame:
    """DRIVER_SCHEMA rows from an estimate and its bootstrap (the same data and weights).

    A model that was not estimated gives one row per driver with its status and no figures."""
    names = drivers(model, index_construct)
    base = {"n": res.n, "weight_sum": res.weight_sum, "status": res.status}
    if not res.ok:
        return pl.DataFrame([{"driver": d, **base} for d in names], schema=DRIVER_SCHEMA)
    wc = case_weights(weights, np.asarray(data).shape[0])
    scores = construct_scores(data, item_names, res, [index_construct, *names], model, scale_min, scale_max)
    sd = scores.std(axis=0) if wc is None else np.sqrt(np.diag(weighted_moments(scores, wc)[1]))
    te_se = boot.total_effect_se if boot else {}
    loy = loyalty_construct if loyalty_construct in model.constructs else None
    rows = []
    for k, d in enumerate(names, start=1):
        te = res.total_effects[(d, index_construct)]
        se = te_se.get((d, index_construct))
        te_l = res.total_effects.get((d, loy)) if loy else None
        se_l = te_se.get((d, loy)) if loy else None
        rows.append({
            "driver": d,
            "total_effect_index": te,
            "total_effect_index_se": se,
            "is_significant_index": _significant(te, se),
            "total_effect_loyalty": te_l,
            "total_effect_loyalty_se": se_l,
            "is_significant_loyalty": _significant(te_l, se_l),
            "performance": res.index.get(d),
            "impact_5pt": 5.0 * te * sd[0] / sd[k] if sd[k] > 0 else None,
            **base,
        })  # fmt: skip
    mean_i = float(np.mean([r["total_effect_index"] for r in rows]))
    perf = [r["performance"] for r in rows if r["performance"] is not None]
    mean_p = float(np.mean(perf)) if perf else None
    for r in rows:
        if r["performance"] is not None and mean_p is not None:
            r["quadrant"] = quadrant(r["total_effect_index"], r["performance"], mean_i, mean_p)
    return pl.DataFrame(rows, schema=DRIVER_SCHEMA)


def driver_importance(
    data: np.ndarray,
    model: ModelLike,
    item_names: Sequence[str],
    scale_min,
    scale_max,
    index_construct: str,
    loyalty_construct: str | None = "LOY",
    weights=None,
    *,
    min_n: int = 100,
    resamples: int = 200,
    seed: int = 20261123,
    tol: float = 1e-7,
    max_iter: int = 300,
) -> pl.DataFrame:
    """Estimate (weighted PLS when `weights` is given) and bootstrap, then driver_table.

    `data`: the complete responses of one quarter x site (columns = item_names); `weights`:
    None for the `equal` weighting, each response's clv_365d (> 0) for `clv`."""
    res = estimate(data, model, item_names, scale_min, scale_max, tol, max_iter, min_n=min_n, weights=weights)
    boot = bootstrap(data, model, item_names, resamples, seed, tol, max_iter, weights=weights) if res.ok else None
    return driver_table(
        res, boot, data, model, item_names, scale_min, scale_max, index_construct, loyalty_construct, weights
    )
