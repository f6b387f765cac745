"""mart_complaints_monthly: complaint rate, resolution times, SLA, backlog, silent dissatisfied.

Grain: one row per site per month with data (a complaint opened or closed, an
active customer, or a complaint open at month end), plus site_id =
'ALL' per month computed from the pooled records (complainants and active
customers are distinct customers across all sites, never a sum). Formula source:
METRICS.md section 6 (section 0 for months and percentiles).
- complainants: distinct customer_id with a complaint opened_at in the month.
- active_customers: distinct customer_id with a sale (order_type 'sale') ordered_at
  in the month at the site, or an identified (customer_id not null) survey response
  submitted_at in the month at the site. complaint_rate_pct = 100 * complainants /
  active_customers (may exceed 100: a complainant need not be active).
- closed_count and the resolution figures are over complaints whose closed_at is in
  the month (any status); resolution_hours = (closed_at - opened_at) in hours;
  median and p90 by linear interpolation (transforms.quantile).
- first_response_hours_median = median of (first_response_at - opened_at) in hours over
  the same complaints closed in the month that have a first_response_at
  (first_response_count of them), like the resolution figures; an open complaint's
  first response counts once it is closed.
- sla_met_count: closed in the month with resolution_hours <= sla_hours[severity]
  (boundary met); a severity missing from sla_hours is not met. sla_met_pct =
  100 * sla_met_count / closed_count.
- open_at_month_end: opened_at < first day of next month and closed_at null or
  >= that day. Months run up to the last month seen in any input.
- estimated_silent_dissatisfied = complainants * silent_factor.
Zero denominators give null.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms._satisfaction_common import (
    add_all_sites,
    by_site_and_all,
    keep_months,
    month_start,
    require_columns,
)
from transforms.quantile import median, percentile

KEYS = ["month", "site_id"]
# fmt: off
COLUMNS = [
    "month", "site_id", "complainants", "active_customers", "complaint_rate_pct", "closed_count",
    "resolution_hours_median", "resolution_hours_p90", "first_response_count", "first_response_hours_median",
    "sla_met_count", "sla_met_pct", "open_at_month_end", "estimated_silent_dissatisfied",
]
# fmt: on


def _hours(end: str, start: str = "opened_at") -> pl.Expr:
    return (pl.col(end) - pl.col(start)).dt.total_microseconds().cast(pl.Float64) / 3.6e9


def build_complaints_monthly(
    complaints: pl.LazyFrame,
    sales: pl.LazyFrame,
    responses: pl.LazyFrame,
    sla_hours: dict[int, float],
    silent_factor: int = 25,
    months: list[date] | None = None,
) -> pl.LazyFrame:
    """mart_complaints_monthly from fct_complaint, fct_sales and fct_survey_response."""
    require_columns(
        complaints,
        ["complaint_id", "customer_id", "site_id", "opened_at", "first_response_at", "closed_at", "severity"],
        "fct_complaint",
    )
    require_columns(sales, ["customer_id", "site_id", "order_type", "ordered_at"], "fct_sales")
    require_columns(responses, ["customer_id", "site_id", "submitted_at"], "fct_survey_response")
    sla = pl.DataFrame(
        {"severity": list(sla_hours), "sla": list(sla_hours.values())},
        schema={"severity": pl.Int64, "sla": pl.Float64},
    ).lazy()
    c = complaints.with_columns(pl.col("severity").cast(pl.Int64))
    # Distinct customers and percentiles are not additive: their 'ALL' row groups the
    # pooled records again (by_site_and_all). The backlog count is summed over sites.
    distinct = pl.col("customer_id").n_unique().cast(pl.Int64)
    opened = by_site_and_all(
        c.with_columns(month=month_start("opened_at")), ["month"], [distinct.alias("complainants")]
    )
    sold = sales.filter(pl.col("order_type") == "sale").select(
        "customer_id", "site_id", month=month_start("ordered_at")
    )
    identified = responses.filter(pl.col("customer_id").is_not_null())
    answered = identified.select("customer_id", "site_id", month=month_start("submitted_at"))
    active = by_site_and_all(pl.concat([sold, answered]), ["month"], [distinct.alias("active_customers")])
    met = pl.col("resolution_hours") <= pl.col("sla")
    closed = by_site_and_all(
        c.filter(pl.col("closed_at").is_not_null())
        .with_columns(resolution_hours=_hours("closed_at"), first_response_hours=_hours("first_response_at"),
                      month=month_start("closed_at"))
        .join(sla, on="severity", how="left"),
        ["month"],
        [
            pl.len().cast(pl.Int64).alias("closed_count"),
            median("resolution_hours").alias("resolution_hours_median"),
            percentile("resolution_hours", 0.9).alias("resolution_hours_p90"),
            pl.col("first_response_at").is_not_null().sum().cast(pl.Int64).alias("first_response_count"),
            median("first_response_hours").alias("first_response_hours_median"),  # nulls ignored
            met.fill_null(False).sum().cast(pl.Int64).alias("sla_met_count"),
        ],
    )  # fmt: skip
    last_month = pl.concat(
        [
            c.select(m=month_start(pl.max_horizontal("opened_at", "closed_at", "first_response_at"))),
            active.select(m="month"),
        ]
    ).select(last=pl.col("m").max())
    backlog = add_all_sites(
        c.join(last_month, how="cross")
        .with_columns(
            month=pl.date_ranges(
                month_start("opened_at"),
                pl.when(pl.col("closed_at").is_null())
                .then(pl.col("last"))
                .otherwise(month_start("closed_at").dt.offset_by("-1mo")),
                "1mo",
            )
        )
        .explode("month")
        .filter(pl.col("month").is_not_null())
        .group_by(KEYS)
        .agg(open_at_month_end=pl.len().cast(pl.Int64)),
        ["month"],
    )
    out = opened
    for part in (active, closed, backlog):
        out = out.join(part, on=KEYS, how="full", coalesce=True)
    out = (
        out.with_columns(pl.col(pl.Int64).fill_null(0))  # only the counts are Int64
        .with_columns(
            complaint_rate_pct=pl.when(pl.col("active_customers") > 0).then(
                100.0 * pl.col("complainants") / pl.col("active_customers")
            ),
            sla_met_pct=pl.when(pl.col("closed_count") > 0).then(
                100.0 * pl.col("sla_met_count") / pl.col("closed_count")
            ),
            estimated_silent_dissatisfied=(pl.col("complainants") * silent_factor).cast(pl.Int64),
        )
        .select(COLUMNS)
    )
    return keep_months(out, months).sort(KEYS)
