"""mart_customer_value: value figures, scores, tier, loyalty stage and CLV per snapshot.

Grain: one row per customer x as_of_date: every customer with a sale on or
before D, plus prospects (an identified survey response or a complaint by D, no
sale by D) with null order figures. Source: METRICS.md sections 0 and 7.

Orders are distinct `order_id`s of sale rows (counted at the order's first
date); returns subtract from revenue and cost at their own date but are not
orders. monetary = net revenue, margin = net revenue - net cost, both up to D;
margin_365d over (D-365, D]. Batched over dates with running totals and as-of
joins (transforms/customer_snapshots.py): cost O(events log events + customers x
dates); only the CLV fit loops, once per date, vectorised over customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from transforms import customer_snapshots as cs
from transforms.clv import ClvParams, clv_by_snapshot
from transforms.mart_columns import CLV_MODEL_COLUMNS as MODEL_COLUMNS
from transforms.mart_columns import CUSTOMER_VALUE_COLUMNS as COLUMNS
from transforms.rfm import rfm_scores, rfm_segment
from transforms.value_tier import TierCutoffs, value_tiers


@dataclass(frozen=True)
class CustomerValueParams:
    tiers: TierCutoffs = field(default_factory=TierCutoffs)
    tier_window_days: int = 365
    rfm_grid: dict[str, str] | None = None  # None: rfm.DEFAULT_RFM_GRID
    clv: ClvParams = field(default_factory=ClvParams)
    advocate_min_nps: int = 9

    @classmethod
    def from_settings(cls, cv: Any) -> CustomerValueParams:
        """From csi.settings.CustomerValueSettings (duck-typed: no csi.settings import here)."""
        return cls(
            tiers=TierCutoffs.from_mapping(cv.tier_cutoffs), tier_window_days=cv.tier_window_days,
            rfm_grid=cv.rfm_grid, clv=ClvParams(horizon_days=cv.clv_horizon_days),
        )  # fmt: skip


def snapshot_dates(start: date, end: date, cadence: str = "daily") -> list[date]:
    """Every day in [start, end] ('daily') or every Sunday in it ('weekly')."""
    if cadence not in ("daily", "weekly") or end < start:
        raise ValueError(f"snapshot_dates: need start <= end and cadence daily|weekly, got {cadence!r}")
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return days if cadence == "daily" else [d for d in days if d.isoweekday() == 7]


def snapshot_base(
    sales: pl.LazyFrame, responses: pl.LazyFrame, complaints: pl.LazyFrame, as_of_dates: list[date],
    window_days: int = 365,
) -> pl.LazyFrame:  # fmt: skip
    """Grid x as-of sales totals and NPS (order figures null where there is no sale by D);
    keeps the integer keys _k and _i of customer_snapshots.Snapshots."""
    return snapshot_base_from(cs.history(sales, responses, complaints), as_of_dates, window_days)


def snapshot_base_from(hist: cs.History, as_of_dates: list[date], window_days: int = 365) -> pl.LazyFrame:
    """snapshot_base from facts already reduced by customer_snapshots.history."""
    snap, stream = cs.snapshots(hist, as_of_dates), hist.sales
    cols = ["cum_revenue", "cum_margin", "cum_orders", "cum_repeat_revenue"]
    base = snap.attach(snap.grid, stream, [*cols, "last_order_date", "first_order_date"], zero=cols)
    base = snap.attach(base, stream, ["cum_margin"], lag_days=window_days, suffix="_lag", zero=["cum_margin"])
    base = snap.attach(base, hist.nps, ["latest_nps"])
    has = pl.col("cum_orders") >= 1
    return base.select(
        cs.D, cs.CID, cs.K, "_i",
        pl.when(has).then(pl.col("first_order_date")).alias("first_order_date"),
        pl.when(has).then(pl.col("last_order_date")).alias("last_order_date"),
        pl.when(has).then((pl.col(cs.D) - pl.col("last_order_date")).dt.total_days()).alias("recency_days"),
        pl.when(has).then(pl.col("cum_orders")).alias("frequency"),
        pl.when(has).then(pl.col("cum_revenue").round(cs.MONEY_DECIMALS)).alias("monetary"),
        pl.when(has).then(pl.col("cum_margin").round(cs.MONEY_DECIMALS)).alias("margin"),
        pl.when(has).then(cs.window("cum_margin", "cum_margin_lag")).alias("margin_365d"),
        # revenue of the orders after the first: Gamma-Gamma's repeat transactions (clv.py)
        pl.when(has).then(pl.col("cum_repeat_revenue").round(cs.MONEY_DECIMALS)).alias("repeat_monetary"),
        "latest_nps",
    )  # fmt: skip


def customer_value_with_models(
    sales: pl.LazyFrame, responses: pl.LazyFrame, complaints: pl.LazyFrame, as_of_dates: list[date],
    params: CustomerValueParams = CustomerValueParams(), models: Any = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:  # fmt: skip
    """(mart_customer_value, mart_clv_model). `models`: CLV model functions (None = the real ones)."""
    return customer_value_from(cs.history(sales, responses, complaints), as_of_dates, params, models)


def customer_value_from(
    hist: cs.History, as_of_dates: list[date], params: CustomerValueParams = CustomerValueParams(),
    models: Any = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:  # fmt: skip
    """customer_value_with_models from facts already reduced by customer_snapshots.history."""
    base = snapshot_base_from(hist, as_of_dates, params.tier_window_days)
    scored = value_tiers(rfm_segment(rfm_scores(base), params.rfm_grid), params.tiers, tie_key=cs.K).collect()
    population = scored.filter(pl.col("frequency").is_not_null())
    clv, model_rows = clv_by_snapshot(population, params.clv, models, keys=(cs.D, cs.K))
    freq = pl.col("frequency").fill_null(0)
    stage = (
        pl.when(freq == 0).then(pl.lit("prospect"))
        .when(freq == 1).then(pl.lit("first_time"))
        .when(pl.col("latest_nps") >= params.advocate_min_nps).then(pl.lit("advocate"))
        .otherwise(pl.lit("repeat"))
    )  # fmt: skip
    mart = (
        scored.join(clv, on=[cs.D, cs.K], how="left").with_columns(loyalty_stage=stage).sort(cs.ORDER).select(COLUMNS)
    )
    return mart.lazy(), model_rows.select(MODEL_COLUMNS).sort("as_of_date", "model").lazy()


def build_customer_value(
    sales: pl.LazyFrame, responses: pl.LazyFrame, complaints: pl.LazyFrame, as_of_dates: list[date],
    params: CustomerValueParams = CustomerValueParams(), models: Any = None,
) -> pl.LazyFrame:  # fmt: skip
    """mart_customer_value only (see customer_value_with_models for the CLV model rows)."""
    return customer_value_with_models(sales, responses, complaints, as_of_dates, params, models)[0]
