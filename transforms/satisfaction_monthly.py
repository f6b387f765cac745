"""mart_satisfaction_monthly: NPS, CSAT, CES, ACSI satisfaction index, survey complaint rate.

Grain: one row per site per month with survey data, plus site_id = 'ALL' per month
(pooled records, never an average of sites). Formula source: METRICS.md sections 0
and 2 (instruments: section 1).
- month is the first day of the month of the record's own timestamp: NPS uses the
  response (fct_survey_response: nps_answer, site_id, submitted_at); every other
  metric uses the answer (fct_survey_answer: its submitted_at and site_id).
- Each ratio has its own denominator (nps_n, csat_n, ces_n, acsi_<item>_n,
  complaint_survey_n); a zero denominator gives null. Additive parts are stored.
- ACSI SAT items come from the catalog (instrument 'acsi', construct 'SAT'); the
  item score is (item_mean - scale_min) / (scale_max - scale_min) * 100 (= (m-1)/9*100
  on the 1-10 scale); acsi_index_equal is their mean, null unless every item has an
  answer. The complaint item is the catalog's instrument 'acsi', construct 'COMP'.
- nps_prev / nps_delta / nps_change_significant compare with the same cell one
  calendar month earlier (computed from all input data, also when that month is
  not in `months`); null when that cell has no NPS.
- acsi_index_model is a null Float64 here; `apply_model_weights` (re-exported from
  transforms.satisfaction_model_weights) fills it.
The catalog is small configuration and is collected to learn the item ids.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms._satisfaction_common import add_all_sites, keep_months, month_start, require_columns
from transforms.nps import nps_change_significant, nps_derived, nps_parts
from transforms.satisfaction_model_weights import apply_model_weights

KEYS = ["month", "site_id"]
__all__ = ["apply_model_weights", "build_satisfaction_monthly"]


def _items(catalog: pl.LazyFrame | pl.DataFrame, construct: str) -> pl.DataFrame:
    cat = catalog.lazy()
    require_columns(cat, ["question_id", "instrument", "construct", "scale_min", "scale_max"], "catalog")
    items = (
        cat.filter((pl.col("instrument") == "acsi") & (pl.col("construct") == construct))
        .select("question_id", "scale_min", "scale_max")
        .sort("question_id")
        .collect()
    )
    if items.is_empty():
        raise ValueError(f"catalog: no question with instrument 'acsi' and construct {construct!r}")
    return items


def build_satisfaction_monthly(
    answers: pl.LazyFrame,
    responses: pl.LazyFrame,
    catalog: pl.LazyFrame,
    months: list[date] | None = None,
    low_sample_n: int = 30,
    z: float = 1.96,
) -> pl.LazyFrame:
    """mart_satisfaction_monthly from fct_survey_answer, fct_survey_response and the catalog."""
    require_columns(answers, ["question_id", "site_id", "submitted_at", "answer"], "fct_survey_answer")
    require_columns(responses, ["response_id", "site_id", "submitted_at", "nps_answer"], "fct_survey_response")
    sat = _items(catalog, "SAT")
    comp_ids = _items(catalog, "COMP")["question_id"].to_list()

    # Additive parts only (counts, sums): aggregated per site, then summed for 'ALL'.
    nps = add_all_sites(
        responses.group_by("site_id", month=month_start("submitted_at")).agg(nps_parts("nps_answer")), ["month"]
    )
    sat_ids = sat["question_id"].to_list()
    x = pl.col("answer")
    # Long first (one row per month, site and question: a plain group-by), then wide on
    # that small frame; filtered aggregations over the raw answers would be far slower.
    per_question = add_all_sites(
        answers.filter(pl.col("question_id").is_in(["csat", "ces", *sat_ids, *comp_ids]) & x.is_not_null())
        .group_by("site_id", "question_id", month=month_start("submitted_at"))
        .agg(
            n=pl.len().cast(pl.Int64),
            total=x.sum().cast(pl.Float64),
            ge4=(x >= 4).sum().cast(pl.Int64),
            ge5=(x >= 5).sum().cast(pl.Int64),
            eq1=(x == 1).sum().cast(pl.Int64),
        ),
        ["month", "question_id"],
    )

    def part(col: str, qids: list[str], name: str) -> pl.Expr:
        return pl.col(col).filter(pl.col("question_id").is_in(qids)).sum().alias(name)

    other = per_question.group_by(KEYS).agg(
        part("n", ["csat"], "csat_n"),
        part("total", ["csat"], "csat_sum"),
        part("ge4", ["csat"], "csat_top2_count"),
        part("n", ["ces"], "ces_n"),
        part("total", ["ces"], "ces_sum"),
        part("ge5", ["ces"], "ces_easy_count"),
        *[e for q in sat_ids for e in (part("n", [q], f"{q}_n"), part("total", [q], f"{q}_sum"))],
        part("n", comp_ids, "complaint_survey_n"),
        part("eq1", comp_ids, "complaint_survey_yes"),
    )

    def ratio(num: pl.Expr, den: str, scale: float = 1.0) -> pl.Expr:
        return pl.when(pl.col(den) > 0).then(scale * num / pl.col(den)).otherwise(None)

    item_scores = [
        (ratio(pl.col(f"{r['question_id']}_sum"), f"{r['question_id']}_n") - r["scale_min"])
        / (r["scale_max"] - r["scale_min"])
        * 100.0
        for r in sat.iter_rows(named=True)
    ]
    cells = (
        nps.join(other, on=KEYS, how="full", coalesce=True)
        .with_columns(pl.col(pl.Int64).fill_null(0), pl.col(pl.Float64).fill_null(0.0))  # parts only
        .with_columns(
            *nps_derived(z),
            ratio(pl.col("csat_top2_count"), "csat_n", 100.0).alias("csat_top2_pct"),
            ratio(pl.col("csat_sum"), "csat_n").alias("csat_mean"),
            ratio(pl.col("ces_sum"), "ces_n").alias("ces_mean"),
            ratio(pl.col("ces_easy_count"), "ces_n", 100.0).alias("ces_easy_pct"),
            pl.when(pl.all_horizontal([s.is_not_null() for s in item_scores]))
            .then(pl.mean_horizontal(item_scores))
            .otherwise(None)
            .alias("acsi_index_equal"),
            pl.lit(None, dtype=pl.Float64).alias("acsi_index_model"),
            ratio(pl.col("complaint_survey_yes"), "complaint_survey_n", 100.0).alias("complaint_rate_survey_pct"),
            (pl.col("nps_n") < low_sample_n).alias("low_sample"),
        )
    )
    prev = cells.select(
        "site_id",
        pl.col("month").dt.offset_by("1mo").alias("month"),
        pl.col("nps").alias("nps_prev"),
        pl.col("nps_se").alias("nps_se_prev"),
    )
    out = (
        cells.join(prev, on=KEYS, how="left")
        .with_columns(nps_delta=pl.col("nps") - pl.col("nps_prev"))
        .with_columns(nps_change_significant=nps_change_significant(z=z))
    )
    sat_cols = [c for q in sat_ids for c in (f"{q}_n", f"{q}_sum")]
    columns = [
        "month", "site_id", "nps_n", "promoters", "passives", "detractors", "nps", "nps_se", "nps_ci_low",
        "nps_ci_high", "nps_prev", "nps_delta", "nps_change_significant", "csat_n", "csat_top2_count",
        "csat_sum", "csat_top2_pct", "csat_mean", "ces_n", "ces_easy_count", "ces_sum", "ces_mean",
        "ces_easy_pct", *sat_cols, "acsi_index_equal", "acsi_index_model", "complaint_survey_n",
        "complaint_survey_yes", "complaint_rate_survey_pct", "low_sample",
    ]  # fmt: skip
    return keep_months(out.select(columns), months).sort(KEYS)
