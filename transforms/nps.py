"""Net Promoter Score parts and derived columns as reusable polars expressions.

Formula source: METRICS.md section 2 (NPS) and its "Change" bullet.
- parts (additive, re-aggregable by BI): nps_n = valid answers, promoters = 9-10,
  passives = 7-8, detractors = 0-6;
- nps = 100 * (promoters - detractors) / n;
- nps_se = 100 * sqrt((pP + pD - (pP - pD)^2) / n), pP and pD the shares;
- nps_ci_low / nps_ci_high = nps -/+ z * nps_se (z = 1.96 by default);
- change: nps_change_significant = |delta| > z * sqrt(se_now^2 + se_prev^2).
A zero n gives null for every ratio (METRICS.md section 0).

Grain: whatever the caller groups by; `nps_parts` are aggregations over answers,
`nps_derived` are row-wise over a frame that already holds the parts.
"""

from __future__ import annotations

import polars as pl


def nps_parts(answer: str = "nps_answer") -> list[pl.Expr]:
    """Aggregations: nps_n, promoters, passives, detractors (Int64) over the answers of a group."""
    x = pl.col(answer)
    return [
        x.is_not_null().sum().cast(pl.Int64).alias("nps_n"),
        (x >= 9).sum().cast(pl.Int64).alias("promoters"),
        ((x >= 7) & (x <= 8)).sum().cast(pl.Int64).alias("passives"),
        (x <= 6).sum().cast(pl.Int64).alias("detractors"),
    ]


def nps_score(promoters: str = "promoters", detractors: str = "detractors", n: str = "nps_n") -> pl.Expr:
    """100 * (promoters - detractors) / n; null when n = 0."""
    n_ = pl.col(n).cast(pl.Float64)
    return pl.when(n_ > 0).then(100.0 * (pl.col(promoters) - pl.col(detractors)).cast(pl.Float64) / n_).otherwise(None)


def nps_standard_error(promoters: str = "promoters", detractors: str = "detractors", n: str = "nps_n") -> pl.Expr:
    """100 * sqrt((pP + pD - (pP - pD)^2) / n); null when n = 0."""
    n_ = pl.col(n).cast(pl.Float64)
    p_p = pl.col(promoters).cast(pl.Float64) / n_
    p_d = pl.col(detractors).cast(pl.Float64) / n_
    return pl.when(n_ > 0).then(100.0 * ((p_p + p_d - (p_p - p_d) ** 2) / n_).sqrt()).otherwise(None)


def nps_derived(z: float = 1.96) -> list[pl.Expr]:
    """Row-wise: nps, nps_se, nps_ci_low, nps_ci_high from the parts columns."""
    nps = nps_score()
    se = nps_standard_error()
    return [
        nps.alias("nps"),
        se.alias("nps_se"),
        (nps - z * se).alias("nps_ci_low"),
        (nps + z * se).alias("nps_ci_high"),
    ]


def nps_change_significant(
    delta: str = "nps_delta", se_now: str = "nps_se", se_prev: str = "nps_se_prev", z: float = 1.96
) -> pl.Expr:
    """|delta| > z * sqrt(se_now^2 + se_prev^2); null when any input is null."""
    return pl.col(delta).abs() > z * (pl.col(se_now) ** 2 + pl.col(se_prev) ** 2).sqrt()
