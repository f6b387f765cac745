"""mart_whale_curve: cumulative 365-day margin share by customer rank share.

Grain: one row per as_of_date x point, rank_share_pct = 5, 10, ..., 100 (dates
whose population is empty have no rows). Source: METRICS.md section 7 (whale
curve), ranking as for value tiers (margin_365d descending, ties by customer_id
bytes; the input's rank_365d).

Point p covers the top `customers = floor(p * n / 100)` ranked customers, i.e.
exactly those with rank_share <= p % (the same exact comparison as the tiers; no
interpolation inside a customer). Additive parts: customers, n_customers,
cumulative_margin, total_margin; `cumulative_margin_share = cumulative_margin /
total_margin` (null when total_margin is 0; with negative margins it can pass
1, which is the point of a whale curve). `top20_margin_share` (the 20 % point)
and `bottom30_margin_share` (margin of the customers with rank_share > 70 % / total)
are repeated on every row of the date so a BI tool needs no second table.
"""

from __future__ import annotations

import polars as pl

POINTS = tuple(range(5, 101, 5))
D = "as_of_date"
COLUMNS = (
    D, "rank_share_pct", "customers", "n_customers", "cumulative_margin", "total_margin",
    "cumulative_margin_share", "top20_margin_share", "bottom30_margin_share",
)  # fmt: skip


def build_whale_curve(customer_value: pl.LazyFrame) -> pl.LazyFrame:
    """From mart_customer_value rows (as_of_date, rank_365d, margin_365d; rows without a
    rank are ignored) to mart_whale_curve."""
    ranked = customer_value.filter(pl.col("rank_365d").is_not_null()).select(D, "rank_365d", "margin_365d")
    cum = ranked.sort(D, "rank_365d").with_columns(cumulative_margin=pl.col("margin_365d").cum_sum().over(D))
    # total = the running sum at the last rank: added up in rank order like every point, so it does not
    # depend on which other dates share the frame (a group_by sum adds in partitions of the whole frame)
    total = pl.col("cumulative_margin").get(pl.col("rank_365d").arg_max())
    totals = cum.group_by(D).agg(n_customers=pl.len().cast(pl.Int64), total_margin=total)
    points = pl.LazyFrame({"rank_share_pct": list(POINTS)}, schema={"rank_share_pct": pl.Int64})
    share = pl.col("cumulative_margin") / pl.when(pl.col("total_margin") != 0).then(pl.col("total_margin"))
    curve = (
        totals.join(points, how="cross")
        .with_columns(customers=(pl.col("rank_share_pct") * pl.col("n_customers")) // 100)
        .join(cum.select(D, pl.col("rank_365d").alias("customers"), "cumulative_margin"),
              on=[D, "customers"], how="left")
        .with_columns(pl.col("cumulative_margin").fill_null(0.0))
        .with_columns(cumulative_margin_share=share)
    )  # fmt: skip
    top20 = curve.filter(pl.col("rank_share_pct") == 20).select(D, top20_margin_share="cumulative_margin_share")
    rest = (pl.col("total_margin") - pl.col("cumulative_margin")) / pl.when(pl.col("total_margin") != 0).then(
        pl.col("total_margin")
    )
    bottom30 = curve.filter(pl.col("rank_share_pct") == 70).select(D, bottom30_margin_share=rest)
    return (
        curve.join(top20, on=D, how="left")
        .join(bottom30, on=D, how="left")
        .select(COLUMNS)
        .sort(D, "rank_share_pct")
    )
