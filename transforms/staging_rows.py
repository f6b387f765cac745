"""Validated landing rows -> staging/fact rows (derived columns only).

Grain: unchanged (one row per order line / survey answer / complaint version).
Sources: docs/architecture.md (fact columns), METRICS.md section 0.
"""

from __future__ import annotations

import polars as pl


def sales_rows(valid: pl.LazyFrame) -> pl.LazyFrame:
    return valid.with_columns(
        pl.col("ordered_at").dt.date().alias("order_date"),
        (pl.col("revenue") - pl.col("cost")).alias("margin"),
    )


def answer_rows(valid: pl.LazyFrame) -> pl.LazyFrame:
    return valid.with_columns(pl.col("submitted_at").dt.date().alias("submitted_date"))


def complaint_rows(valid: pl.LazyFrame) -> pl.LazyFrame:
    return valid.rename({"resolved": "is_resolved"})

