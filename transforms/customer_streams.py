"""Per-customer event streams of running totals, for the customer snapshot marts.

Grain: one row per customer key (`_k`) x event date, sorted by (_k, _event_date),
which is what customer_snapshots.Snapshots.attach (join_asof by _k) needs.
Source: METRICS.md section 0 (an event belongs to the date of its own timestamp),
sections 7 and 8.

Speed (the single-date refresh is dominated by these reductions): customer and
date are packed into one Int64 for grouping and sorting (one integer column sorts
several times faster than two), and running values that only need "the previous
row of the same customer" use shift / forward_fill masked by the key instead of
`.over()` windows, which hash the key for every expression. Sums are still daily
sums added up day by day in date order, so every figure is the same to the digit.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from transforms.float_sums import stable_sum

CID = "customer_id"
K = "_k"  # integer customer key (see customer_snapshots.History)
EV = "_event_date"
_NO_LIMIT = 2**31 - 1  # window size for an expanding (cumulative) rolling median
_DAY0 = 2**31  # days are offset by this in a packed key so that they are never negative


def _packed(date_col: str) -> pl.Expr:
    """(_k, date) as one Int64 in the same order (_k < 2**31)."""
    return pl.col(K).cast(pl.Int64) * 2**32 + pl.col(date_col).cast(pl.Int32).cast(pl.Int64) + _DAY0


def _daily(events: pl.LazyFrame, date_col: str, values: Sequence[str]) -> pl.LazyFrame:
    """Sums of `values` per _k and date, sorted by (_k, date); the date is renamed _event_date."""
    schema = events.collect_schema()
    sums = [stable_sum(pl.col(v)).alias(v) if schema[v].is_float() else pl.col(v).sum() for v in values]
    return (
        events.group_by(_p=_packed(date_col)).agg(sums).sort("_p")
        .select((pl.col("_p") // 2**32).cast(pl.UInt32).alias(K),
                (pl.col("_p") % 2**32 - _DAY0).cast(pl.Int32).cast(pl.Date).alias(EV), *values)
    )  # fmt: skip


def running_totals(events: pl.LazyFrame, date_col: str, values: Sequence[str]) -> pl.LazyFrame:
    """Per customer (_k) and event date: the totals of `values` over every event up to that date."""
    return _daily(events, date_col, values).with_columns(pl.col(v).cum_sum().over(K) for v in values)


def sales_stream(sales: pl.LazyFrame, opening: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Running sales totals per customer (_k) x date with any sale or return line.

    Columns: cum_revenue, cum_margin (returns included, at their own date), cum_orders
    (distinct sale order_ids, counted at the order's first date), last_order_date,
    first_order_date, cum_repeat_revenue (the revenue of the customer's sale orders other than
    the first, by order date then order_id: Gamma-Gamma's repeat transactions; returns are
    not transactions and stay out), median_gap (median of the gaps in whole days between consecutive
    orders so far: n orders give n - 1 gaps, two orders on one day a gap of 0; linear
    interpolation; null before a second order).

    `opening` (_k, _d, cum_revenue, cum_margin, cum_repeat_revenue): balances carried in from
    an earlier stream (customer_state), added as one more row of money on `_d` so the running
    sums continue with the same additions, in the same order, as one pass over every line
    (the earlier orders then come in `sales` as zero-revenue sale lines, for the counts and gaps).
    """
    lines = sales.select(
        K, pl.col("order_date").alias("_d"), "order_id", "order_type",
        pl.col("revenue").cast(pl.Float64).alias("cum_revenue"),
        (pl.col("revenue") - pl.col("cost")).cast(pl.Float64).alias("cum_margin"),
    )  # fmt: skip
    zero = pl.lit(0.0)
    money = lines.select(K, "_d", "cum_revenue", "cum_margin", pl.lit(0, pl.Int64).alias("cum_orders"),
                         cum_repeat_revenue=zero)  # fmt: skip
    if opening is not None:
        money = pl.concat([money, opening.select(
            pl.col(K).cast(pl.UInt32), pl.col("_d").cast(pl.Date), pl.col("cum_revenue").cast(pl.Float64),
            pl.col("cum_margin").cast(pl.Float64), pl.lit(0, pl.Int64).alias("cum_orders"),
            pl.col("cum_repeat_revenue").cast(pl.Float64))])  # fmt: skip
    orders = sale_orders(lines)
    is_first = pl.col(K).ne_missing(pl.col(K).shift(1))  # the customer's first order (sorted above)
    order_rows = orders.select(K, "_d", cum_revenue=zero, cum_margin=zero, cum_orders=pl.lit(1, pl.Int64),
                               cum_repeat_revenue=pl.when(is_first).then(zero).otherwise("_value"))  # fmt: skip
    cols = ["cum_revenue", "cum_margin", "cum_orders", "cum_repeat_revenue"]
    # Before the running sum, cum_orders is the number of orders starting that day: a date with
    # one is an order date. Once a customer has an order (cum_orders >= 1), the last marked row
    # at or before a row is the customer's own, so a plain forward_fill needs no window.
    new, total = pl.col("_new"), pl.col("cum_orders")
    day = pl.col("_day").forward_fill()
    daily = (
        _daily(pl.concat([money, order_rows]), "_d", cols)
        .with_columns(*(pl.col(c).cum_sum().over(K) for c in cols), _new=total,
                      _day=pl.when(total > 0).then(pl.col(EV)))
        .with_columns(
            last_order_date=pl.when(total >= 1).then(day),
            first_order_date=pl.when(total >= 1).then(pl.when(total == new).then(pl.col("_day")).forward_fill()),
        )
        .join(_median_gaps(orders), on=[K, EV], how="left", maintain_order="left")
    )  # fmt: skip
    # Every day from a customer's second order on either has its own median or follows one of
    # that customer's order days, so a plain forward_fill stays within the customer.
    return daily.select(K, EV, *cols, "last_order_date", "first_order_date",
                        median_gap=pl.when(total >= 2).then(pl.col("median_gap").forward_fill()))  # fmt: skip


def sale_orders(lines: pl.LazyFrame) -> pl.LazyFrame:
    """One row per sale order (order_id, _value, _k, _d), sorted by (_k, _d, order_id). `lines`:
    _k, _d (the line's date), order_id, order_type, cum_revenue (the line's revenue)."""
    # An order counts at its first date, for the customer of its first line by (date, _k): the
    # min of (date, _k) packed in one Int64 finds both (floor // and % also undo negative dates).
    first_line = (pl.col("_d").cast(pl.Int32).cast(pl.Int64) * 2**32 + pl.col(K).cast(pl.Int64)).min()
    return (
        lines.filter(pl.col("order_type") == "sale").group_by("order_id")
        .agg(_p=first_line, _value=stable_sum(pl.col("cum_revenue")))
        .select("order_id", "_value", (pl.col("_p") % 2**32).cast(pl.UInt32).alias(K),
                (pl.col("_p") // 2**32).cast(pl.Int32).cast(pl.Date).alias("_d"))
        .sort(_packed("_d"), "order_id")
    )  # fmt: skip


def _median_gaps(orders: pl.LazyFrame) -> pl.LazyFrame:
    """(_k, _event_date, median_gap) on each order date: the running median of the gaps between a
    customer's consecutive orders, one row per order (so same-day orders give gaps of 0).
    `orders`: one row per order (_k, _d), sorted by (_k, _d)."""
    p = _packed("_d")
    same = pl.col(K) == pl.col(K).shift(1)
    gap = pl.when(same).then((pl.col("_d") - pl.col("_d").shift(1)).dt.total_days()).cast(pl.Float64)
    return (
        orders.select(K, "_d")
        .with_columns(median_gap=gap.rolling_median(_NO_LIMIT, min_samples=1).over(K), _p=p)
        .filter(pl.col("_p") != pl.col("_p").shift(-1).fill_null(-1))  # the day's last order
        .select(K, pl.col("_d").alias(EV), "median_gap")
    )  # fmt: skip


def nps_stream(responses: pl.LazyFrame) -> pl.LazyFrame:
    """latest_nps / previous_nps per customer (_k) x date with an NPS answer
    (order: submitted_at, then response_id; anonymous responses have no _k)."""
    nps = pl.col("nps_answer").cast(pl.Int64)
    last_of_day = pl.col(K).ne_missing(pl.col(K).shift(-1)) | pl.col(EV).ne_missing(pl.col(EV).shift(-1))
    return (
        responses.filter(pl.col("nps_answer").is_not_null())
        .select(K, "submitted_at", "response_id", "nps_answer")
        .sort(K, "submitted_at", "response_id")
        .select(K, pl.col("submitted_at").dt.date().alias(EV), latest_nps=nps,
                previous_nps=pl.when(pl.col(K) == pl.col(K).shift(1)).then(nps.shift(1)))
        .filter(last_of_day)  # the date's last answer holds its latest and previous NPS
    )  # fmt: skip
