"""The all-sites helpers of transforms._satisfaction_common (METRICS.md section 0: 'ALL' = pooled records)."""

from __future__ import annotations

from datetime import date

import polars as pl
from polars.testing import assert_frame_equal

from transforms._satisfaction_common import add_all_sites, by_site_and_all, with_all_sites
from transforms.quantile import median, percentile

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)
RECORDS = pl.LazyFrame(
    {
        "month": [JAN, JAN, JAN, JAN, JAN, FEB, FEB],
        "site_id": ["A", "A", "B", "B", "C", "A", "B"],
        "customer_id": ["c1", "c2", "c1", "c3", "c1", "c1", "c1"],
        "hours": [1.0, 4.0, 5.0, 30.0, 2.0, 7.0, 9.0],
    }
)
KEYS = ["month", "site_id"]


def test_by_site_and_all_pools_the_records_for_distinct_counts_and_percentiles():
    aggs = [pl.col("customer_id").n_unique().alias("customers"), median("hours").alias("med")]
    got = by_site_and_all(RECORDS, ["month"], aggs).collect().sort(KEYS)
    all_jan = got.filter((pl.col("month") == JAN) & (pl.col("site_id") == "ALL"))
    # c1 complained at A, B and C: one customer pooled, not 3; median of 1, 2, 4, 5, 30
    assert all_jan.select("customers", "med").row(0) == (3, 4.0)
    assert got.filter(pl.col("site_id") == "A").select("month", "customers").rows() == [(JAN, 2), (FEB, 1)]
    assert got.columns == ["site_id", "month", "customers", "med"]


def test_by_site_and_all_equals_grouping_the_copied_records():
    aggs = [
        pl.col("customer_id").n_unique().alias("customers"),
        percentile("hours", 0.9).alias("p90"),
        pl.len().alias("n"),
    ]
    fast = by_site_and_all(RECORDS, ["month"], aggs).collect()
    copied = with_all_sites(RECORDS).group_by("site_id", "month").agg(aggs).collect()
    assert_frame_equal(fast.sort(KEYS), copied.sort(KEYS), check_exact=True)


def test_add_all_sites_sums_additive_parts_per_key():
    cells = RECORDS.group_by(KEYS).agg(n=pl.len().cast(pl.Int64), total=pl.col("hours").sum())
    got = add_all_sites(cells, ["month"]).collect().sort(KEYS)
    assert got.columns == ["month", "site_id", "n", "total"]
    assert got.schema["site_id"] == pl.String
    assert got.filter(pl.col("site_id") == "ALL").select("month", "n", "total").rows() == [
        (JAN, 5, 42.0),
        (FEB, 2, 16.0),
    ]
    assert got.filter(pl.col("site_id") != "ALL").height == 5  # the site rows stay as they were
