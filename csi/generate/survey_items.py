"""Answer blocks of the structured instruments: ACSI, SERVQUAL, KANO.

Each block takes the responses' latent satisfaction and returns (question ids,
values matrix) with NaN for a skipped item. Loops run over catalog questions or
KANO categories, never over responses.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from csi.generate.population import sigmoid

SQ_GAP = {"tangibles": -0.3, "reliability": -0.9, "responsiveness": -0.7, "assurance": -0.4, "empathy": -0.6}
SQ_IMPORTANCE = {"tangibles": 2.0, "reliability": 6.0, "responsiveness": 4.0, "assurance": 4.0, "empathy": 3.0}
KANO_CATS = ["A", "O", "M", "I", "R", "Q"]
# Feature-specific category tendencies (A, O, M, I, R, Q); unknown features get DEFAULT.
KANO_TENDENCY = {
    "mobile_app": [0.45, 0.15, 0.08, 0.25, 0.05, 0.02],
    "same_day_delivery": [0.20, 0.50, 0.12, 0.13, 0.03, 0.02],
    "free_returns": [0.08, 0.20, 0.55, 0.12, 0.03, 0.02],
    "live_chat": [0.15, 0.10, 0.10, 0.55, 0.08, 0.02],
    "loyalty_points": [0.35, 0.15, 0.05, 0.38, 0.05, 0.02],
    "eco_packaging": [0.30, 0.08, 0.04, 0.45, 0.11, 0.02],
}
DEFAULT_TENDENCY = [0.25, 0.2, 0.2, 0.3, 0.03, 0.02]
# (functional, dysfunctional) answer pairs of each KANO category (METRICS.md section 4).
KANO_CELLS = {
    "A": [(1, 2), (1, 3), (1, 4)],
    "O": [(1, 5)],
    "M": [(2, 5), (3, 5), (4, 5)],
    "I": [(f, d) for f in (2, 3, 4) for d in (2, 3, 4)],
    "R": [(5, 1), (5, 2), (5, 3), (5, 4), (2, 1), (3, 1), (4, 1)],
    "Q": [(1, 1), (5, 5)],
}
ACSI = {
    "EXP": ["acsi_exp_overall", "acsi_exp_custom", "acsi_exp_reliab"],
    "PQ": ["acsi_pq_overall", "acsi_pq_custom", "acsi_pq_reliab"],
    "PV": ["acsi_pv_price_q", "acsi_pv_q_price"],
    "SAT": ["acsi_sat_overall", "acsi_sat_confirm", "acsi_sat_ideal"],
    "LOY": ["acsi_loy_repurchase", "acsi_loy_price_tol"],
}


def scale(rng, center, spread, latent, noise, lo, hi):
    """Round a latent score to an integer scale point."""
    return np.clip(np.rint(center + spread * latent + rng.normal(0, noise, latent.shape)), lo, hi)


def acsi_block(rng: np.random.Generator, s: np.ndarray) -> tuple[list[str], np.ndarray]:
    """14 ACSI items for latent satisfaction `s` (n,), columns in catalog order."""
    n = len(s)
    exp_ = 0.5 * s + rng.normal(0, 0.8, n)
    pq = 0.35 * exp_ + 0.55 * s + rng.normal(0, 0.6, n)
    pv = 0.2 * exp_ + 0.5 * pq + rng.normal(0, 0.7, n)
    sat = 0.1 * exp_ + 0.45 * pq + 0.3 * pv + 0.25 * s + rng.normal(0, 0.45, n)
    comp = (rng.random(n) < sigmoid(-1.8 - 1.5 * sat)).astype(float)
    loy = 0.75 * sat - 0.35 * comp + rng.normal(0, 0.6, n)
    latent = {"EXP": exp_, "PQ": pq, "PV": pv, "SAT": sat, "LOY": loy}
    qids, cols = [], []
    for construct in ("EXP", "PQ", "PV", "SAT"):
        for j, q in enumerate(ACSI[construct]):
            qids.append(q)
            cols.append(scale(rng, 7.0, 1.5 * (1.0 - 0.1 * j), latent[construct], 0.8, 1, 10))
    qids.append("acsi_complained")
    cols.append(comp)
    for j, q in enumerate(ACSI["LOY"]):
        qids.append(q)
        cols.append(scale(rng, 7.0, 1.4 * (1.0 - 0.1 * j), loy, 0.9, 1, 10))
    values = np.column_stack(cols)
    # A few responses skip one item, so not every ACSI block is complete.
    skip = rng.random(n) < 0.08
    values[np.flatnonzero(skip), rng.integers(0, len(qids), skip.sum())] = np.nan
    return qids, values


def servqual_block(rng, s: np.ndarray, catalog: pl.DataFrame) -> tuple[list[str], np.ndarray]:
    """Expectation/perception items (reverse-worded ones stored reversed), weights."""
    sq = catalog.filter(pl.col("instrument") == "servqual").sort("kind", "statement_no")
    n, qids, cols = len(s), [], []
    expect = {}
    for row in sq.iter_rows(named=True):  # loop over 44 catalog questions, not rows
        if row["kind"] == "expectation":
            val = scale(rng, 5.9, 0.0, s, 0.8, 1, 7)
            expect[row["statement_no"]] = val
        else:
            base = expect[row["statement_no"]] + SQ_GAP.get(row["dimension"], -0.5)
            val = np.clip(np.rint(base + 0.7 * s + rng.normal(0, 0.8, n)), 1, 7)
        if row["is_reverse"]:
            val = 8 - val
        val[rng.random(n) < 0.05] = np.nan  # skipped statements
        qids.append(row["question_id"])
        cols.append(val)
    weights = catalog.filter(pl.col("instrument") == "servqual_weight")
    if weights.height:
        alpha = np.array([SQ_IMPORTANCE.get(d, 3.0) for d in weights["dimension"]])
        shares = rng.dirichlet(alpha, size=n)
        points = rng.multinomial(100, shares)  # integer points summing to exactly 100
        has_w = rng.random(n) < 0.7
        qids += weights["question_id"].to_list()
        cols += [np.where(has_w, points[:, j], np.nan) for j in range(weights.height)]
    return qids, np.column_stack(cols)


def kano_block(rng, n: int, catalog: pl.DataFrame) -> tuple[list[str], np.ndarray]:
    """Functional/dysfunctional pairs per catalog feature from its category tendency."""
    kano = catalog.filter(pl.col("instrument") == "kano")
    features = kano["feature"].unique(maintain_order=True).to_list()
    qids, cols = [], []
    for feature in features:
        fq = kano.filter((pl.col("feature") == feature) & (pl.col("kind") == "functional"))["question_id"]
        dq = kano.filter((pl.col("feature") == feature) & (pl.col("kind") == "dysfunctional"))["question_id"]
        cat = rng.choice(len(KANO_CATS), size=n, p=KANO_TENDENCY.get(feature, DEFAULT_TENDENCY))
        f, d = np.zeros(n), np.zeros(n)
        for c, name in enumerate(KANO_CATS):
            mask = cat == c
            cells = np.array(KANO_CELLS[name])
            pick = cells[rng.integers(0, len(cells), mask.sum())]
            f[mask], d[mask] = pick[:, 0], pick[:, 1]
        qids += [fq[0], dq[0]]
        cols += [f, d]
    return qids, np.column_stack(cols) if cols else np.zeros((n, 0))
