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


def nps_class(answer: pl.Expr) -> pl.Expr:
    """promoter 9-10, passive 7-8, detractor 0-6 (METRICS.md section 2)."""
    return (
        pl.when(answer >= 9).then(pl.lit("promoter"))
        .when(answer >= 7).then(pl.lit("passive"))
        .when(answer.is_not_null()).then(pl.lit("detractor"))
        .otherwise(None)
    )
