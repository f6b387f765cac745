"""pandera (polars) models of the satisfaction and complaint marts.

Column meanings and formulas: docs/marts-satisfaction.md (METRICS.md sections 2,
3, 4, 6). Types follow docs/architecture.md: counts Int64, ratios Float64
(unrounded), periods pl.Date (first day). Ranges: NPS in [-100, 100], percentages
in [0, 100] (complaint_rate_pct only >= 0: a complainant need not be an active
customer), KANO better in [0, 1] and worse in [-1, 0]. Null is allowed wherever a
zero denominator can occur.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl


def _count() -> object:
    return pa.Field(ge=0, nullable=False)


def _pct(nullable: bool = True) -> object:
    return pa.Field(ge=0.0, le=100.0, nullable=nullable)


def _num() -> object:
    return pa.Field(nullable=True)


class MartSatisfactionMonthly(pa.DataFrameModel):
    """One row per site x month with survey data plus site_id = 'ALL'.

    Not strict: the ACSI item columns follow the catalog's SAT items (the default
    three are declared here).
    """

    month: pl.Date = pa.Field(nullable=False)
    site_id: str = pa.Field(nullable=False)
    nps_n: pl.Int64 = _count()
    promoters: pl.Int64 = _count()
    passives: pl.Int64 = _count()
    detractors: pl.Int64 = _count()
    nps: pl.Float64 = pa.Field(ge=-100.0, le=100.0, nullable=True)
    nps_se: pl.Float64 = pa.Field(ge=0.0, nullable=True)
    nps_ci_low: pl.Float64 = _num()
    nps_ci_high: pl.Float64 = _num()
    nps_prev: pl.Float64 = pa.Field(ge=-100.0, le=100.0, nullable=True)
    nps_delta: pl.Float64 = pa.Field(ge=-200.0, le=200.0, nullable=True)
    nps_change_significant: pl.Boolean = pa.Field(nullable=True)
    csat_n: pl.Int64 = _count()
    csat_top2_count: pl.Int64 = _count()
    csat_sum: pl.Float64 = pa.Field(ge=0.0, nullable=False)
    csat_top2_pct: pl.Float64 = _pct()
    csat_mean: pl.Float64 = pa.Field(ge=1.0, le=5.0, nullable=True)
    ces_n: pl.Int64 = _count()
    ces_easy_count: pl.Int64 = _count()
    ces_sum: pl.Float64 = pa.Field(ge=0.0, nullable=False)
    ces_mean: pl.Float64 = pa.Field(ge=1.0, le=7.0, nullable=True)
    ces_easy_pct: pl.Float64 = _pct()
    acsi_sat_overall_n: pl.Int64 = _count()
    acsi_sat_overall_sum: pl.Float64 = pa.Field(ge=0.0, nullable=False)
    acsi_sat_confirm_n: pl.Int64 = _count()
    acsi_sat_confirm_sum: pl.Float64 = pa.Field(ge=0.0, nullable=False)
    acsi_sat_ideal_n: pl.Int64 = _count()
    acsi_sat_ideal_sum: pl.Float64 = pa.Field(ge=0.0, nullable=False)
    acsi_index_equal: pl.Float64 = _pct()
    acsi_index_model: pl.Float64 = _pct()
    complaint_survey_n: pl.Int64 = _count()
    complaint_survey_yes: pl.Int64 = _count()
    complaint_rate_survey_pct: pl.Float64 = _pct()
    low_sample: pl.Boolean = pa.Field(nullable=False)

    class Config:
        strict = False
        unique = ["month", "site_id"]


class MartServqualMonthly(pa.DataFrameModel):
    """One row per month x site x dimension (incl. '_overall'), site_id incl. 'ALL'."""

    month: pl.Date = pa.Field(nullable=False)
    site_id: str = pa.Field(nullable=False)
    dimension: str = pa.Field(nullable=False)
    n: pl.Int64 = _count()
    gap_sum: pl.Float64 = _num()
    gap_mean: pl.Float64 = pa.Field(ge=-6.0, le=6.0, nullable=True)
    expectation_n: pl.Int64 = pa.Field(ge=0, nullable=True)
    expectation_sum: pl.Float64 = _num()
    expectation_mean: pl.Float64 = pa.Field(ge=1.0, le=7.0, nullable=True)
    perception_n: pl.Int64 = pa.Field(ge=0, nullable=True)
    perception_sum: pl.Float64 = _num()
    perception_mean: pl.Float64 = pa.Field(ge=1.0, le=7.0, nullable=True)
    weight_n: pl.Int64 = pa.Field(ge=0, nullable=True)
    weight_sum: pl.Float64 = _num()
    weight_mean: pl.Float64 = _pct()
    score_unweighted: pl.Float64 = pa.Field(ge=-6.0, le=6.0, nullable=True)
    score_weighted: pl.Float64 = _num()

    class Config:
        strict = True
        unique = ["month", "site_id", "dimension"]


class MartKanoQuarterly(pa.DataFrameModel):
    """One row per quarter x feature (all sites pooled)."""

    quarter: pl.Date = pa.Field(nullable=False)
    feature: str = pa.Field(nullable=False)
    n: pl.Int64 = pa.Field(ge=1, nullable=False)
    a_count: pl.Int64 = _count()
    o_count: pl.Int64 = _count()
    m_count: pl.Int64 = _count()
    i_count: pl.Int64 = _count()
    r_count: pl.Int64 = _count()
    q_count: pl.Int64 = _count()
    category: str = pa.Field(isin=["A", "O", "M", "I", "R", "Q"], nullable=False)
    better: pl.Float64 = pa.Field(ge=0.0, le=1.0, nullable=True)
    worse: pl.Float64 = pa.Field(ge=-1.0, le=0.0, nullable=True)

    class Config:
        strict = True
        unique = ["quarter", "feature"]


class MartComplaintsMonthly(pa.DataFrameModel):
    """One row per site x month with data plus site_id = 'ALL'."""

    month: pl.Date = pa.Field(nullable=False)
    site_id: str = pa.Field(nullable=False)
    complainants: pl.Int64 = _count()
    active_customers: pl.Int64 = _count()
    complaint_rate_pct: pl.Float64 = pa.Field(ge=0.0, nullable=True)
    closed_count: pl.Int64 = _count()
    resolution_hours_median: pl.Float64 = pa.Field(ge=0.0, nullable=True)
    resolution_hours_p90: pl.Float64 = pa.Field(ge=0.0, nullable=True)
    first_response_count: pl.Int64 = _count()
    first_response_hours_median: pl.Float64 = pa.Field(ge=0.0, nullable=True)
    sla_met_count: pl.Int64 = _count()
    sla_met_pct: pl.Float64 = _pct()
    open_at_month_end: pl.Int64 = _count()
    estimated_silent_dissatisfied: pl.Int64 = _count()

    class Config:
        strict = True
        unique = ["month", "site_id"]


class MartServiceRecoveryMonthly(pa.DataFrameModel):
    """One row per month x customer_group ('resolved', 'unresolved', 'non_complainant')."""

    month: pl.Date = pa.Field(nullable=False)
    customer_group: str = pa.Field(isin=["resolved", "unresolved", "non_complainant"], nullable=False)
    customers: pl.Int64 = pa.Field(ge=1, nullable=False)
    nps_n: pl.Int64 = _count()
    nps_sum: pl.Float64 = pa.Field(ge=0.0, nullable=False)
    mean_latest_nps: pl.Float64 = pa.Field(ge=0.0, le=10.0, nullable=True)
    reorder_count: pl.Int64 = _count()
    reorder_pct: pl.Float64 = _pct(nullable=False)
    window_complete: pl.Boolean = pa.Field(nullable=False)

    class Config:
        strict = True
        unique = ["month", "customer_group"]


MART_MODELS: dict[str, type[pa.DataFrameModel]] = {
    "mart_satisfaction_monthly": MartSatisfactionMonthly,
    "mart_servqual_monthly": MartServqualMonthly,
    "mart_kano_quarterly": MartKanoQuarterly,
    "mart_complaints_monthly": MartComplaintsMonthly,
    "mart_service_recovery_monthly": MartServiceRecoveryMonthly,
}
