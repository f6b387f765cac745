"""mart_kano_quarterly: KANO category counts, modal category and Berger's coefficients.

Grain: one row per quarter (Date, first day of the quarter) x feature with at least
one classified response, all sites pooled. Formula source: METRICS.md section 4.
- Features and which question is functional / dysfunctional come from the catalog
  (instrument 'kano', columns feature and kind).
- A response belongs to the quarter of its own submitted_at (the latest of its
  answers, as fct_survey_response); it counts for a feature only when it has both
  a functional and a dysfunctional answer (facts hold valid answers only).
- The evaluation table is data (`EVALUATION_TABLE`, 5 x 5), joined on (f, d).
- category = the most frequent of A, O, M, I, R, Q, ties broken M > O > A > I > R > Q.
- better = (A + O) / (A + O + M + I); worse = -(O + M) / (A + O + M + I); null when
  A + O + M + I = 0.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms._satisfaction_common import quarter_start, require_columns

# Row: functional answer 1..5; column (character position): dysfunctional answer 1..5.
_TABLE_ROWS = {1: "QAAAO", 2: "RIIIM", 3: "RIIIM", 4: "RIIIM", 5: "RRRRQ"}
EVALUATION_TABLE = pl.DataFrame(
    [(f, d + 1, row[d]) for f, row in _TABLE_ROWS.items() for d in range(5)],
    schema={"f": pl.Int64, "d": pl.Int64, "category": pl.String},
    orient="row",
)
TIE_BREAK = ["M", "O", "A", "I", "R", "Q"]
COLUMNS = (
    "quarter", "feature", "n", "a_count", "o_count", "m_count", "i_count", "r_count", "q_count", "category",
    "better", "worse",
)  # fmt: skip


def build_kano_quarterly(
    answers: pl.LazyFrame, catalog: pl.LazyFrame, quarters: list[date] | None = None
) -> pl.LazyFrame:
    """mart_kano_quarterly from fct_survey_answer and the catalog; `quarters` limits output rows."""
    require_columns(answers, ["response_id", "question_id", "submitted_at", "answer"], "fct_survey_answer")
    cat = catalog.lazy()
    require_columns(cat, ["question_id", "instrument", "feature", "kind"], "catalog")
    cat = cat.filter((pl.col("instrument") == "kano") & pl.col("kind").is_in(["functional", "dysfunctional"])).select(
        "question_id", "feature", "kind"
    )
    answered = (
        answers.with_columns(quarter=quarter_start(pl.col("submitted_at").max().over("response_id")))
        .join(cat, on="question_id", how="inner")
        .filter(pl.col("answer").is_not_null())
        .select("response_id", "quarter", "feature", "kind", v=pl.col("answer").cast(pl.Int64))
    )
    keys = ["response_id", "quarter", "feature"]
    pairs = (
        answered.filter(pl.col("kind") == "functional")
        .select(*keys, f="v")
        .join(answered.filter(pl.col("kind") == "dysfunctional").select(*keys, d="v"), on=keys, how="inner")
        .join(EVALUATION_TABLE.lazy(), on=["f", "d"], how="inner")
    )
    counts = [(pl.col("category") == c).sum().cast(pl.Int64).alias(f"{c.lower()}_count") for c in "AOMIRQ"]
    top = pl.max_horizontal([pl.col(f"{c.lower()}_count") for c in TIE_BREAK])
    category = pl.when(pl.lit(False)).then(pl.lit(None, dtype=pl.String))
    for c in TIE_BREAK:
        category = category.when(pl.col(f"{c.lower()}_count") == top).then(pl.lit(c))
    base = pl.col("a_count") + pl.col("o_count") + pl.col("m_count") + pl.col("i_count")
    out = (
        pairs.group_by("quarter", "feature")
        .agg(pl.len().cast(pl.Int64).alias("n"), *counts)
        .with_columns(
            category=category,
            better=pl.when(base > 0).then((pl.col("a_count") + pl.col("o_count")) / base),
            worse=pl.when(base > 0).then(-(pl.col("o_count") + pl.col("m_count")) / base),
        )
        .with_columns(pl.col("better", "worse").cast(pl.Float64))
        .select(COLUMNS)
    )
    if quarters is not None:
        firsts = sorted({date(q.year, (q.month - 1) // 3 * 3 + 1, 1) for q in quarters})
        out = out.filter(pl.col("quarter").is_in(pl.lit(firsts, dtype=pl.List(pl.Date)).explode()))
    return out.sort("quarter", "feature")
