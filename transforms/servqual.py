"""mart_servqual_monthly: SERVQUAL gaps per dimension, two-stage means, weighted score.

Grain: one row per month x site x dimension with data, plus site_id = 'ALL' (pooled
responses) and, per month x site, one row with dimension = '_overall'. Formula
source: METRICS.md section 3 (and section 0 for periods and the ALL row).
- A response belongs to the month of its own submitted_at (the latest of its
  answers, as fct_survey_response) and to its site.
- Statements, kinds (expectation / perception), dimensions and reversal come from
  the catalog (instrument 'servqual'); weights from instrument 'servqual_weight'
  (kind 'importance', one question per dimension, points out of 100).
- Reversal first: x' = scale_min + scale_max - x (= 8 - x on 1-7) for is_reverse.
- Per response and dimension: gap = mean over statements with both e and p of
  (p - e); expectation (perception) = mean of its answered e (p) items.
- Cell: n = responses with a gap; gap_mean = gap_sum / n; expectation_mean =
  expectation_sum / expectation_n, same for perception (so with missing items
  gap_mean need not equal perception_mean - expectation_mean); weight_mean =
  weight_sum / weight_n over responses in the cell that answered sq_w_<dimension>.
- '_overall' row: n = responses with a gap in any dimension; score_unweighted = mean
  of the dimension gap_means, null unless every catalog dimension has one;
  score_weighted = sum(gap_mean * weight_mean / 100), null unless every dimension
  has both. Dimension rows have null scores; '_overall' rows have null parts.
Zero denominators give null.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms._satisfaction_common import keep_months, month_start, require_columns, with_all_sites
from transforms.float_sums import stable_mean, stable_sum

KEYS = ["month", "site_id", "dimension"]
OVERALL = "_overall"
PARTS = ["gap", "expectation", "perception", "weight"]
COLUMNS = [
    *KEYS, "n", "gap_sum", "gap_mean", "expectation_n", "expectation_sum", "expectation_mean",
    "perception_n", "perception_sum", "perception_mean", "weight_n", "weight_sum", "weight_mean",
    "score_unweighted", "score_weighted",
]  # fmt: skip


def build_servqual_monthly(
    answers: pl.LazyFrame, catalog: pl.LazyFrame, months: list[date] | None = None
) -> pl.LazyFrame:
    """mart_servqual_monthly from fct_survey_answer and the instrument catalog."""
    require_columns(answers, ["response_id", "question_id", "site_id", "submitted_at", "answer"], "fct_survey_answer")
    cat = catalog.lazy()
    require_columns(
        cat,
        [
            "question_id",
            "instrument",
            "dimension",
            "statement_no",
            "kind",
            "is_reverse",
            "scale_min",
            "scale_max",
        ],
        "catalog",
    )
    cat = cat.filter(pl.col("instrument").is_in(["servqual", "servqual_weight"]))
    base = answers.with_columns(month=month_start(pl.col("submitted_at").max().over("response_id"))).join(
        cat, on="question_id", how="inner"
    )
    x = (
        pl.when(pl.col("is_reverse"))
        .then(pl.col("scale_min") + pl.col("scale_max") - pl.col("answer"))
        .otherwise(pl.col("answer"))
    )
    resp = ["response_id", "month", "site_id", "dimension"]
    answered = (
        base.filter((pl.col("instrument") == "servqual") & pl.col("answer").is_not_null())
        .with_columns(x=x)
        .select(*resp, "statement_no", "kind", "x")
    )
    e = answered.filter(pl.col("kind") == "expectation").select(*resp, "statement_no", e="x")
    p = answered.filter(pl.col("kind") == "perception").select(*resp, "statement_no", p="x")
    items = (
        e.join(p, on=[*resp, "statement_no"], how="full", coalesce=True)
        .group_by(resp)
        .agg(
            gap=(pl.col("p") - pl.col("e")).mean(),
            expectation=pl.col("e").mean(),
            perception=pl.col("p").mean(),
        )
    )
    weights = (
        base.filter((pl.col("instrument") == "servqual_weight") & (pl.col("kind") == "importance"))
        .group_by(resp)
        .agg(weight=pl.col("answer").drop_nulls().first())
    )
    per_response = with_all_sites(items.join(weights, on=resp, how="full", coalesce=True)).cache()

    def parts(name: str) -> list[pl.Expr]:
        return [
            pl.col(name).count().cast(pl.Int64).alias(f"{name}_n"),
            # per-response means (halves, thirds) in polars' group order: added in a fixed order
            stable_sum(pl.col(name).cast(pl.Float64)).alias(f"{name}_sum"),
        ]

    def mean(name: str) -> pl.Expr:
        return pl.when(pl.col(f"{name}_n") > 0).then(pl.col(f"{name}_sum") / pl.col(f"{name}_n"))

    dims = (
        per_response.group_by(KEYS)
        .agg(*[e for name in PARTS for e in parts(name)])
        .with_columns(*[mean(name).alias(f"{name}_mean") for name in PARTS])
        .rename({"gap_n": "n"})
    )
    n_dims = cat.filter(pl.col("instrument") == "servqual").select(n_dims=pl.col("dimension").n_unique().cast(pl.Int64))
    overall_n = (
        per_response.filter(pl.col("gap").is_not_null())
        .group_by("month", "site_id")
        .agg(n=pl.col("response_id").n_unique().cast(pl.Int64))
    )
    weighted = pl.col("gap_mean") * pl.col("weight_mean") / 100.0
    overall = (
        dims.group_by("month", "site_id")
        .agg(
            gaps=pl.col("gap_mean").count().cast(pl.Int64),
            both=weighted.count().cast(pl.Int64),
            score_unweighted=stable_mean(pl.col("gap_mean")),
            score_weighted=stable_sum(weighted),
        )
        .join(n_dims, how="cross")
        .join(overall_n, on=["month", "site_id"], how="left")
        .select(
            "month",
            "site_id",
            dimension=pl.lit(OVERALL),
            n=pl.col("n").fill_null(0),
            score_unweighted=pl.when(pl.col("gaps") == pl.col("n_dims")).then("score_unweighted"),
            score_weighted=pl.when(pl.col("both") == pl.col("n_dims")).then("score_weighted"),
        )
    )
    out = pl.concat([dims, overall], how="diagonal_relaxed").select(COLUMNS)
    return keep_months(out, months).sort(KEYS)
