"""Pandera (polars) models of the customer snapshot marts.

Grain and formulas: METRICS.md sections 7 and 8; docs/customer-value.md.
mart_customer_value and mart_churn_signals: one row per (as_of_date,
customer_id); mart_clv_model: (as_of_date, model); mart_whale_curve:
(as_of_date, rank_share_pct); mart_churn_backtest: (as_of_date, risk_band).
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

SEGMENTS = [
    "Champions", "Loyal", "Potential loyalist", "New", "Promising", "Need attention",
    "About to sleep", "At risk", "Cannot lose", "Hibernating", "Lost",
]  # fmt: skip


def _n(**kw: object) -> object:
    return pa.Field(nullable=True, **kw)


class MartCustomerValue(pa.DataFrameModel):
    as_of_date: pl.Date
    customer_id: pl.String
    first_order_date: pl.Date = _n()
    last_order_date: pl.Date = _n()
    recency_days: pl.Int64 = _n(ge=0)
    frequency: pl.Int64 = _n(ge=1)
    monetary: pl.Float64 = _n()
    margin: pl.Float64 = _n()
    margin_365d: pl.Float64 = _n()
    r_score: pl.Int8 = _n(in_range={"min_value": 1, "max_value": 5})
    f_score: pl.Int8 = _n(in_range={"min_value": 1, "max_value": 5})
    m_score: pl.Int8 = _n(in_range={"min_value": 1, "max_value": 5})
    rfm_segment: pl.String = _n(isin=SEGMENTS)
    rank_365d: pl.Int64 = _n(ge=1)
    rank_share: pl.Float64 = _n(gt=0, le=1)
    value_tier: pl.String = _n()
    loyalty_stage: pl.String = pa.Field(isin=["prospect", "first_time", "repeat", "advocate"])
    latest_nps: pl.Int64 = _n(in_range={"min_value": 0, "max_value": 10})
    p_alive: pl.Float64 = _n(in_range={"min_value": 0.0, "max_value": 1.0})
    expected_orders_365d: pl.Float64 = _n(ge=0)
    expected_order_value: pl.Float64 = _n()
    margin_ratio: pl.Float64 = _n(in_range={"min_value": 0.0, "max_value": 1.0})
    clv_365d: pl.Float64 = _n()

    class Config:
        strict = True
        unique = ["as_of_date", "customer_id"]


class MartClvModel(pa.DataFrameModel):
    as_of_date: pl.Date
    model: pl.String = pa.Field(isin=["bgnbd", "gamma_gamma"])
    r: pl.Float64 = _n(gt=0)
    alpha: pl.Float64 = _n(gt=0)
    a: pl.Float64 = _n(gt=0)
    b: pl.Float64 = _n(gt=0)
    p: pl.Float64 = _n(gt=0)
    q: pl.Float64 = _n(gt=0)
    v: pl.Float64 = _n(gt=0)
    log_likelihood: pl.Float64 = _n()
    n_customers: pl.Int64 = pa.Field(ge=0)
    converged: pl.Boolean
    status: pl.String
    r_se: pl.Float64 = _n(ge=0)
    alpha_se: pl.Float64 = _n(ge=0)
    a_se: pl.Float64 = _n(ge=0)
    b_se: pl.Float64 = _n(ge=0)

    class Config:
        strict = True
        unique = ["as_of_date", "model"]


class MartWhaleCurve(pa.DataFrameModel):
    as_of_date: pl.Date
    rank_share_pct: pl.Int64 = pa.Field(isin=list(range(5, 101, 5)))
    customers: pl.Int64 = pa.Field(ge=0)
    n_customers: pl.Int64 = pa.Field(ge=1)
    cumulative_margin: pl.Float64
    total_margin: pl.Float64
    cumulative_margin_share: pl.Float64 = _n()
    top20_margin_share: pl.Float64 = _n()
    bottom30_margin_share: pl.Float64 = _n()

    class Config:
        strict = True
        unique = ["as_of_date", "rank_share_pct"]


class MartChurnSignals(pa.DataFrameModel):
    as_of_date: pl.Date
    customer_id: pl.String
    recency_days: pl.Int64 = pa.Field(ge=0)
    recency_ratio: pl.Float64 = _n(ge=0)
    is_recency_signal: pl.Boolean
    p_alive: pl.Float64 = _n(in_range={"min_value": 0.0, "max_value": 1.0})
    is_p_alive_signal: pl.Boolean
    revenue_90d: pl.Float64
    revenue_prev_90d: pl.Float64
    spend_trend: pl.Float64 = _n()
    is_spend_signal: pl.Boolean
    latest_nps: pl.Int64 = _n(in_range={"min_value": 0, "max_value": 10})
    previous_nps: pl.Int64 = _n(in_range={"min_value": 0, "max_value": 10})
    is_detractor: pl.Boolean = _n()
    nps_drop: pl.Int64 = _n()
    is_nps_drop_signal: pl.Boolean
    open_complaints: pl.Int64 = pa.Field(ge=0)
    is_open_complaints_signal: pl.Boolean
    unresolved_90d: pl.Int64 = pa.Field(ge=0)
    is_unresolved_signal: pl.Boolean
    risk_score: pl.Float64 = pa.Field(in_range={"min_value": 0.0, "max_value": 100.0})
    risk_band: pl.String = pa.Field(isin=["low", "medium", "high"])
    reasons: pl.String = _n()

    class Config:
        strict = True
        unique = ["as_of_date", "customer_id"]


class MartChurnBacktest(pa.DataFrameModel):
    as_of_date: pl.Date
    risk_band: pl.String = pa.Field(isin=["ALL", "low", "medium", "high"])
    customers: pl.Int64 = pa.Field(ge=0)
    churned: pl.Int64 = pa.Field(ge=0)
    churn_rate_pct: pl.Float64 = _n(in_range={"min_value": 0.0, "max_value": 100.0})
    auc: pl.Float64 = _n(in_range={"min_value": 0.0, "max_value": 1.0})

    class Config:
        strict = True
        unique = ["as_of_date", "risk_band"]
