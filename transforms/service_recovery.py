"""mart_service_recovery_monthly: latest NPS and re-order share after a complaint.

Grain: one row per month x customer_group ('resolved', 'unresolved', 'non_complainant')
with at least one customer; all sites pooled. Formula source: METRICS.md section 6,
last bullet. Definitions (also in docs/marts-satisfaction.md):
- complaint month = month of opened_at. A customer with several complaints opened
  in a month is judged on the latest of them (max opened_at, ties: complaint_id).
- resolved = is_resolved and closed_at set on that complaint's latest version
  (fct_complaint) as of the end of data; otherwise 'unresolved'.
- non_complainant in month M: a customer with a sale (order_type 'sale') in M and
  no complaint at all in the data ("never complained"); anchor = their first
  order date in M. For complainants the anchor is the complaint's opened_at date.
- reordered: a sale with order_date in (anchor, anchor + window_days] (strictly
  after the anchor day). Windows reaching past the last sale date in the data are
  incomplete: window_complete = false for the row (reorder_pct is then a floor).
- latest NPS: the customer's latest nps_answer (by submitted_at, then response_id)
  over all data; nps_n counts customers of the group with one, mean_latest_nps =
  nps_sum / nps_n. reorder_pct = 100 * reorder_count / customers.
Zero denominators give null.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from transforms._satisfaction_common import keep_months, month_start, require_columns

GROUPS = ["resolved", "unresolved", "non_complainant"]


def build_service_recovery_monthly(
    complaints: pl.LazyFrame,
    sales: pl.LazyFrame,
    responses: pl.LazyFrame,
    window_days: int = 90,
    months: list[date] | None = None,
) -> pl.LazyFrame:
    """mart_service_recovery_monthly from fct_complaint, fct_sales and fct_survey_response."""
    require_columns(
        complaints, ["complaint_id", "customer_id", "opened_at", "closed_at", "is_resolved"], "fct_complaint"
    )
    require_columns(sales, ["customer_id", "order_type", "order_date"], "fct_sales")
    require_columns(responses, ["response_id", "customer_id", "submitted_at", "nps_answer"], "fct_survey_response")
    orders = (
        sales.filter(pl.col("order_type") == "sale").select("customer_id", pl.col("order_date").cast(pl.Date)).unique()
    )
    complainers = (
        complaints.with_columns(month=month_start("opened_at"))
        .group_by("customer_id", "month")
        .agg(pl.all().sort_by("opened_at", "complaint_id").last())
        .select(
            "customer_id",
            "month",
            customer_group=pl.when(pl.col("is_resolved").fill_null(False) & pl.col("closed_at").is_not_null())
            .then(pl.lit("resolved"))
            .otherwise(pl.lit("unresolved")),
            anchor=pl.col("opened_at").dt.date(),
        )
    )
    others = (
        orders.join(complaints.select("customer_id").unique(), on="customer_id", how="anti")
        .group_by("customer_id", month=month_start("order_date"))
        .agg(anchor=pl.col("order_date").min())
        .select("customer_id", "month", customer_group=pl.lit("non_complainant"), anchor="anchor")
    )
    next_orders = orders.select("customer_id", next_order=pl.col("order_date"), _on=pl.col("order_date")).sort("_on")
    latest_nps = (
        responses.filter(pl.col("customer_id").is_not_null() & pl.col("nps_answer").is_not_null())
        .group_by("customer_id")
        .agg(latest_nps=pl.col("nps_answer").sort_by("submitted_at", "response_id").last())
    )
    data_end = orders.select(data_end=pl.col("order_date").max())
    people = (
        pl.concat([complainers, others])
        .sort("anchor")
        .join_asof(
            next_orders,
            left_on="anchor",
            right_on="_on",
            by="customer_id",
            strategy="forward",
            allow_exact_matches=False,
            check_sortedness=False,  # sorted by anchor just above
        )
        .join(latest_nps, on="customer_id", how="left")
        .join(data_end, how="cross")
        .with_columns(
            reordered=pl.col("next_order").is_not_null()
            & (pl.col("next_order") <= pl.col("anchor") + timedelta(days=window_days)),
            complete=(pl.col("anchor") + timedelta(days=window_days)) <= pl.col("data_end"),
        )
    )
    out = (
        people.group_by("month", "customer_group")
        .agg(
            customers=pl.len().cast(pl.Int64),
            nps_n=pl.col("latest_nps").count().cast(pl.Int64),
            nps_sum=pl.col("latest_nps").sum().cast(pl.Float64),
            reorder_count=pl.col("reordered").sum().cast(pl.Int64),
            window_complete=pl.col("complete").fill_null(False).all(),
        )
        .with_columns(
            mean_latest_nps=pl.when(pl.col("nps_n") > 0).then(pl.col("nps_sum") / pl.col("nps_n")),
            reorder_pct=pl.when(pl.col("customers") > 0).then(100.0 * pl.col("reorder_count") / pl.col("customers")),
        )
        .select(
            "month",
            "customer_group",
            "customers",
            "nps_n",
            "nps_sum",
            "mean_latest_nps",
            "reorder_count",
            "reorder_pct",
            "window_complete",
        )  # fmt: skip
    )
    return keep_months(out, months).sort(
        "month", pl.col("customer_group").replace_strict(GROUPS, list(range(len(GROUPS))))
    )
