"""Dates and periods: dim_date, one row per date between two dates (inclusive; docs/data-dictionary.md),
and the first day of a date's month and quarter (the keys of the monthly and quarterly marts)."""

from __future__ import annotations

from datetime import date

import polars as pl


def calendar(first: date, last: date) -> pl.LazyFrame:
    days = pl.date_range(first, last, interval="1d", eager=False).alias("date_day")
    return pl.select(days).lazy().with_columns(
        pl.col("date_day").dt.year().alias("year"),
        pl.col("date_day").dt.quarter().alias("quarter"),
        pl.col("date_day").dt.month().alias("month"),
        pl.col("date_day").dt.month_start().alias("month_start"),
        pl.col("date_day").dt.truncate("1q").alias("quarter_start"),
        pl.col("date_day").dt.week().alias("iso_week"),
        pl.col("date_day").dt.weekday().alias("day_of_week"),
        (pl.col("date_day").dt.weekday() >= 6).alias("is_weekend"),
    )


def month_start(d: date) -> date:
    """The first day of d's month (a month's key in the monthly marts)."""
    return d.replace(day=1)


def quarter_start(d: date) -> date:
    """The first day of d's quarter (a quarter's key in the quarterly marts)."""
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def previous_month(d: date) -> date:
    """The first day of the month before d's month (d is a month's first day)."""
    return date(d.year - 1, 12, 1) if d.month == 1 else date(d.year, d.month - 1, 1)
