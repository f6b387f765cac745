"""BG/NBD calibration / holdout validation (METRICS.md section 12): mart_clv_validation rows.

For an as-of date D and a holdout of h days the calibration end is C = D - h. BG/NBD is
fitted on the orders up to C as in section 7 (x = orders on or before C minus 1, t_x = last
minus first order date, T = C - first order date, in days) for every customer whose first
order is on or before C; `predicted` is the conditional expectation of orders in (C, D]
given (x, t_x, T) (Fader, Hardie & Lee 2005, eq. 10; transforms.bgnbd_predict), `actual`
the orders in (C, D]. Published per calibration frequency bin (0, 1, ..., 7+) and in total:
customers, mean actual and mean predicted orders, their sums; on the total row also the
mean absolute error and the root mean square error per customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from transforms.bgnbd import BgNbdFit, fit_bgnbd
from transforms.bgnbd_predict import expected_purchases
from transforms.mart_columns import VALIDATION_SCHEMA

TOP_BIN = 7  # frequencies >= TOP_BIN share the bin '7+'


@dataclass(frozen=True)
class ClvValidation:
    rows: pl.DataFrame  # VALIDATION_SCHEMA
    customers: pl.DataFrame  # customer_id, frequency, recency_days, t_days, actual, predicted
    fit: BgNbdFit | None


def validation_dates(as_of_dates: list[date], first_order_date: date | None, holdout_days: int) -> list[date]:
    """The snapshot dates at least `holdout_days` after the first order of all (METRICS 12)."""
    if first_order_date is None:
        return []
    return [d for d in as_of_dates if (d - first_order_date).days >= holdout_days]


def calibration_holdout(orders: pl.LazyFrame | pl.DataFrame, as_of: date, holdout_days: int) -> pl.DataFrame:
    """Per customer with a first order on or before C = as_of - holdout_days: frequency
    (repeat orders up to C), recency_days, t_days (at C) and actual (orders in (C, as_of]).
    `orders`: one row per order, columns customer_id and order_date (pl.Date)."""
    if holdout_days < 1:
        raise ValueError(f"holdout_days must be >= 1, got {holdout_days}")
    cal_end = as_of - timedelta(days=holdout_days)
    day = pl.col("order_date")
    return (
        orders.lazy()
        .filter(day <= as_of)
        .group_by("customer_id")
        .agg(
            (day.filter(day <= cal_end).len() - 1).alias("frequency"),
            day.filter(day <= cal_end).min().alias("first"),
            day.filter(day <= cal_end).max().alias("last"),
            (day > cal_end).sum().alias("actual"),
        )
        .filter(pl.col("first").is_not_null())
        .select(
            "customer_id",
            pl.col("frequency").cast(pl.Int64),
            (pl.col("last") - pl.col("first")).dt.total_days().cast(pl.Float64).alias("recency_days"),
            (pl.lit(cal_end) - pl.col("first")).dt.total_days().cast(pl.Float64).alias("t_days"),
            pl.col("actual").cast(pl.Int64),
        )
        .sort("customer_id")
        .collect()
    )


def _bin_label(frequency: pl.Expr) -> pl.Expr:
    return pl.when(frequency >= TOP_BIN).then(pl.lit(f"{TOP_BIN}+")).otherwise(frequency.cast(pl.String))


def clv_validation(
    orders: pl.LazyFrame | pl.DataFrame,
    as_of: date,
    holdout_days: int = 90,
    fit: BgNbdFit | None = None,
    penalizer: float = 0.0,
) -> ClvValidation:
    """mart_clv_validation rows of one as-of date. `fit`: use these BG/NBD parameters (in
    days) instead of fitting on the calibration orders (e.g. published ones)."""
    cust = calibration_holdout(orders, as_of, holdout_days)
    cal_end = as_of - timedelta(days=holdout_days)
    base = {"as_of_date": as_of, "calibration_end": cal_end, "holdout_days": holdout_days}
    x, tx, t_age = (cust[c].to_numpy().astype(float) for c in ("frequency", "recency_days", "t_days"))
    if cust.is_empty():
        rows = [{**base, "frequency_bin": "total", "customers": 0, "status": "no customers before the calibration end"}]
        empty = cust.with_columns(pl.lit(None, dtype=pl.Float64).alias("predicted"))
        return ClvValidation(pl.DataFrame(rows, schema=VALIDATION_SCHEMA), empty, None)
    if fit is None:
        fit = fit_bgnbd(x, tx, t_age, penalizer=penalizer)
    status = fit.status
    predicted = None
    if fit.converged:  # as clv.py: an unconverged fit predicts nothing
        try:
            predicted = expected_purchases(fit, float(holdout_days), x, tx, t_age)
        except (ValueError, ArithmeticError) as exc:
            status = f"prediction failed: {exc}"
    cust = cust.with_columns(
        pl.Series("predicted", predicted, dtype=pl.Float64)
        if predicted is not None
        else pl.lit(None, dtype=pl.Float64).alias("predicted")
    )
    labels = [str(k) for k in range(TOP_BIN)] + [f"{TOP_BIN}+"]
    per_bin = cust.group_by(_bin_label(pl.col("frequency")).alias("frequency_bin")).agg(
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("actual").mean().alias("actual_mean"),
        pl.col("predicted").mean().alias("predicted_mean"),
        pl.col("actual").sum().cast(pl.Int64).alias("actual_orders"),
        pl.col("predicted").sum().alias("predicted_orders"),
    )
    grid = pl.DataFrame({"frequency_bin": labels})
    bins = grid.join(per_bin, on="frequency_bin", how="left").with_columns(
        pl.col("customers").fill_null(0), pl.col("actual_orders").fill_null(0)
    )
    if predicted is None:
        bins = bins.with_columns(predicted_mean=None, predicted_orders=None)
    err = (cust["predicted"] - cust["actual"]).to_numpy() if predicted is not None else None
    total = {
        "frequency_bin": "total",
        "customers": cust.height,
        "actual_mean": float(cust["actual"].mean()),
        "predicted_mean": float(np.mean(predicted)) if predicted is not None else None,
        "actual_orders": int(cust["actual"].sum()),
        "predicted_orders": float(np.sum(predicted)) if predicted is not None else None,
        "mae": float(np.mean(np.abs(err))) if err is not None else None,
        "rmse": float(np.sqrt(np.mean(err**2))) if err is not None else None,
    }
    rows = [{**base, **r, "status": status} for r in bins.to_dicts()] + [{**base, **total, "status": status}]
    return ClvValidation(pl.DataFrame(rows, schema=VALIDATION_SCHEMA), cust, fit)
