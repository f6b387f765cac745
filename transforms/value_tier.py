"""Value tiers (the customer pyramid) of a snapshot.

Grain: one row per customer x as_of_date (the input's rows; tiers only for the
population: rows with frequency >= 1). Source: METRICS.md section 7.

The population is sorted by `margin_365d` (margin over (D-365, D], 0 without
activity there) descending, ties by customer_id in byte order (polars compares
strings by UTF-8 bytes); `rank_365d` = 1..n in that order and `rank_share =
rank / n`. A tier's cut-off c is compared *exactly*: c is read as the fraction of
its shortest decimal text (0.2 -> 1/5) and `rank / n <= num / den` is tested as
`rank * den <= num * n` in integers, so rank 2 of 10 is platinum, not float-noise
gold. Tiers in order of their cut-offs; above the last -> 'lead'; a negative
margin_365d -> 'lead' whatever the rank.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import polars as pl

from transforms.vocab import VALUE_TIERS

LEAD = VALUE_TIERS[-1]


@dataclass(frozen=True)
class TierCutoffs:
    """Upper rank_share bound per tier, in order; everything above the last is lead."""

    bounds: tuple[tuple[str, float], ...] = tuple(zip(VALUE_TIERS[:-1], (0.20, 0.50, 0.80), strict=True))

    @classmethod
    def from_mapping(cls, cutoffs: Mapping[str, float]) -> TierCutoffs:
        return cls(tuple(sorted(cutoffs.items(), key=lambda kv: kv[1])))

    def fractions(self) -> list[tuple[str, Fraction]]:
        out, previous = [], Fraction(0)
        for name, bound in self.bounds:
            frac = Fraction(repr(float(bound))).limit_denominator(10**6)
            if not previous < frac <= 1 or name == LEAD:
                raise ValueError(f"tier cut-offs must increase within (0, 1] and not name '{LEAD}': {self.bounds!r}")
            out.append((name, frac))
            previous = frac
        return out


def value_tiers(
    frame: pl.LazyFrame, cutoffs: TierCutoffs = TierCutoffs(), by: str = "as_of_date",
    tie_key: str = "customer_id",
) -> pl.LazyFrame:  # fmt: skip
    """Add rank_365d (Int64), rank_share (Float64) and value_tier (String) per `by` group.

    `tie_key` breaks margin ties; any column in the byte order of customer_id works (the
    batch passes its integer key `_k`, which sorts faster than the strings)."""
    fracs = cutoffs.fractions()
    in_pop = pl.col("frequency").fill_null(0) >= 1
    # rank = ordinal position by (margin desc, tie_key asc) within the population: rank_min of
    # the margin, then the tie key, packed into one Int64 so one ranking does it (no sort).
    margin = pl.when(in_pop).then(pl.col("margin_365d"))
    margin_rank = margin.rank("min", descending=True).over(by).cast(pl.Int64)
    packed = margin_rank * 2**32 + pl.col(tie_key).rank("dense").cast(pl.Int64)
    rank, n = pl.col("rank_365d"), pl.col("_n")
    tier = pl.when(pl.col("margin_365d") < 0).then(pl.lit(LEAD))
    for name, frac in fracs:
        tier = tier.when(rank * frac.denominator <= n * frac.numerator).then(pl.lit(name))
    return (
        frame.with_columns(
            rank_365d=packed.rank("ordinal").over(by).cast(pl.Int64), _n=in_pop.sum().over(by).cast(pl.Int64)
        )
        .with_columns(
            rank_share=rank.cast(pl.Float64) / n.cast(pl.Float64),
            value_tier=pl.when(in_pop).then(tier.otherwise(pl.lit(LEAD))),
        )
        .drop("_n")
    )
