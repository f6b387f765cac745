"""The sales stream of the customer snapshots, continued from a persisted state.

Grain: one row per customer x event date with a sales line (as
customer_streams.sales_stream), keyed by customer_id instead of `_k`, so rows stay
valid when customers are added. Source: METRICS.md sections 0, 7 and 8.

Why it is exact: a stream row of date E depends only on the customer's lines dated
on or before E, so when nothing dated before `lo` changed, every row before `lo`
is still right, and the rows from `lo` on follow from the last row before `lo`
(the opening balances, added as one more row so the running sums make the same
additions in the same order as one pass), the customer's earlier orders (dates
only: counts, first/last order, gaps) and the lines dated from `lo` on. Two
things a line can change before its own date: the value of an order that spans
days (its repeat revenue counts at its first date) and the first sale date; the
caller moves `lo` back to the first date of any such order, and first sale dates
are kept per customer (csi.warehouse.customer_state).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms.customer_streams import CID, EV, K, sale_orders, sales_stream

STREAM_COLUMNS = ("customer_id", "event_date", "cum_revenue", "cum_margin", "cum_orders", "cum_repeat_revenue",
                  "last_order_date", "first_order_date", "median_gap")  # fmt: skip
ORDER_COLUMNS = ("order_id", "customer_id", "order_date", "last_line_date")


def _keys(lines: pl.LazyFrame) -> pl.LazyFrame:
    """Integer keys in byte order of customer_id, as customer_snapshots.History: order ownership
    breaks ties by them, so any subset of customers keeps the same ties."""
    return lines.select(CID).unique().sort(CID).with_row_index(K)


def sales_state_since(
    lines: pl.LazyFrame, opening: pl.LazyFrame, prior_orders: pl.LazyFrame, lo: date,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:  # fmt: skip
    """(stream rows dated >= lo, STREAM_COLUMNS; the orders of `lines`, ORDER_COLUMNS).

    lines: the sales lines dated >= lo (order_id, order_type, customer_id, order_date, revenue,
    cost), no sale order of which has a line before lo; opening: the last stream row before lo
    (STREAM_COLUMNS) and prior_orders: the orders before lo (order_id, customer_id, order_date),
    of (at least) the customers of `lines`. Lines without a customer are never attached."""
    lines = lines.filter(pl.col(CID).is_not_null())
    keys = _keys(lines)

    def key(frame: pl.LazyFrame) -> pl.LazyFrame:
        return frame.join(keys, on=CID, how="inner")

    earlier = key(prior_orders).select(
        K, "order_id", pl.lit("sale").alias("order_type"), pl.col("order_date").cast(pl.Date),
        revenue=pl.lit(0.0), cost=pl.lit(0.0),
    )  # fmt: skip
    new = key(lines).select(K, "order_id", "order_type", pl.col("order_date").cast(pl.Date),
                            pl.col("revenue").cast(pl.Float64), pl.col("cost").cast(pl.Float64))
    balances = key(opening).select(K, pl.col("event_date").alias("_d"), "cum_revenue", "cum_margin",
                                   "cum_repeat_revenue")
    stream = (
        sales_stream(pl.concat([earlier, new]), balances).filter(pl.col(EV) >= lo)
        .join(keys, on=K, how="inner").rename({EV: "event_date"}).select(STREAM_COLUMNS)
    )  # fmt: skip
    spans = new.filter(pl.col("order_type") == "sale").group_by("order_id").agg(
        last_line_date=pl.col("order_date").max())
    orders = (
        sale_orders(new.select(K, pl.col("order_date").alias("_d"), "order_id", "order_type",
                               pl.col("revenue").alias("cum_revenue")))
        .join(keys, on=K, how="inner").join(spans, on="order_id", how="left")
        .select("order_id", CID, pl.col("_d").alias("order_date"), "last_line_date")
    )  # fmt: skip
    return stream, orders


def stream_of_history(stream: pl.LazyFrame, keys: pl.LazyFrame) -> pl.LazyFrame:
    """The persisted stream (STREAM_COLUMNS) as customer_snapshots.History.sales: the customers
    of `keys` (customer_id, _k), by _k, sorted by (_k, _event_date)."""
    return (
        stream.join(keys.select(CID, K), on=CID, how="inner")
        .select(K, pl.col("event_date").alias(EV), *STREAM_COLUMNS[2:])
        .sort(K, EV)
    )  # fmt: skip
