"""mart_churn_backtest: how well risk_score predicted "no order in (D, D+90]".

Grain: one row per as_of_date x risk_band, risk_band in BANDS: 'ALL' and the three
risk bands (all four always present, a band without customers has 0 / null), for
every snapshot D of mart_churn_signals with D + horizon <= data_end (the newest
data date, default the newest order_date in sales). Source: METRICS.md section 8
(backtest).

churned = the customer has no sale in (D, D + horizon]. churn_rate_pct =
100 * churned / customers (null when customers = 0). auc (only on the 'ALL' row)
= Mann-Whitney AUC of risk_score for churned vs retained with ties counted 1/2:
(sum of average ranks of churned - n1 (n1 + 1) / 2) / (n1 n0), null when either
group is empty. Computed with ranks per date, no loop.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms import customer_snapshots as cs
from transforms.vocab import ALL_BANDS
from transforms.vocab import BACKTEST_BANDS as BANDS

COLUMNS = (cs.D, "risk_band", "customers", "churned", "churn_rate_pct", "auc")


def build_churn_backtest(
    signals: pl.LazyFrame, sales: pl.LazyFrame, horizon_days: int = 90, data_end: date | None = None
) -> pl.LazyFrame:
    """From mart_churn_signals (as_of_date, customer_id, risk_score, risk_band) and fct_sales."""
    if horizon_days <= 0:
        raise ValueError(f"horizon_days must be > 0, got {horizon_days}")
    order_days = (
        sales.filter(pl.col("order_type") == "sale")
        .select(cs.CID, pl.col("order_date").alias("_next"))
        .unique()
        .sort("_next")
    )
    if data_end is None:  # the newest date of any sales row (sale or return)
        data_end = sales.select(pl.col("order_date").max()).collect().item()
    end_value = pl.lit(data_end, pl.Date)
    scored = (
        signals.select(cs.D, cs.CID, "risk_score", "risk_band")
        .filter(pl.col(cs.D) + pl.duration(days=horizon_days) <= end_value)
        .with_columns(_after=pl.col(cs.D) + pl.duration(days=1))
        .sort("_after")
        .join_asof(order_days, left_on="_after", right_on="_next", by=cs.CID, strategy="forward",
                   check_sortedness=False)
        .with_columns(
            churned=pl.col("_next").is_null() | (pl.col("_next") > pl.col(cs.D) + pl.duration(days=horizon_days))
        )
    )  # fmt: skip
    # counts are UInt32: n1 * n0 (pairs) and n1 * (n1 + 1) pass 2**32 at ~65,000 customers a date
    n1 = pl.col("churned").sum().cast(pl.Int64)
    n0 = pl.len().cast(pl.Int64) - n1
    rank = pl.col("risk_score").rank("average")
    auc = (rank.filter(pl.col("churned")).sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    all_rows = scored.group_by(cs.D).agg(
        pl.lit(ALL_BANDS).alias("risk_band"), pl.len().alias("customers"), n1.alias("churned"),
        pl.when((n1 > 0) & (n0 > 0)).then(auc).alias("auc"),
    )  # fmt: skip
    band_rows = scored.group_by(cs.D, "risk_band").agg(pl.len().alias("customers"), n1.alias("churned"))
    dates = scored.select(cs.D).unique()
    grid = dates.join(pl.LazyFrame({"risk_band": list(BANDS[1:])}), how="cross")
    band_rows = grid.join(band_rows, on=[cs.D, "risk_band"], how="left").with_columns(
        pl.col("customers", "churned").fill_null(0), auc=pl.lit(None, pl.Float64)
    )
    cols = [cs.D, "risk_band", "customers", "churned", "auc"]
    typed = [pl.col("customers").cast(pl.Int64), pl.col("churned").cast(pl.Int64), pl.col("auc").cast(pl.Float64)]
    out = pl.concat([all_rows.select(cols).with_columns(typed), band_rows.select(cols).with_columns(typed)])
    rate = 100.0 * pl.col("churned") / pl.when(pl.col("customers") > 0).then(pl.col("customers"))
    order = pl.col("risk_band").replace_strict({b: i for i, b in enumerate(BANDS)}, return_dtype=pl.Int8)
    return (
        out.with_columns(churn_rate_pct=rate.cast(pl.Float64))
        .sort(pl.col(cs.D), order)
        .select(COLUMNS)
    )
