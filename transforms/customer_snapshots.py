"""Batch as-of machinery shared by the customer snapshot marts.

Grain: the grid is one row per customer x as_of_date (from the customer's first
activity on); event streams are one row per customer x event date.
Source: METRICS.md section 0 (an event belongs to the date of its own
timestamp), sections 7 and 8 (a snapshot as of D includes every event dated on
or before D).

How it batches: every fact is reduced once to per-customer daily deltas, turned
into running totals (cumulative sums by date), and attached to the grid with
one backward `join_asof` (on an integer customer key) per look-back (D, D-90, D-180, D-365). A window sum over
(D-W, D] is total(D) - total(D-W). Cost: O(events log events) for the streams
plus O(customers x dates) for the grid and joins - never one pass over the
history per date. Window differences are rounded to 1e-6 (money) so that
cancellation noise cannot make an empty window "negative".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

D = "as_of_date"
CID = "customer_id"
K = "_k"  # integer customer key (see Snapshots)
_EV = "_event_date"
_NO_LIMIT = 2**31 - 1  # window size for an expanding (cumulative) rolling median
MONEY_DECIMALS = 6


def _dates(as_of_dates: Iterable[date]) -> pl.Series:
    dates = sorted(set(as_of_dates))
    if not dates:
        raise ValueError("as_of_dates is empty: give at least one snapshot date")
    return pl.Series(D, dates, dtype=pl.Date)


@dataclass(frozen=True)
class Snapshots:
    """The grid (as_of_date, customer_id, _k, _i) in customer-major order, and keys.

    `_k` is the customer's position in byte order of customer_id (UInt32) and `_i`
    the date's position: streams, joins and sorts run on integers, not strings.
    The grid is sorted by date *within* each customer, which is all `join_asof`
    with `by` needs; `ORDER` sorts a result by (as_of_date, customer_id).
    """

    grid: pl.LazyFrame
    keys: pl.LazyFrame

    def key(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """`frame` with `_k` (rows of customers outside the grid are dropped)."""
        return frame.join(self.keys, on=CID, how="inner")

    def attach(
        self, frame: pl.LazyFrame, stream: pl.LazyFrame, columns: Sequence[str], *, lag_days: int = 0,
        suffix: str = "", zero: Sequence[str] = (),
    ) -> pl.LazyFrame:  # fmt: skip
        """Add `columns` of the stream's last row dated on or before as_of_date - lag_days
        (null when there is none; 0 for the columns named in `zero`)."""
        right = stream.select(K, _EV, *(pl.col(c).alias(c + suffix) for c in columns)).sort(K, _EV)
        out = frame.with_columns((pl.col(D) - pl.duration(days=lag_days)).alias("_key")).join_asof(
            right, left_on="_key", right_on=_EV, by=K, strategy="backward", check_sortedness=False
        )
        return out.drop("_key", _EV).with_columns(pl.col(c + suffix).fill_null(0) for c in zero)


ORDER = pl.col("_i").cast(pl.Int64) * 2**32 + pl.col(K).cast(pl.Int64)


def snapshots(first_seen: pl.LazyFrame, as_of_dates: Iterable[date]) -> Snapshots:
    """One grid row per customer for every snapshot date on or after its `first_date`."""
    dates = _dates(as_of_dates)
    keys = first_seen.sort(CID).with_row_index(K)
    grid = (
        keys.with_columns(_i=pl.int_ranges(pl.lit(dates).search_sorted(pl.col("first_date")), len(dates)))
        .explode("_i")
        .drop_nulls("_i")
        .select(pl.lit(dates).gather(pl.col("_i")).alias(D), CID, K, "_i")
    )
    return Snapshots(grid, keys.select(CID, K))


def running_totals(events: pl.LazyFrame, date_col: str, values: Sequence[str]) -> pl.LazyFrame:
    """Per customer (_k) and event date: the totals of `values` over every event up to that date."""
    return (
        events.group_by(K, date_col)
        .agg(pl.col(v).sum() for v in values)
        .sort(K, date_col)
        .with_columns(pl.col(v).cum_sum().over(K) for v in values)
        .rename({date_col: _EV})
    )


def window(col: str, lagged: str) -> pl.Expr:
    """Sum over (D-W, D] from running totals at D and at D-W."""
    return (pl.col(col) - pl.col(lagged)).round(MONEY_DECIMALS)


def sales_stream(sales: pl.LazyFrame) -> pl.LazyFrame:
    """Running sales totals per customer (_k: use Snapshots.key) x date with any sale or return line.

    Columns: cum_revenue, cum_margin (returns included, at their own date), cum_orders
    (distinct sale order_ids, counted at the order's first date), last_order_date,
    first_order_date, median_gap (median of the gaps in days between consecutive
    distinct order dates so far; linear interpolation; null before a second date).
    """
    lines = sales.select(
        K, pl.col("order_date").alias("_d"), "order_id", "order_type",
        pl.col("revenue").cast(pl.Float64).alias("cum_revenue"),
        (pl.col("revenue") - pl.col("cost")).cast(pl.Float64).alias("cum_margin"),
    )  # fmt: skip
    money = lines.select(K, "_d", "cum_revenue", "cum_margin", pl.lit(0, pl.Int64).alias("cum_orders"))
    orders = (
        lines.filter(pl.col("order_type") == "sale")
        .group_by("order_id")
        .agg(pl.col(K).sort_by("_d", K).first(), pl.col("_d").min())
        .select(K, "_d", pl.lit(0.0).alias("cum_revenue"), pl.lit(0.0).alias("cum_margin"),
                pl.lit(1, pl.Int64).alias("cum_orders"))
    )  # fmt: skip
    totals = running_totals(pl.concat([money, orders]), "_d", ["cum_revenue", "cum_margin", "cum_orders"])
    order_dates = (
        orders.select(K, "_d").unique().sort(K, "_d")
        .with_columns(gap=(pl.col("_d") - pl.col("_d").shift(1)).dt.total_days().over(K))
        .with_columns(
            median_gap=pl.col("gap").cast(pl.Float64)
            .rolling_median(window_size=_NO_LIMIT, min_samples=1).over(K),
            first_order_date=pl.col("_d").min().over(K),
        )
        .select(K, pl.col("_d").alias(_EV), pl.col("_d").alias("last_order_date"), "median_gap",
                "first_order_date")
    )  # fmt: skip
    return (
        totals.join(order_dates, on=[K, _EV], how="left")
        .sort(K, _EV)
        .with_columns(pl.col("last_order_date", "median_gap", "first_order_date").forward_fill().over(K))
    )


def nps_stream(responses: pl.LazyFrame) -> pl.LazyFrame:
    """latest_nps / previous_nps per customer (_k) x date with an NPS answer
    (order: submitted_at, then response_id; anonymous responses have no _k)."""
    return (
        responses.filter(pl.col("nps_answer").is_not_null())
        .sort(K, "submitted_at", "response_id")
        .with_columns(
            latest_nps=pl.col("nps_answer").cast(pl.Int64),
            previous_nps=pl.col("nps_answer").cast(pl.Int64).shift(1).over(K),
            **{_EV: pl.col("submitted_at").dt.date()},
        )
        .group_by(K, _EV, maintain_order=True)
        .last()
        .select(K, _EV, "latest_nps", "previous_nps")
    )


def first_dates(frame: pl.LazyFrame, date_expr: pl.Expr) -> pl.LazyFrame:
    return frame.filter(pl.col(CID).is_not_null()).group_by(CID).agg(date_expr.min().alias("first_date"))
