"""Typed landing frame of the survey feed.

Grain: one row per answered question as delivered (wide exports are melted by
``csi.ingest`` first). Rules: /work/shared/spec/CONTRACT.md "surveys" and
METRICS.md section 1. The survey rules that need the instrument catalog
(question_id in the catalog, answer on the question's scale, text vs numeric
questions) are declared below as polars expressions (``catalog_columns``,
``catalog_rules``); they and uniqueness of (response_id, question_id) within a
drop are batch rules applied by ``csi.validation``. The model declares types,
nullability and the reserved site id (``site_id:reserved``).
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from schemas._common import Timestamp, not_reserved_site

KEY = ("response_id", "question_id")
REQUIRED = ("response_id", "question_id", "site_id", "submitted_at")
CROSS_FIELD: dict[str, pl.Expr] = {}


class LandingSurveys(pa.DataFrameModel):
    """One row per answered question as delivered (CONTRACT.md, surveys)."""

    response_id: pl.String = pa.Field(nullable=False)
    question_id: pl.String = pa.Field(nullable=False)
    customer_id: pl.String = pa.Field(nullable=True)  # anonymous responses
    site_id: pl.String = pa.Field(nullable=False)
    submitted_at: Timestamp = pa.Field(nullable=False)
    channel: pl.String = pa.Field(nullable=True)
    answer: pl.Float64 = pa.Field(nullable=True)  # null for text questions
    answer_text: pl.String = pa.Field(nullable=True)

    class Config:
        strict = False  # lineage columns ride along
        coerce = False

    @pa.check("site_id", name="reserved")
    def _site_id(cls, data: PolarsData) -> pl.LazyFrame:
        return not_reserved_site(data)


def catalog_columns(catalog: pl.DataFrame) -> list[pl.Expr]:
    """Per-row question facts (_is_text, _min, _max) from the catalog; null for an unknown question.

    ``catalog``: csi.catalog.load_catalog frame (question_id unique, scale_min, scale_max, is_text).
    """
    q = pl.col("question_id")
    keys = catalog["question_id"]
    return [
        q.replace_strict(keys, catalog["is_text"], default=None, return_dtype=pl.Boolean).alias("_is_text"),
        q.replace_strict(keys, catalog["scale_min"], default=None, return_dtype=pl.Float64).alias("_min"),
        q.replace_strict(keys, catalog["scale_max"], default=None, return_dtype=pl.Float64).alias("_max"),
    ]


def catalog_rules(answer_unparsed: pl.Expr) -> dict[str, pl.Expr]:
    """Reason code -> expression true where the row fails, over a frame with catalog_columns.

    Rows whose question is unknown get only question_id:not_in_catalog; an
    unparseable answer gets only answer:not_a_number (never also answer:missing).
    """
    known = pl.col("_is_text").is_not_null()
    numeric = known & ~pl.col("_is_text")
    text_q = known & pl.col("_is_text")
    answer = pl.col("answer")
    off_scale = (answer != answer.floor()) | (answer < pl.col("_min")) | (answer > pl.col("_max"))
    return {
        "question_id:not_in_catalog": pl.col("question_id").is_not_null() & ~known,
        "answer:missing": numeric & answer.is_null() & ~answer_unparsed,
        "answer:out_of_scale": numeric & off_scale,
        "answer:not_null_for_text": text_q & answer.is_not_null(),
        "answer_text:missing": text_q & pl.col("answer_text").is_null(),
    }
