"""Percentiles with linear interpolation between closest ranks, as polars expressions.

Formula source: METRICS.md section 0 ("Percentiles and medians use linear
interpolation between closest ranks (the numpy default, DuckDB quantile_cont)").
For sorted non-null values x_0..x_{n-1} and a fraction q, the position is
h = (n - 1) * q and the result is x_floor(h) + (h - floor(h)) * (x_ceil(h) - x_floor(h)),
so the median of an even count is the mean of the middle two. Nulls are ignored;
an empty input gives null. polars' *default* quantile interpolation is 'nearest',
which differs; `interpolation='linear'` matches numpy (verified in
tests/transforms/test_quantile.py).

Grain: an aggregation expression (one value per group).
"""

from __future__ import annotations

import polars as pl


def _as_expr(col: str | pl.Expr) -> pl.Expr:
    return pl.col(col) if isinstance(col, str) else col


def percentile(col: str | pl.Expr, q: float) -> pl.Expr:
    """The q-quantile (0 <= q <= 1) of `col`, linear interpolation (numpy default)."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"percentile: q must be in [0, 1], got {q!r}")
    return _as_expr(col).cast(pl.Float64).quantile(q, interpolation="linear")


def median(col: str | pl.Expr) -> pl.Expr:
    """The median of `col` (mean of the middle two for an even count)."""
    return percentile(col, 0.5)
