"""The output columns (and, where a transform builds its frame from a dtype dict, their
types) of the transforms whose modules load numpy or scipy.

The warehouse declarations take each mart's column order and these types from the
transform that writes it (csi.warehouse.declare.in_order / typed); every command imports
the declarations, so these lists live in a module that loads polars only, and the
transforms import them from here.
"""

from __future__ import annotations

import polars as pl

# transforms/acsi_model.py
ACSI_MODEL_SCHEMA = {
    "quarter": pl.Date,
    "site_id": pl.String,
    "model_name": pl.String,
    "kind": pl.String,
    "construct": pl.String,
    "item": pl.String,
    "from_construct": pl.String,
    "to_construct": pl.String,
    "estimate": pl.Float64,
    "std_error": pl.Float64,
    "n": pl.Int64,
    "iterations": pl.Int64,
    "status": pl.String,
}

# transforms/driver_importance.py
DRIVER_SCHEMA = {
    "driver": pl.String,
    "total_effect_index": pl.Float64,
    "total_effect_index_se": pl.Float64,
    "is_significant_index": pl.Boolean,
    "total_effect_loyalty": pl.Float64,
    "total_effect_loyalty_se": pl.Float64,
    "is_significant_loyalty": pl.Boolean,
    "performance": pl.Float64,
    "impact_5pt": pl.Float64,
    "quadrant": pl.String,
    "n": pl.Int64,
    "weight_sum": pl.Float64,
    "status": pl.String,
}

# transforms/pls_quality.py
QUALITY_SCHEMA = {
    "kind": pl.String,  # loading, alpha, rho_a, rho_c, ave, htmt, vif, f2
    "construct": pl.String,
    "item": pl.String,
    "from_construct": pl.String,
    "to_construct": pl.String,
    "estimate": pl.Float64,
    "flag": pl.String,  # ok, warning, fail; null where METRICS 11 sets no threshold or no value
    "note": pl.String,
}

# transforms/clv_validation.py
VALIDATION_SCHEMA = {
    "as_of_date": pl.Date,
    "calibration_end": pl.Date,
    "holdout_days": pl.Int64,
    "frequency_bin": pl.String,  # '0' .. '6', '7+' (calibration repeat orders), 'total'
    "customers": pl.Int64,
    "actual_mean": pl.Float64,
    "predicted_mean": pl.Float64,
    "actual_orders": pl.Int64,
    "predicted_orders": pl.Float64,
    "mae": pl.Float64,  # total row only
    "rmse": pl.Float64,  # total row only
    "status": pl.String,  # the calibration fit's status ('converged' or why not)
}

# transforms/customer_value.py
CUSTOMER_VALUE_COLUMNS = (
    "as_of_date", "customer_id", "first_order_date", "last_order_date", "recency_days", "frequency",
    "monetary", "margin", "margin_365d", "r_score", "f_score", "m_score", "rfm_segment", "rank_365d",
    "rank_share", "value_tier", "loyalty_stage", "latest_nps", "p_alive", "expected_orders_365d",
    "expected_order_value", "margin_ratio", "clv_365d",
)  # fmt: skip

# transforms/customer_value.py
CLV_MODEL_COLUMNS = (
    "as_of_date", "model", "r", "alpha", "a", "b", "p", "q", "v", "log_likelihood", "n_customers",
    "converged", "status", "r_se", "alpha_se", "a_se", "b_se",
)  # fmt: skip
