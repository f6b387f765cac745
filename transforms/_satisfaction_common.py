"""Small helpers shared by the satisfaction and complaint marts (no business formulas).

- `require_columns`: fail early with a clear message naming the frame and the
  missing columns (instead of a polars ColumnNotFoundError deep in a plan).
- `month_start` / `quarter_start`: the calendar period of a timestamp as a Date
  (METRICS.md section 0: an event belongs to the month of its own timestamp).
- The all-sites row (`site_id = 'ALL'`, METRICS.md section 0: pooled records, never
  an average of site values), three ways:
  `add_all_sites` sums additive per-site parts (counts, sums), the cheapest (float
  columns with transforms.float_sums.stable_sum: the same bits on every run);
  `by_site_and_all` groups the records twice (per site, then pooled) for figures
  that are not additive (distinct counts, percentiles);
  `with_all_sites` copies every record with site_id = 'ALL' (twice the rows: the
  slowest, kept for callers that need the copies themselves).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from transforms.float_sums import stable_sum

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


def add_all_sites(cells: pl.LazyFrame, by: list[str]) -> pl.LazyFrame:
    """`cells` (one row per site and `by`) plus, per `by`, the sum over sites of every other column.

    Only for additive parts: a count or a sum of the pooled records is the sum of the
    sites' ones (exact for counts and for sums of integer-valued answers).
    """
    # Cached: the total reads fewer columns than the site rows, which hides the shared
    # input from polars' common-subplan elimination (it would aggregate the records twice).
    cells = cells.with_columns(pl.col("site_id").cast(pl.String)).cache()
    schema = cells.collect_schema()
    names = schema.names()
    # the sites' rows arrive in polars' group order: a float total is added in a fixed order
    parts = [
        stable_sum(pl.col(c)) if schema[c].is_float() else pl.col(c).sum() for c in names if c not in ("site_id", *by)
    ]
    total = cells.group_by(by).agg(parts).with_columns(site_id=pl.lit(ALL_SITES))
    return pl.concat([cells, total.select(names)])


def by_site_and_all(frame: pl.LazyFrame, by: list[str | pl.Expr], aggs: list[pl.Expr]) -> pl.LazyFrame:
    """`aggs` per site_id and `by`, stacked with `aggs` per `by` over the pooled records (site_id = 'ALL').

    For figures that are not additive (distinct counts, percentiles). Grouping twice
    costs far less than exploding every record to (its site, 'ALL') and grouping once:
    the copies and the list explode dominated the old plan.
    """
    # Cached for the same reason as in add_all_sites (else: the month of 1 M sales twice).
    frame = frame.cache()
    per_site = frame.group_by(pl.col("site_id").cast(pl.String), *by).agg(aggs)
    pooled = frame.group_by(*by).agg(aggs).with_columns(site_id=pl.lit(ALL_SITES))
    return pl.concat([per_site, pooled.select(per_site.collect_schema().names())])


def keep_months(frame: pl.LazyFrame, months: list[date] | None, col: str = "month") -> pl.LazyFrame:
    """Rows whose `col` (a first-of-month Date) is one of `months`; all rows if None."""
    if months is None:
        return frame
    firsts = sorted({date(m.year, m.month, 1) for m in months})
    return frame.filter(pl.col(col).is_in(pl.lit(firsts, dtype=pl.List(pl.Date)).explode()))
