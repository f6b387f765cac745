"""mart_topics_monthly: topic volume, sentiment and NPS impact per site x month x source x topic.

Formula source: METRICS.md section 13 (section 2 for NPS, section 0 for months and 'ALL').
Input `texts` (fct_text): text_id, source ('survey' | 'complaint'), response_id (survey
texts), site_id, written_at (the answer's submitted_at / the complaint's opened_at),
sentiment, sentiment_label, topics (List[String]). `responses` (fct_survey_response):
response_id, nps_answer. The month is that of written_at.
- Cells: every site x month x source with at least one text; each cell gets a row per
  topic of `topic_ids` and per other topic found in its month (mentions 0 included).
- texts: texts of the cell; mentions: texts with the topic; share_pct = 100 * mentions /
  texts; sentiment_sum and sentiment_mean over the mentions; negative_count (mentions
  labelled negative) and negative_pct = 100 * negative_count / mentions.
- Survey cells only (complaint rows carry nulls): over the cell's commented responses
  with an NPS answer, split by whether the response's comment mentions the topic (a
  response with several texts counts once, mentioning a topic if any of them does):
  nps_with_n / _promoters / _detractors and nps_with, the same for nps_without, and
  nps_impact = nps_with - nps_without (null when either is null).
- site_id 'ALL': the sum of the sites' counts and sums (all additive: a text and a
  response belong to one site), ratios recomputed from them.
Zero denominators give null.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms._satisfaction_common import add_all_sites, keep_months, month_start, require_columns
from transforms.float_sums import stable_sum
from transforms.nps import nps_score

KEYS = ["month", "site_id", "source", "topic_id"]
# fmt: off
COLUMNS = KEYS + [
    "texts", "mentions", "share_pct", "sentiment_sum", "sentiment_mean", "negative_count", "negative_pct",
    "nps_with_n", "nps_with_promoters", "nps_with_detractors", "nps_with",
    "nps_without_n", "nps_without_promoters", "nps_without_detractors", "nps_without", "nps_impact",
]
# fmt: on
_NPS_PARTS = ["n", "promoters", "detractors"]


def _ratio(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(100.0 * pl.col(num) / pl.col(den))


def build_topics_monthly(
    texts: pl.LazyFrame,
    responses: pl.LazyFrame,
    topic_ids: list[str] | None = None,
    months: list[date] | None = None,
) -> pl.LazyFrame:
    """mart_topics_monthly from fct_text and fct_survey_response."""
    require_columns(
        texts,
        ["text_id", "source", "response_id", "site_id", "written_at", "sentiment", "sentiment_label", "topics"],
        "fct_text",
    )
    require_columns(responses, ["response_id", "nps_answer"], "fct_survey_response")
    t = texts.filter(pl.col("written_at").is_not_null()).with_columns(
        month=month_start("written_at"), site_id=pl.col("site_id").cast(pl.String)
    )
    cell = ["month", "site_id", "source"]
    cells = t.group_by(cell).agg(texts=pl.len().cast(pl.Int64))
    found = t.select("month", topic_id=pl.col("topics")).explode("topic_id").drop_nulls("topic_id").unique()
    listed = pl.DataFrame({"topic_id": list(dict.fromkeys(topic_ids or []))}, schema={"topic_id": pl.String}).lazy()
    topics_per_month = pl.concat([cells.select("month").unique().join(listed, how="cross"), found]).unique()
    grid = cells.join(topics_per_month, on="month")
    mentioned = (
        t.select(*cell, "sentiment", "sentiment_label", topic_id=pl.col("topics").list.unique())
        .explode("topic_id")
        .drop_nulls("topic_id")
        .group_by(*cell, "topic_id")
        .agg(
            mentions=pl.len().cast(pl.Int64),
            sentiment_sum=stable_sum(pl.col("sentiment")),
            negative_count=(pl.col("sentiment_label") == "negative").sum().cast(pl.Int64),
        )
    )
    # Survey responses: one row per commented response with an NPS answer, its topics pooled.
    answered = responses.filter(pl.col("nps_answer").is_not_null()).select(
        "response_id", nps=pl.col("nps_answer").cast(pl.Int64)
    )
    per_response = (
        t.filter((pl.col("source") == "survey") & pl.col("response_id").is_not_null())
        .group_by(*cell, "response_id")
        .agg(topics=pl.col("topics").list.explode(keep_nulls=False, empty_as_null=False).unique())
        .join(answered, on="response_id", how="inner")
        .with_columns(is_promoter=pl.col("nps") >= 9, is_detractor=pl.col("nps") <= 6)
    )
    counts = [
        pl.len().cast(pl.Int64).alias("n"),
        pl.col("is_promoter").sum().cast(pl.Int64).alias("promoters"),
        pl.col("is_detractor").sum().cast(pl.Int64).alias("detractors"),
    ]
    nps_cell = per_response.group_by(cell).agg([c.name.prefix("cell_") for c in counts])
    nps_with = (
        per_response.explode("topics")
        .drop_nulls("topics")
        .rename({"topics": "topic_id"})
        .group_by(*cell, "topic_id")
        .agg([c.name.prefix("nps_with_") for c in counts])
    )
    out = (
        grid.join(mentioned, on=KEYS, how="left")
        .join(nps_with, on=KEYS, how="left")
        .join(nps_cell, on=cell, how="left")
        .with_columns(
            pl.col("mentions", "negative_count").fill_null(0),
            pl.col("sentiment_sum").fill_null(0.0),
            *(
                pl.when(pl.col("source") == "survey").then(pl.col(f"nps_with_{p}").fill_null(0)).alias(f"nps_with_{p}")
                for p in _NPS_PARTS
            ),
            *(
                pl.when(pl.col("source") == "survey").then(pl.col(f"cell_{p}").fill_null(0)).alias(f"cell_{p}")
                for p in _NPS_PARTS
            ),
        )
        .with_columns((pl.col(f"cell_{p}") - pl.col(f"nps_with_{p}")).alias(f"nps_without_{p}") for p in _NPS_PARTS)
        .select(
            *KEYS,
            "texts",
            "mentions",
            "sentiment_sum",
            "negative_count",
            *(f"nps_{w}_{p}" for w in ("with", "without") for p in _NPS_PARTS),
        )
    )
    out = add_all_sites(out, ["month", "source", "topic_id"])
    # The sum over sites turns the complaint rows' null NPS parts into 0: keep them null.
    out = (
        out.with_columns(
            pl.when(pl.col("source") == "survey").then(pl.col(f"nps_{w}_{p}")).alias(f"nps_{w}_{p}")
            for w in ("with", "without")
            for p in _NPS_PARTS
        )
        .with_columns(
            share_pct=_ratio("mentions", "texts"),
            sentiment_mean=pl.when(pl.col("mentions") > 0).then(pl.col("sentiment_sum") / pl.col("mentions")),
            negative_pct=_ratio("negative_count", "mentions"),
            nps_with=nps_score("nps_with_promoters", "nps_with_detractors", "nps_with_n"),
            nps_without=nps_score("nps_without_promoters", "nps_without_detractors", "nps_without_n"),
        )
        .with_columns(nps_impact=pl.col("nps_with") - pl.col("nps_without"))
    )
    return keep_months(out.select(COLUMNS), months).sort(KEYS)
