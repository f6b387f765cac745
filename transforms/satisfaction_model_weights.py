"""Fill mart_satisfaction_monthly.acsi_index_model from the quarter's SAT outer weights.

Grain: the mart's own (one row per site per month, plus site_id = 'ALL'); the
weights are per quarter (all sites). Formula source: METRICS.md section 2 ("ACSI
index (model weights)") with the construct index of section 5: per quarter the SAT
outer weights are normalised to sum 1 and
acsi_index_model = sum(w_i * (item_mean_i - scale_min) / (scale_max - scale_min) * 100),
item_mean_i = <item>_sum / <item>_n of the row. Null where the quarter has no
weights or a weighted item has no answer in the row. Re-exported by
transforms.satisfaction_monthly.
"""

from __future__ import annotations

import polars as pl

from transforms._satisfaction_common import require_columns


def apply_model_weights(
    mart: pl.LazyFrame,
    weights: pl.LazyFrame,
    items: list[str] | None = None,
    scale_min: float = 1.0,
    scale_max: float = 10.0,
) -> pl.LazyFrame:
    """Fill acsi_index_model from the quarter's SAT outer weights (METRICS.md section 2).

    `weights` has (quarter: Date first day of quarter, item: question id, weight);
    per quarter the weights are normalised to sum 1 and
    acsi_index_model = sum(w_i * (item_mean_i - scale_min) / (scale_max - scale_min) * 100).
    Null where the quarter has no weights or a weighted item has no answer in the
    cell. `items` defaults to every `<item>_n` / `<item>_sum` pair in `mart` except
    csat and ces. The same weights apply to every site row of the quarter; if
    `weights` has a site_id column (transforms.acsi_model.sat_weights), only its
    site_id = 'ALL' rows (the pooled model) are used.
    """
    require_columns(weights, ["quarter", "item", "weight"], "SAT weights")
    names = mart.collect_schema().names()
    require_columns(mart, ["month", "site_id", "acsi_index_model"], "mart_satisfaction_monthly")
    if items is None:
        items = [c[:-4] for c in names if c.endswith("_sum") and f"{c[:-4]}_n" in names]
        items = [i for i in items if i not in ("csat", "ces")]
    require_columns(mart, [f"{i}{s}" for i in items for s in ("_n", "_sum")], "mart_satisfaction_monthly")
    long = pl.concat(
        [
            mart.select(
                "month",
                "site_id",
                item=pl.lit(i),
                mean=pl.when(pl.col(f"{i}_n") > 0).then(pl.col(f"{i}_sum") / pl.col(f"{i}_n")),
            )
            for i in items
        ]
    ).with_columns(quarter=pl.col("month").dt.truncate("1q"))
    if "site_id" in weights.collect_schema().names():  # e.g. acsi_model.sat_weights: use the pooled model
        weights = weights.filter(pl.col("site_id") == "ALL")
    w = weights.select(pl.col("quarter").cast(pl.Date), "item", pl.col("weight").cast(pl.Float64))
    scored = (
        long.join(w, on=["quarter", "item"], how="inner")
        .group_by("month", "site_id")
        .agg(
            pl.when(pl.col("mean").is_not_null().all() & (pl.col("weight").sum() != 0))
            .then(
                (pl.col("weight") * (pl.col("mean") - scale_min) / (scale_max - scale_min) * 100.0).sum()
                / pl.col("weight").sum()
            )
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
