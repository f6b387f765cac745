"""Fill mart_satisfaction_monthly.acsi_index_model from the configured model's index weights.

Grain: the mart's own (one row per site per month, plus site_id = 'ALL'); the
weights are per quarter x site (transforms.acsi_model.sat_weights). Formula source:
METRICS.md section 2 ("ACSI index (model weights)") with the construct index of
section 5 (outer weights of the index construct normalised to sum 1):
acsi_index_model = sum(w_i * (item_mean_i - scale_min_i) / (scale_max_i - scale_min_i) * 100).

- The items are those of the weights, i.e. of the configured model's index construct
  (ACSI SAT: acsi_sat_*; ECSI SAT: ecsi_sat_*), whatever the mart's own item columns;
  item_mean_i is the mean of the cell's answers to the item (all sites pooled for
  'ALL'), scales from the catalog.
- A site's row uses that site's own weights in quarters where its own model was
  estimated (METRICS 5: n >= 200 and status ok); otherwise, and for 'ALL', the
  all-sites weights. Null where the chosen weights do not exist (the model was not
  estimated for the quarter) or a weighted item has no answer in the cell.
Re-exported by transforms.satisfaction_monthly.
"""

from __future__ import annotations

import polars as pl

from transforms._satisfaction_common import (
    ALL_SITES,
    by_site_and_all,
    month_start,
    quarter_start,
    require_columns,
)
from transforms.float_sums import stable_sum


def apply_model_weights(
    mart: pl.LazyFrame, weights: pl.LazyFrame, answers: pl.LazyFrame, catalog: pl.LazyFrame | pl.DataFrame
) -> pl.LazyFrame:
    """Fill acsi_index_model (METRICS.md sections 2 and 5).

    `weights`: (quarter, site_id, item, weight) of the configured model's index construct,
    e.g. acsi_model.sat_weights(mart_acsi_model, model.index_construct, model.name); without
    a site_id column they are the all-sites ('ALL') weights. `answers`: fct_survey_answer
    (question_id, site_id, submitted_at, answer) of the mart's months. `catalog`: scale_min and
    scale_max of every weighted item (ValueError naming the items it lacks).
    """
    require_columns(weights, ["quarter", "item", "weight"], "index construct weights")
    require_columns(mart, ["month", "site_id", "acsi_index_model"], "mart_satisfaction_monthly")
    require_columns(answers, ["question_id", "site_id", "submitted_at", "answer"], "fct_survey_answer")
    require_columns(catalog.lazy(), ["question_id", "scale_min", "scale_max"], "catalog")
    names = mart.collect_schema().names()
    if "site_id" not in weights.collect_schema().names():
        weights = weights.with_columns(site_id=pl.lit(ALL_SITES))
    w = weights.select(
        pl.col("quarter").cast(pl.Date), pl.col("site_id").cast(pl.String).alias("_source"), "item",
        pl.col("weight").cast(pl.Float64),
    ).collect()  # fmt: skip
    items = sorted(w["item"].unique().to_list())
    scales = (
        catalog.lazy().filter(pl.col("question_id").is_in(items))
        .select(item="question_id", lo=pl.col("scale_min").cast(pl.Float64), hi=pl.col("scale_max").cast(pl.Float64))
        .collect()
    )  # fmt: skip
    missing = sorted(set(items) - set(scales["item"].to_list()))
    if missing:
        raise ValueError(f"catalog: no scale for the weighted item(s) {missing}")
    means = by_site_and_all(
        answers.filter(pl.col("question_id").is_in(items) & pl.col("answer").is_not_null()),
        [month_start("submitted_at").alias("month"), pl.col("question_id").alias("item")],
        [pl.col("answer").cast(pl.Float64).mean().alias("mean")],
    )
    # the site's own weights where its model was estimated that quarter, else the pooled ones
    own = w.select("quarter", site_id="_source").unique().with_columns(_own=pl.lit(True)).lazy()
    cells = (
        mart.select("month", pl.col("site_id").cast(pl.String))
        .with_columns(quarter=quarter_start("month"))
        .join(own, on=["quarter", "site_id"], how="left")
        .with_columns(_source=pl.when(pl.col("_own")).then(pl.col("site_id")).otherwise(pl.lit(ALL_SITES)))
    )
    index = pl.col("weight") * (pl.col("mean") - pl.col("lo")) / (pl.col("hi") - pl.col("lo")) * 100.0
    scored = (
        cells.join(w.lazy(), on=["quarter", "_source"], how="inner")
        .join(means, on=["month", "site_id", "item"], how="left")
        .join(scales.lazy(), on="item", how="left")
        .group_by("month", "site_id")
        .agg(
            # one row per item, in the joins' order: the float sums are added in a fixed order
            pl.when(pl.col("mean").is_not_null().all() & (stable_sum(pl.col("weight")) != 0))
            .then(stable_sum(index) / stable_sum(pl.col("weight")))
            .otherwise(None)
            .alias("_model")
        )
    )
    return (
        mart.join(scored, on=["month", "site_id"], how="left")
        .with_columns(acsi_index_model=pl.col("_model").cast(pl.Float64))
        .drop("_model")
        .select(names)
    )
