"""Order lines of one day: multi-line orders, value skew, discounts and returns.

Orders are drawn per day for the active customers in proportion to an order rate
that grows with value weight and satisfaction; every line may be returned 1-30 days
later (customers who feel dissatisfied return more, population.py). Returns are
queued in `SalesState` and emitted on their own day as `order_type = return` lines
of order `<original order_id>-R` with the original line_no (so keys stay unique).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from csi.generate.population import SITE_IDS, Population, sigmoid

CATEGORIES = ["食品饮料", "家用电器", "服装鞋帽", "美妆个护", "数码产品", "家居用品", "母婴用品", "运动户外"]
CATEGORY_SHARE = np.array([0.24, 0.06, 0.16, 0.14, 0.08, 0.14, 0.10, 0.08])
BASE_PRICE = np.array([25.0, 900.0, 220.0, 150.0, 1500.0, 120.0, 180.0, 300.0])
# Cost as a share of the list price: with discounts above 1 - ratio the line loses money.
COST_RATIO = np.array([0.70, 0.78, 0.45, 0.40, 0.82, 0.55, 0.60, 0.55])
CHANNELS = ["store", "online", "app", "phone"]
CHANNEL_SHARE = np.array([0.45, 0.30, 0.18, 0.07])
ORDER_RATE = 0.03  # orders per customer-day at value weight ~1
OPEN_SECONDS, CLOSE_SECONDS = 8 * 3600, 22 * 3600

SALES_SCHEMA = {
    "order_id": pl.String,
    "line_no": pl.Int64,
    "order_type": pl.String,
    "customer_id": pl.String,
    "site_id": pl.String,
    "channel": pl.String,
    "ordered_at": pl.Datetime("us"),
    "product_category": pl.String,
    "quantity": pl.Int64,
    "unit_price": pl.Float64,
    "discount": pl.Float64,
    "revenue": pl.Float64,
    "cost": pl.Float64,
    "currency": pl.String,
}


@dataclass
class SalesState:
    """Returns waiting for their day: day index -> frames of return lines."""

    pending_returns: dict[int, list[pl.DataFrame]] = field(default_factory=lambda: defaultdict(list))


def day_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random second-of-day within opening hours."""
    return rng.integers(OPEN_SECONDS, CLOSE_SECONDS, size=n)


def to_datetimes(day: date, seconds: np.ndarray) -> np.ndarray:
    # polars accepts us but not s resolution from numpy
    return (np.datetime64(day, "s") + seconds.astype("timedelta64[s]")).astype("datetime64[us]")


def make_ids(prefix: str, seq: np.ndarray, width: int) -> pl.Series:
    return prefix + pl.Series(seq).cast(pl.String).str.zfill(width)


def orders_for_day(rng: np.random.Generator, pop: Population, day_idx: int, day: date) -> pl.DataFrame:
    """One row per order: order_id, customer index, site, channel, ordered_at and the
    customer's felt satisfaction that day (drives returns and survey answers)."""
    active = pop.active(day_idx)
    # The order rate follows the latent satisfaction, not the felt one: a souring
    # churner keeps buying as usual until the churn day (docs/customer-value.md says
    # why there is no gradual fade).
    rate = ORDER_RATE * pop.value_weight[active] ** 0.8 * np.exp(0.35 * pop.satisfaction[active])
    weekend = 1.3 if day.weekday() >= 5 else 1.0
    total = rate.sum() * weekend
    n = int(rng.poisson(total)) if len(active) else 0
    cust = rng.choice(active, size=n, p=rate / rate.sum()) if n else np.zeros(0, dtype=np.int64)
    away = rng.random(n) < 0.15
    site = np.where(away, rng.integers(0, len(SITE_IDS), size=n), pop.home_site[cust])
    channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_SHARE)
    ordered_at = to_datetimes(day, np.sort(day_seconds(rng, n)))
    return pl.DataFrame(
        {
            "order_id": make_ids(f"SO{day:%Y%m%d}", np.arange(1, n + 1), 6),
            "cust": cust,
            "site_id": pl.Series(SITE_IDS).gather(site),
            "channel": pl.Series(CHANNELS).gather(channel),
            "ordered_at": ordered_at,
            "felt": pop.felt_satisfaction(cust, day_idx),
        },
        schema_overrides={"ordered_at": pl.Datetime("us"), "felt": pl.Float64},
    )


def lines_for_orders(
    rng: np.random.Generator, pop: Population, orders: pl.DataFrame, state: SalesState, day_idx: int
) -> pl.DataFrame:
    """Expand orders into sale lines (SALES_SCHEMA) and queue their future returns."""
    n = orders.height
    cust_o = orders["cust"].to_numpy()
    k = 1 + np.minimum(rng.poisson(0.8, size=n), 5)
    idx = np.repeat(np.arange(n), k)
    starts = np.repeat(np.cumsum(k) - k, k)
    line_no = np.arange(len(idx)) - starts + 1
    m = len(idx)
    cust = cust_o[idx]
    cat = rng.choice(len(CATEGORIES), size=m, p=CATEGORY_SHARE)
    price_mult = pop.value_weight[cust] ** 0.3 * rng.lognormal(0.0, 0.45, size=m)
    unit_price = np.round(BASE_PRICE[cat] * price_mult, 2)
    quantity = 1 + rng.poisson(0.3 + 0.4 * np.minimum(pop.value_weight[cust], 5.0))
    hunter = pop.deal_hunter[cust]
    normal_disc = rng.choice([0.0, 0.05, 0.1, 0.15, 0.2], size=m, p=[0.62, 0.12, 0.14, 0.07, 0.05])
    hunter_disc = rng.choice([0.0, 0.3, 0.4, 0.5], size=m, p=[0.2, 0.3, 0.3, 0.2])
    discount = np.where(hunter, hunter_disc, normal_disc)
    revenue = np.round(quantity * unit_price * (1.0 - discount), 2)
    # Cost is at least 0.01 per line so a planted sign flip is always visible.
    cost = np.maximum(np.round(quantity * unit_price * COST_RATIO[cat] * rng.uniform(0.9, 1.1, m), 2), 0.01)
    lines = pl.DataFrame(
        {
            "order_id": orders["order_id"].gather(idx),
            "line_no": line_no.astype(np.int64),
            "order_type": "sale",
            "customer_id": pop.customer_ids.gather(cust),
            "site_id": orders["site_id"].gather(idx),
            "channel": orders["channel"].gather(idx),
            "ordered_at": orders["ordered_at"].gather(idx),
            "product_category": pl.Series(CATEGORIES).gather(cat),
            "quantity": quantity.astype(np.int64),
            "unit_price": unit_price,
            "discount": discount,
            "revenue": revenue,
            "cost": cost,
            "currency": "CNY",
        },
        schema=SALES_SCHEMA,
    )
    queue_returns(rng, lines, orders["felt"].to_numpy()[idx], state, day_idx)
    return lines


def queue_returns(
    rng: np.random.Generator, lines: pl.DataFrame, felt: np.ndarray, state: SalesState, day_idx: int
) -> None:
    """Pick the lines that will be returned (`felt`: the buyer's felt satisfaction per
    line) and queue the return lines by day."""
    returned = rng.random(lines.height) < 0.015 + 0.06 * sigmoid(-1.5 * felt)
    if not returned.any():
        return
    src = lines.filter(pl.Series(returned))
    r = src.height
    delay = rng.integers(1, 31, size=r)
    qty = src["quantity"].to_numpy()
    ret_qty = rng.integers(1, qty + 1)
    factor = ret_qty / qty
    p, d = src["unit_price"].to_numpy(), src["discount"].to_numpy()
    ret = src.with_columns(
        (pl.col("order_id") + "-R").alias("order_id"),
        pl.lit("return").alias("order_type"),
        pl.Series("ordered_at", to_datetimes(np.datetime64("1970-01-01"), day_seconds(rng, r))).cast(pl.Datetime("us")),
        pl.Series("quantity", ret_qty.astype(np.int64)),
        pl.Series("revenue", -np.round(ret_qty * p * (1.0 - d), 2)),
        pl.Series("cost", -np.round(src["cost"].to_numpy() * factor, 2)),
        pl.Series("_day", day_idx + delay),
    )
    for day_val, part in ret.partition_by("_day", as_dict=True, maintain_order=True).items():
        state.pending_returns[int(day_val[0])].append(part.drop("_day"))


def sales_for_day(
    rng: np.random.Generator, pop: Population, day_idx: int, day: date, state: SalesState
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(lines, orders): all sale and return lines whose ordered_at falls on `day`
    (SALES_SCHEMA), and the day's orders (to drive surveys)."""
    orders = orders_for_day(rng, pop, day_idx, day)
    lines = lines_for_orders(rng, pop, orders, state, day_idx)
    returns = state.pending_returns.pop(day_idx, [])
    if returns:
        # Return timestamps were drawn as time-of-day; place them on this day.
        ret = pl.concat(returns).with_columns(
            (pl.lit(day).cast(pl.Datetime("us")) + (pl.col("ordered_at") - pl.datetime(1970, 1, 1))).alias("ordered_at")
        )
        lines = pl.concat([lines, ret.sort("ordered_at", "order_id", "line_no", maintain_order=True)])
    return lines, orders
