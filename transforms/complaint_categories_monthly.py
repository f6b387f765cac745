"""mart_complaint_categories_monthly: complaints per site x month x category x channel (METRICS.md 13, 6, 0).

Input `complaints` (fct_complaint): complaint_id, site_id, opened_at, closed_at,
category, channel, severity, compensation; `texts` (fct_text): complaint_id, topics
(rows of other sources, complaint_id null, are ignored). A null category or channel
is its own group (null key).
- opened_count and compensation_sum: complaints opened_at in the month (the
  compensation of the month's complaints, whenever paid);
- closed_count, resolution_hours_median (linear interpolation, transforms.quantile),
  sla_met_count and sla_met_pct = 100 * sla_met_count / closed_count: complaints
  whose closed_at is in the month, SLA by severity as in mart_complaints_monthly;
- top_topic_1..3 with top_topic_k_mentions: the three topics most mentioned by the
  descriptions of the complaints opened in the month (ties by topic_id); null when
  fewer topics were mentioned.
- site_id 'ALL' per month x category x channel from the pooled complaints.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms._satisfaction_common import by_site_and_all, keep_months, month_start, require_columns
from transforms.float_sums import stable_sum
from transforms.quantile import median

KEYS = ["month", "site_id", "category", "channel"]
TOP_N = 3
# fmt: off
COLUMNS = KEYS + [
    "opened_count", "compensation_sum", "closed_count", "resolution_hours_median", "sla_met_count", "sla_met_pct",
    *(c for k in range(1, TOP_N + 1) for c in (f"top_topic_{k}", f"top_topic_{k}_mentions")),
]
# fmt: on


def build_complaint_categories_monthly(
    complaints: pl.LazyFrame,
    texts: pl.LazyFrame,
    sla_hours: dict[int, float],
    months: list[date] | None = None,
) -> pl.LazyFrame:
    """mart_complaint_categories_monthly from fct_complaint and fct_text."""
    require_columns(
        complaints,
        ["complaint_id", "site_id", "opened_at", "closed_at", "category", "channel", "severity", "compensation"],
        "fct_complaint",
    )
    require_columns(texts, ["complaint_id", "topics"], "fct_text")
    sla = pl.DataFrame(
        {"severity": list(sla_hours), "sla": list(sla_hours.values())},
        schema={"severity": pl.Int64, "sla": pl.Float64},
    ).lazy()
    c = complaints.with_columns(pl.col("severity").cast(pl.Int64), pl.col("category", "channel").cast(pl.String))
    group = ["month", "category", "channel"]
    opened = by_site_and_all(
        c.with_columns(month=month_start("opened_at")),
        group,
        [pl.len().cast(pl.Int64).alias("opened_count"), stable_sum(pl.col("compensation")).alias("compensation_sum")],
    )
    resolution = (pl.col("closed_at") - pl.col("opened_at")).dt.total_microseconds().cast(pl.Float64) / 3.6e9
    closed = by_site_and_all(
        c.filter(pl.col("closed_at").is_not_null())
        .with_columns(resolution_hours=resolution, month=month_start("closed_at"))
        .join(sla, on="severity", how="left"),
        group,
        [
            pl.len().cast(pl.Int64).alias("closed_count"),
            median("resolution_hours").alias("resolution_hours_median"),
            (pl.col("resolution_hours") <= pl.col("sla")).fill_null(False).sum().cast(pl.Int64).alias("sla_met_count"),
        ],
    )
    topics = texts.filter(pl.col("complaint_id").is_not_null()).select(
        "complaint_id", topic_id=pl.col("topics").list.unique()
    )
    mentions = by_site_and_all(
        c.with_columns(month=month_start("opened_at"))
        .join(topics, on="complaint_id", how="inner")
        .explode("topic_id")
        .drop_nulls("topic_id"),
        [*group, "topic_id"],
        [pl.len().cast(pl.Int64).alias("mentions")],
    )
    ranked = (
        mentions.sort(["mentions", "topic_id"], descending=[True, False])
        .group_by(KEYS, maintain_order=True)
        .agg(pl.col("topic_id").head(TOP_N), pl.col("mentions").head(TOP_N))
        .with_columns(
            pl.col(col).list.get(k, null_on_oob=True).alias(f"top_topic_{k + 1}{suffix}")
            for k in range(TOP_N)
            for col, suffix in (("topic_id", ""), ("mentions", "_mentions"))
        )
        .drop("topic_id", "mentions")
    )
    out = (
        opened.join(closed, on=KEYS, how="full", coalesce=True, nulls_equal=True)
        .join(ranked, on=KEYS, how="left", nulls_equal=True)
        .with_columns(
            pl.col("opened_count", "closed_count", "sla_met_count").fill_null(0),
            pl.col("compensation_sum").fill_null(0.0),
        )
        .with_columns(
            sla_met_pct=pl.when(pl.col("closed_count") > 0).then(
                100.0 * pl.col("sla_met_count") / pl.col("closed_count")
            )
        )
        .select(COLUMNS)
    )
    return keep_months(out, months).sort(KEYS, nulls_last=True)
