"""Small helpers shared by the satisfaction and complaint marts (no business formulas).

- `require_columns`: fail early with a clear message naming the frame and the
  missing columns (instead of a polars ColumnNotFoundError deep in a plan).
- `month_start` / `quarter_start`: the calendar period of a timestamp as a Date
  (METRICS.md section 0: an event belongs to the month of its own timestamp).
- `with_all_sites`: the records again with `site_id = 'ALL'`, so grouping by site
  also yields the pooled all-sites row (METRICS.md section 0: pooled records,
  never an average of site values).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

ALL_SITES = "ALL"


def require_columns(frame: pl.LazyFrame, columns: Iterable[str], what: str) -> None:
    """Raise ValueError naming `what` and every column of `columns` not in `frame`."""
    names = set(frame.collect_schema().names())
    missing = [c for c in columns if c not in names]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}")


def month_start(col: str | pl.Expr) -> pl.Expr:
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.dt.truncate("1mo").cast(pl.Date)


def quarter_start(col: str | pl.Expr) -> pl.Expr:
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.dt.truncate("1q").cast(pl.Date)


def with_all_sites(frame: pl.LazyFrame) -> pl.LazyFrame:
    """`frame` plus a copy of every record with site_id = 'ALL' (pooled all-sites cell).

    One pass (a two-element list exploded), so the upstream plan is not run twice.
    """
    both = pl.concat_list(pl.col("site_id").cast(pl.String), pl.lit(ALL_SITES, dtype=pl.String))
    return frame.with_columns(site_id=both).explode("site_id")


def keep_months(frame: pl.LazyFrame, months: list[date] | None, col: str = "month") -> pl.LazyFrame:
    """Rows whose `col` (a first-of-month Date) is one of `months`; all rows if None."""
    if months is None:
        return frame
    firsts = sorted({date(m.year, m.month, 1) for m in months})
    return frame.filter(pl.col(col).is_in(pl.lit(firsts, dtype=pl.List(pl.Date)).explode()))
