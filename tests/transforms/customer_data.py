"""Small fact frames and a fake CLV model for the customer-mart tests."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import numpy as np
import polars as pl

SALES_SCHEMA = {
    "order_id": pl.String, "line_no": pl.Int64, "order_type": pl.String, "customer_id": pl.String,
    "order_date": pl.Date, "revenue": pl.Float64, "cost": pl.Float64,
}  # fmt: skip
RESPONSE_SCHEMA = {
    "response_id": pl.String, "customer_id": pl.String, "submitted_at": pl.Datetime("us"), "nps_answer": pl.Int64,
}  # fmt: skip
COMPLAINT_SCHEMA = {
    "complaint_id": pl.String, "customer_id": pl.String, "opened_at": pl.Datetime("us"),
    "closed_at": pl.Datetime("us"), "is_resolved": pl.Boolean,
}  # fmt: skip


def sales(rows: list[tuple]) -> pl.LazyFrame:
    """rows: (order_id, order_type, customer_id, order_date, revenue, cost); line_no 1.. per order."""
    frame = pl.DataFrame([(r[0], i + 1, *r[1:]) for i, r in enumerate(rows)], schema=SALES_SCHEMA, orient="row")
    return frame.with_columns(
        margin=pl.col("revenue") - pl.col("cost"),
        ordered_at=pl.col("order_date").cast(pl.Datetime("us")),
    ).lazy()


def responses(rows: list[tuple] | None = None) -> pl.LazyFrame:
    """rows: (response_id, customer_id, submitted_at, nps_answer)."""
    return pl.DataFrame(rows or [], schema=RESPONSE_SCHEMA, orient="row").lazy()


def complaints(rows: list[tuple] | None = None) -> pl.LazyFrame:
    """rows: (complaint_id, customer_id, opened_at, closed_at, is_resolved)."""
    return pl.DataFrame(rows or [], schema=COMPLAINT_SCHEMA, orient="row").lazy()


def fake_models(p_alive: float = 0.8, purchases_per_day: float = 0.01, converged: bool = True):
    """Same API as transforms.bgnbd / gamma_gamma, with transparent closed forms:
    p_alive = constant, expected_purchases = t * rate, Gamma-Gamma p=2, q=3, v=10."""

    def fit_bgnbd(frequency, recency, T):
        return SimpleNamespace(r=1.0, alpha=2.0, a=0.5, b=3.0, log_likelihood=-10.0, n_customers=len(frequency),
                               converged=converged, status="converged" if converged else "not_converged: fake",
                               iterations=3)  # fmt: skip

    def fit_gamma_gamma(frequency, monetary_value):
        return SimpleNamespace(p=2.0, q=3.0, v=10.0, log_likelihood=-5.0, n_customers=len(frequency),
                               converged=True, status="converged")  # fmt: skip

    return SimpleNamespace(
        fit_bgnbd=fit_bgnbd,
        p_alive=lambda fit, f, r, t: np.full(len(f), p_alive),
        expected_purchases=lambda fit, t, f, r, tt: np.full(len(f), t * purchases_per_day),
        fit_gamma_gamma=fit_gamma_gamma,
        expected_order_value=lambda fit, f, m: fit.p * (fit.v + f * m) / (fit.p * f + fit.q - 1),
    )


def d(day: int, month: int = 1, year: int = 2025) -> date:
    return date(year, month, day)


def ts(day: int, month: int = 1, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, second)
