"""dim_date: one row per date between two dates (inclusive). Source: docs/data-dictionary.md."""

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
