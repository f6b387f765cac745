"""R, F, M scores (1-5) and the R x F segment of each customer in a snapshot.

Grain: one row per customer x as_of_date (the input's rows; scores only for the
population: rows with frequency >= 1). Source: METRICS.md section 7.

Scores: rank the snapshot's population from worst to best with the minimum rank
for ties (`rank_min`, 1 = worst; R: larger recency_days is worse, F and M: smaller
is worse), then `score = 1 + floor(5 * (rank_min - 1) / n)` in integer arithmetic.
Equal values therefore get equal scores.

Segments: DEFAULT_RFM_GRID is the widely used R x F grid of the RFM segmentation
literature (the "rfm" regex map: 5[4-5] Champions, [3-4][4-5] Loyal, [4-5][2-3]
Potential loyalist, 51 New, 41 Promising, 33 Need attention, 3[1-2] About to
sleep, [1-2][3-4] At risk, [1-2]5 Cannot lose, [1-2][1-2] Hibernating), with the
cell R=1,F=1 carved out as Lost. See docs/customer-value.md.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from transforms.vocab import RFM_SEGMENTS as SEGMENTS

# Key "R,F" (recency score, frequency score) -> segment; one line per R score.
DEFAULT_RFM_GRID: dict[str, str] = {
    "1,1": "Lost", "1,2": "Hibernating", "1,3": "At risk", "1,4": "At risk", "1,5": "Cannot lose",
    "2,1": "Hibernating", "2,2": "Hibernating", "2,3": "At risk", "2,4": "At risk", "2,5": "Cannot lose",
    "3,1": "About to sleep", "3,2": "About to sleep", "3,3": "Need attention", "3,4": "Loyal", "3,5": "Loyal",
    "4,1": "Promising", "4,2": "Potential loyalist", "4,3": "Potential loyalist", "4,4": "Loyal",
    "4,5": "Loyal",
    "5,1": "New", "5,2": "Potential loyalist", "5,3": "Potential loyalist", "5,4": "Champions",
    "5,5": "Champions",
}  # fmt: skip


def validate_grid(grid: Mapping[str, str]) -> dict[str, str]:
    """The grid as a plain dict; ValueError unless it maps all 25 "R,F" keys to known segments."""
    expected = {f"{r},{f}" for r in range(1, 6) for f in range(1, 6)}
    missing, extra = sorted(expected - set(grid)), sorted(set(grid) - expected)
    unknown = sorted({v for v in grid.values() if v not in SEGMENTS})
    if missing or extra or unknown:
        raise ValueError(f"rfm grid: missing keys {missing}, unexpected keys {extra}, unknown segments {unknown}")
    return dict(grid)


def score_expr(rank_min: pl.Expr, n: pl.Expr) -> pl.Expr:
    """1 + floor(5 * (rank_min - 1) / n), exact in integers."""
    return (1 + (5 * (rank_min.cast(pl.Int64) - 1)) // n.cast(pl.Int64)).cast(pl.Int8)


def rfm_scores(frame: pl.LazyFrame, by: str = "as_of_date") -> pl.LazyFrame:
    """Add r_score, f_score, m_score (Int8) from recency_days, frequency, monetary.

    Ranked within each `by` group over rows with frequency >= 1; other rows get nulls.
    """
    in_pop = pl.col("frequency").fill_null(0) >= 1
    n = in_pop.sum().over(by)

    def rank(col: str, descending: bool = False) -> pl.Expr:  # nulls (outside the population) stay null
        return pl.when(in_pop).then(pl.col(col)).rank("min", descending=descending).over(by)

    return frame.with_columns(
        r_score=score_expr(rank("recency_days", descending=True), n),
        f_score=score_expr(rank("frequency"), n),
        m_score=score_expr(rank("monetary"), n),
    )


def rfm_segment(frame: pl.LazyFrame, grid: Mapping[str, str] | None = None) -> pl.LazyFrame:
    """Add rfm_segment from r_score and f_score through the grid (null where a score is null)."""
    mapping = validate_grid(DEFAULT_RFM_GRID if grid is None else grid)
    by_code = {int(k[0]) * 10 + int(k[2]): v for k, v in mapping.items()}  # "R,F" -> 10 R + F
    code = pl.col("r_score").cast(pl.Int64) * 10 + pl.col("f_score").cast(pl.Int64)
    return frame.with_columns(rfm_segment=code.replace_strict(by_code, default=None, return_dtype=pl.String))
