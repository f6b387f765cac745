"""Typed landing frame of the complaints feed.

Grain: one row per complaint version as delivered (the latest ``updated_at``
wins later, in the facts). Rules: /work/shared/spec/CONTRACT.md "complaints".
Every check is named so that a failure maps to the reason code
``<column>:<check name>`` of ``schemas/reasons.py``; cross-field checks are
named with their full code. Nullability and parse failures are applied by
``csi.validation``.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from schemas._common import Timestamp, in_set, not_reserved_site, select
from transforms.vocab import COMPLAINT_CHANNELS, COMPLAINT_STATUSES

STATUSES = COMPLAINT_STATUSES
CHANNELS = COMPLAINT_CHANNELS
SEVERITY_MIN, SEVERITY_MAX = 1, 4  # 1 critical .. 4 minor
KEY: tuple[str, ...] = ()  # versions: no uniqueness within a drop
REQUIRED = (
    "complaint_id", "customer_id", "site_id", "opened_at", "updated_at", "status",
    "resolved", "severity", "compensation",
)  # fmt: skip

# reason code -> expression that is true (or null: not applicable) when the row passes.
CROSS_FIELD: dict[str, pl.Expr] = {
    "first_response_at:before_opened_at": pl.col("first_response_at") >= pl.col("opened_at"),
    "closed_at:before_opened_at": pl.col("closed_at") >= pl.col("opened_at"),
    "updated_at:before_opened_at": pl.col("updated_at") >= pl.col("opened_at"),
    # null when resolved is null (not applicable); closed_at is the input being tested.
    "resolved:without_closed_at": ~pl.col("resolved") | pl.col("closed_at").is_not_null(),
}


class LandingComplaints(pa.DataFrameModel):
    """One row per complaint version as delivered (CONTRACT.md, complaints)."""

    complaint_id: pl.String = pa.Field(nullable=False)
    customer_id: pl.String = pa.Field(nullable=False)
    site_id: pl.String = pa.Field(nullable=False)
    opened_at: Timestamp = pa.Field(nullable=False)
    first_response_at: Timestamp = pa.Field(nullable=True)
    closed_at: Timestamp = pa.Field(nullable=True)
    updated_at: Timestamp = pa.Field(nullable=False)
    status: pl.String = pa.Field(nullable=False)
    resolved: pl.Boolean = pa.Field(nullable=False)
    channel: pl.String = pa.Field(nullable=True)
    category: pl.String = pa.Field(nullable=True)
    severity: pl.Int64 = pa.Field(nullable=False)
    compensation: pl.Float64 = pa.Field(nullable=False)
    description: pl.String = pa.Field(nullable=True)

    class Config:
        strict = False  # lineage columns ride along
        coerce = False

    @pa.check("site_id", name="reserved")
    def _site_id(cls, data: PolarsData) -> pl.LazyFrame:
        return not_reserved_site(data)

    @pa.check("status", name="not_allowed")
    def _status(cls, data: PolarsData) -> pl.LazyFrame:
        return in_set(data, STATUSES)

    @pa.check("channel", name="not_allowed")
    def _channel(cls, data: PolarsData) -> pl.LazyFrame:
        return in_set(data, CHANNELS)

    @pa.check("severity", name="out_of_range")
    def _severity(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, pl.col(data.key).is_between(SEVERITY_MIN, SEVERITY_MAX))

    @pa.check("compensation", name="negative")
    def _compensation(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, pl.col(data.key) >= 0)

    @pa.dataframe_check(name="first_response_at:before_opened_at")
    def _first_response(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, CROSS_FIELD["first_response_at:before_opened_at"])

    @pa.dataframe_check(name="closed_at:before_opened_at")
    def _closed(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, CROSS_FIELD["closed_at:before_opened_at"])

    @pa.dataframe_check(name="updated_at:before_opened_at")
    def _updated(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, CROSS_FIELD["updated_at:before_opened_at"])

    @pa.dataframe_check(name="resolved:without_closed_at")
    def _resolved(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, CROSS_FIELD["resolved:without_closed_at"])
