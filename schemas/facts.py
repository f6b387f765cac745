"""pandera (polars) models of the current facts, used to validate them before load.

Columns and grain: docs/architecture.md "Fact columns"; types: "Data types"
(timestamps naive Datetime("us"), money Float64, ids String, line_no / quantity /
severity / counts Int64). Value rules repeat the landing rules the facts inherit
(CONTRACT.md), so a fact that breaks them is a transform bug, not bad input.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from schemas._common import Timestamp, in_set, select
from schemas.iso4217 import ISO4217_ACTIVE
from schemas.landing_complaints import CHANNELS, SEVERITY_MAX, SEVERITY_MIN, STATUSES
from schemas.landing_sales import ORDER_TYPES

NPS_CLASSES = ("promoter", "passive", "detractor")


class _Lineage(pa.DataFrameModel):
    drop_date: pl.Date = pa.Field(nullable=False)
    source_file: pl.String = pa.Field(nullable=False)
    record_no: pl.Int64 = pa.Field(ge=1, nullable=False)


class FctSales(_Lineage):
    """One row per order line (the latest drop's version)."""

    order_id: pl.String = pa.Field(nullable=False)
    line_no: pl.Int64 = pa.Field(ge=1, nullable=False)
    order_type: pl.String = pa.Field(isin=list(ORDER_TYPES), nullable=False)
    customer_id: pl.String = pa.Field(nullable=False)
    site_id: pl.String = pa.Field(nullable=False)
    channel: pl.String = pa.Field(nullable=True)
    ordered_at: Timestamp = pa.Field(nullable=False)
    order_date: pl.Date = pa.Field(nullable=False)
    product_category: pl.String = pa.Field(nullable=True)
    quantity: pl.Int64 = pa.Field(gt=0, nullable=False)
    unit_price: pl.Float64 = pa.Field(ge=0, nullable=False)
    discount: pl.Float64 = pa.Field(ge=0, lt=1, nullable=False)
    revenue: pl.Float64 = pa.Field(nullable=False)
    cost: pl.Float64 = pa.Field(nullable=False)
    margin: pl.Float64 = pa.Field(nullable=False)
    currency: pl.String = pa.Field(isin=sorted(ISO4217_ACTIVE), nullable=False)

    class Config:
        strict = True
        unique = ["order_id", "line_no"]

    @pa.dataframe_check(name="order_date_of_ordered_at")
    def _order_date(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, pl.col("order_date") == pl.col("ordered_at").dt.date())

    @pa.dataframe_check(name="margin_is_revenue_minus_cost")
    def _margin(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, (pl.col("margin") - (pl.col("revenue") - pl.col("cost"))).abs() <= 1e-6)


class FctSurveyAnswer(_Lineage):
    """One row per response x question (the latest drop's version)."""

    response_id: pl.String = pa.Field(nullable=False)
    question_id: pl.String = pa.Field(nullable=False)
    customer_id: pl.String = pa.Field(nullable=True)
    site_id: pl.String = pa.Field(nullable=False)
    submitted_at: Timestamp = pa.Field(nullable=False)
    submitted_date: pl.Date = pa.Field(nullable=False)
    channel: pl.String = pa.Field(nullable=True)
    answer: pl.Float64 = pa.Field(nullable=True)
    answer_text: pl.String = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = ["response_id", "question_id"]


class FctSurveyResponse(pa.DataFrameModel):
    """One row per response, with its NPS class."""

    response_id: pl.String = pa.Field(nullable=False, unique=True)
    customer_id: pl.String = pa.Field(nullable=True)
    site_id: pl.String = pa.Field(nullable=False)
    submitted_at: Timestamp = pa.Field(nullable=False)
    submitted_date: pl.Date = pa.Field(nullable=False)
    channel: pl.String = pa.Field(nullable=True)
    answer_count: pl.Int64 = pa.Field(ge=1, nullable=False)
    nps_answer: pl.Int64 = pa.Field(ge=0, le=10, nullable=True)
    nps_class: pl.String = pa.Field(isin=list(NPS_CLASSES), nullable=True)

    class Config:
        strict = True

    @pa.dataframe_check(name="nps_class_iff_nps_answer")
    def _nps_class(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, pl.col("nps_answer").is_null() == pl.col("nps_class").is_null())


class FctComplaint(_Lineage):
    """One row per complaint: its latest valid version by updated_at."""

    complaint_id: pl.String = pa.Field(nullable=False, unique=True)
    customer_id: pl.String = pa.Field(nullable=False)
    site_id: pl.String = pa.Field(nullable=False)
    opened_at: Timestamp = pa.Field(nullable=False)
    first_response_at: Timestamp = pa.Field(nullable=True)
    closed_at: Timestamp = pa.Field(nullable=True)
    updated_at: Timestamp = pa.Field(nullable=False)
    status: pl.String = pa.Field(nullable=False)
    is_resolved: pl.Boolean = pa.Field(nullable=False)
    channel: pl.String = pa.Field(nullable=True)
    category: pl.String = pa.Field(nullable=True)
    severity: pl.Int64 = pa.Field(ge=SEVERITY_MIN, le=SEVERITY_MAX, nullable=False)
    compensation: pl.Float64 = pa.Field(ge=0, nullable=False)
    description: pl.String = pa.Field(nullable=True)
    resolution_hours: pl.Float64 = pa.Field(ge=0, nullable=True)
    first_response_hours: pl.Float64 = pa.Field(ge=0, nullable=True)
    version_count: pl.Int64 = pa.Field(ge=1, nullable=False)

    class Config:
        strict = True

    @pa.check("status", name="allowed_status")
    def _status(cls, data: PolarsData) -> pl.LazyFrame:
        return in_set(data, STATUSES)

    @pa.check("channel", name="allowed_channel")
    def _channel(cls, data: PolarsData) -> pl.LazyFrame:
        return in_set(data, CHANNELS)

    @pa.dataframe_check(name="resolved_only_with_closed_at")
    def _resolved(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, ~pl.col("is_resolved") | pl.col("closed_at").is_not_null())
