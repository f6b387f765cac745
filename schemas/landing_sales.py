"""Typed landing frame of the sales feed.

Grain: one row per order line as delivered (a drop may repeat a line as a
correction). Rules: /work/shared/spec/CONTRACT.md "sales". Every check is named
so that a failure maps to the reason code ``<column>:<check name>`` of
``schemas/reasons.py``; cross-field checks are named with their full code.
Parse failures and missing required values (``:missing``, ``:not_a_...``),
uniqueness of (order_id, line_no) within a drop and ``ordered_at:in_future``
(relative to the run's start) are batch rules applied by ``csi.validation``.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from schemas._common import Timestamp, in_set, not_reserved_site, select
from schemas.iso4217 import ISO4217_ACTIVE
from transforms.vocab import ORDER_TYPES

KEY = ("order_id", "line_no")
REQUIRED = (
    "order_id", "line_no", "order_type", "customer_id", "site_id", "ordered_at",
    "quantity", "unit_price", "discount", "revenue", "cost", "currency",
)  # fmt: skip
REVENUE_TOLERANCE = 0.01 + 1e-9

_sign = pl.when(pl.col("order_type") == "sale").then(1.0).when(pl.col("order_type") == "return").then(-1.0)
_expected = _sign * pl.col("quantity") * pl.col("unit_price") * (1 - pl.col("discount"))
_cost_ok = (
    pl.when(pl.col("order_type") == "sale")
    .then(pl.col("cost") >= 0)
    .when(pl.col("order_type") == "return")
    .then(pl.col("cost") <= 0)
)
# reason code -> expression that is true (or null: not applicable) when the row passes.
CROSS_FIELD: dict[str, pl.Expr] = {
    "revenue:mismatch": (pl.col("revenue") - _expected).abs() <= REVENUE_TOLERANCE,
    "cost:wrong_sign": _cost_ok,
}


class LandingSales(pa.DataFrameModel):
    """One row per order line as delivered (CONTRACT.md, sales)."""

    order_id: pl.String = pa.Field(nullable=False)
    line_no: pl.Int64 = pa.Field(nullable=False)
    order_type: pl.String = pa.Field(nullable=False)
    customer_id: pl.String = pa.Field(nullable=False)
    site_id: pl.String = pa.Field(nullable=False)
    channel: pl.String = pa.Field(nullable=True)
    ordered_at: Timestamp = pa.Field(nullable=False)
    product_category: pl.String = pa.Field(nullable=True)
    quantity: pl.Int64 = pa.Field(nullable=False)
    unit_price: pl.Float64 = pa.Field(nullable=False)
    discount: pl.Float64 = pa.Field(nullable=False)
    revenue: pl.Float64 = pa.Field(nullable=False)
    cost: pl.Float64 = pa.Field(nullable=False)
    currency: pl.String = pa.Field(nullable=False)

    class Config:
        strict = False  # lineage columns ride along
        coerce = False

    @pa.check("site_id", name="reserved")
    def _site_id(cls, data: PolarsData) -> pl.LazyFrame:
        return not_reserved_site(data)

    @pa.check("line_no", name="less_than_1")
    def _line_no(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, pl.col(data.key) >= 1)

    @pa.check("order_type", name="not_sale_or_return")
    def _order_type(cls, data: PolarsData) -> pl.LazyFrame:
        return in_set(data, ORDER_TYPES)

    @pa.check("quantity", name="not_positive")
    def _quantity(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, pl.col(data.key) > 0)

    @pa.check("unit_price", name="negative")
    def _unit_price(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, pl.col(data.key) >= 0)

    @pa.check("discount", name="out_of_range")
    def _discount(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, (pl.col(data.key) >= 0) & (pl.col(data.key) < 1))

    @pa.check("currency", name="not_iso4217")
    def _currency(cls, data: PolarsData) -> pl.LazyFrame:
        return in_set(data, ISO4217_ACTIVE)

    @pa.dataframe_check(name="revenue:mismatch")
    def _revenue(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, CROSS_FIELD["revenue:mismatch"])

    @pa.dataframe_check(name="cost:wrong_sign")
    def _cost(cls, data: PolarsData) -> pl.LazyFrame:
        return select(data, CROSS_FIELD["cost:wrong_sign"])
