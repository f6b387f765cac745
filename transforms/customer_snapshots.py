"""Batch as-of machinery shared by the customer snapshot marts.

Grain: the grid is one row per customer x as_of_date (from the customer's first
activity on); event streams are one row per customer x event date.
Source: METRICS.md section 0 (an event belongs to the date of its own
timestamp), sections 7 and 8 (a snapshot as of D includes every event dated on
or before D).

How it batches: `history` reduces the facts once, whatever the dates: integer
customer keys, first dates, and per-customer running totals (cumulative sums by
date, customer_streams), sorted by (customer, date). Each stream is attached to a
grid of dates with one backward `join_asof` per look-back (D, D-90, D-180, D-365);
a window sum over (D-W, D] is total(D) - total(D-W). Cost: O(events log events)
once, plus O(customers x dates) for the grid and joins. Every snapshot date is
computed on its own, so a caller may collect the history once and process the
dates in chunks (memory O(customers x chunk)) with results identical to one batch.
Window differences are rounded to 1e-6 (money) so that cancellation noise cannot
make an empty window "negative".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from transforms.customer_state import stream_of_history
from transforms.customer_streams import CID, EV, K, nps_stream, running_totals, sales_stream

D = "as_of_date"
MONEY_DECIMALS = 6
__all__ = ["CID", "D", "K", "ORDER", "History", "Snapshots", "first_dates", "history", "history_from_state",
           "running_totals", "snapshots", "window"]


def _dates(as_of_dates: Iterable[date]) -> pl.Series:
    dates = sorted(set(as_of_dates))
    if not dates:
        raise ValueError("as_of_dates is empty: give at least one snapshot date")
    return pl.Series(D, dates, dtype=pl.Date)


@dataclass(frozen=True)
class History:
    """The facts reduced once, for any snapshot dates (built by `history`).

    keys: customer_id, `_k` (its position in byte order of customer_id, UInt32: joins and
    sorts run on integers), first_seen (first sale, identified response or complaint) and
    first_sale (null without a sale). sales, nps: streams sorted by (_k, _event_date);
    complaints: the keyed complaint rows. `collect()` materialises the four frames in one
    query: collect a History used by more than one query (chunks of dates, value and churn).
    Left lazy, each query re-derives what it reads (polars' subplan elimination does not
    share the key table between streams, and an explicit .cache() panics in polars 2.1 on
    these plans), which is fine for one query over one or a few dates.
    """

    keys: pl.LazyFrame
    sales: pl.LazyFrame
    nps: pl.LazyFrame
    complaints: pl.LazyFrame

    def collect(self) -> History:
        return History(*(f.lazy() for f in pl.collect_all([self.keys, self.sales, self.nps, self.complaints])))


def history(sales: pl.LazyFrame, responses: pl.LazyFrame, complaints: pl.LazyFrame) -> History:
    first_sales = first_dates(sales.filter(pl.col("order_type") == "sale"), pl.col("order_date"))
    keys = _keys(first_sales, responses, complaints)
    return _history(keys, sales_stream(_key(sales, keys)), responses, complaints)


def history_from_state(
    first_sales: pl.LazyFrame, stream: pl.LazyFrame, responses: pl.LazyFrame, complaints: pl.LazyFrame,
) -> History:  # fmt: skip
    """`history` from the persisted sales state (transforms.customer_state) instead of the sales
    lines: first_sales (customer_id, first_date: the first sale line's date) and the stream
    (customer_state.STREAM_COLUMNS; rows of customers without a key are dropped)."""
    keys = _keys(first_sales, responses, complaints)
    return _history(keys, stream_of_history(stream, keys), responses, complaints)


def _keys(first_sales: pl.LazyFrame, responses: pl.LazyFrame, complaints: pl.LazyFrame) -> pl.LazyFrame:
    # first_seen and first_sale in one aggregation (not a join of two), so the key table is
    # one simple subplan wherever it is used
    firsts = pl.concat([
        first_sales.select(CID, pl.col("first_date").cast(pl.Date)).with_columns(_sale=True),
        first_dates(responses, pl.col("submitted_at").dt.date()).with_columns(_sale=False),
        first_dates(complaints, pl.col("opened_at").dt.date()).with_columns(_sale=False),
    ])  # fmt: skip
    first = pl.col("first_date")
    return (
        firsts.group_by(CID).agg(first_seen=first.min(), first_sale=first.filter("_sale").min())
        .sort(CID).with_row_index(K).select(CID, K, "first_seen", "first_sale")
    )  # fmt: skip


def _key(frame: pl.LazyFrame, keys: pl.LazyFrame) -> pl.LazyFrame:  # rows of customers never seen are dropped
    return frame.join(keys.select(CID, K), on=CID, how="inner")


def _history(keys: pl.LazyFrame, sales: pl.LazyFrame, responses: pl.LazyFrame, complaints: pl.LazyFrame) -> History:
    keyed = _key(complaints, keys).select(K, "opened_at", "closed_at", "is_resolved")
    return History(keys, sales, nps_stream(_key(responses, keys)), keyed)


@dataclass(frozen=True)
class Snapshots:
    """The grid (as_of_date, customer_id, _k, _i) in customer-major order: sorted by date
    *within* each customer, which is all `join_asof` with `by` needs. `_i` is the date's
    position; `ORDER` sorts a result by (as_of_date, customer_id)."""

    grid: pl.LazyFrame

    def attach(
        self, frame: pl.LazyFrame, stream: pl.LazyFrame, columns: Sequence[str], *, lag_days: int = 0,
        suffix: str = "", zero: Sequence[str] = (),
    ) -> pl.LazyFrame:  # fmt: skip
        """Add `columns` of the stream's last row dated on or before as_of_date - lag_days
        (null when there is none; 0 for the columns named in `zero`). The stream must be
        sorted by (_k, _event_date), as every History stream is: it is not re-sorted here."""
        right = stream.select(K, EV, *(pl.col(c).alias(c + suffix) for c in columns))
        out = frame.with_columns((pl.col(D) - pl.duration(days=lag_days)).alias("_key")).join_asof(
            right, left_on="_key", right_on=EV, by=K, strategy="backward", check_sortedness=False
        )
        return out.drop("_key", EV).with_columns(pl.col(c + suffix).fill_null(0) for c in zero)


ORDER = pl.col("_i").cast(pl.Int64) * 2**32 + pl.col(K).cast(pl.Int64)


def snapshots(hist: History, as_of_dates: Iterable[date], first: str = "first_seen") -> Snapshots:
    """One grid row per customer for every snapshot date on or after its `first` date
    (a keys column: first_seen or first_sale; customers without one have no rows)."""
    dates = _dates(as_of_dates)
    grid = (
        hist.keys.filter(pl.col(first).is_not_null())
        .select(CID, K, _i=pl.int_ranges(pl.lit(dates).search_sorted(pl.col(first)), len(dates)))
        .explode("_i")
        .drop_nulls("_i")
        .select(pl.lit(dates).gather(pl.col("_i")).alias(D), CID, K, "_i")
    )
    return Snapshots(grid)


def window(col: str, lagged: str) -> pl.Expr:
    """Sum over (D-W, D] from running totals at D and at D-W."""
    return (pl.col(col) - pl.col(lagged)).round(MONEY_DECIMALS)


def first_dates(frame: pl.LazyFrame, date_expr: pl.Expr) -> pl.LazyFrame:
    return frame.filter(pl.col(CID).is_not_null()).group_by(CID).agg(date_expr.min().alias("first_date"))
