"""The fact models accept well-formed facts and reject broken ones."""

from __future__ import annotations

from datetime import date, datetime

import pandera.polars as pa
import polars as pl
import pytest

from schemas.facts import FctComplaint, FctSales, FctSurveyAnswer, FctSurveyResponse
from tests.validation.helpers import run
from tests.validation.test_complaint_rules import GOOD as COMPLAINT
from tests.validation.test_sales_rules import GOOD as SALE
from tests.validation.test_survey_rules import GOOD as ANSWER


def _sales() -> pl.DataFrame:
    valid = run("sales", [SALE, {**SALE, "line_no": "2"}]).valid
    return valid.with_columns(order_date=pl.col("ordered_at").dt.date(), margin=pl.col("revenue") - pl.col("cost"))


def test_fct_sales_accepts_and_rejects():
    FctSales.validate(_sales())
    with pytest.raises(pa.errors.SchemaErrors):
        FctSales.validate(_sales().with_columns(line_no=pl.lit(1, pl.Int64)), lazy=True)
    with pytest.raises(pa.errors.SchemaErrors):
        FctSales.validate(_sales().with_columns(margin=pl.lit(0.0)), lazy=True)


def test_fct_survey_answer_and_response():
    answers = run("surveys", [ANSWER]).valid.with_columns(submitted_date=pl.col("submitted_at").dt.date())
    FctSurveyAnswer.validate(answers)
    response = pl.DataFrame(
        {
            "response_id": ["R1"],
            "customer_id": [None],
            "site_id": ["S1"],
            "submitted_at": [datetime(2026, 1, 5, 9)],
            "submitted_date": [date(2026, 1, 5)],
            "channel": ["email"],
            "answer_count": [1],
            "nps_answer": [9],
            "nps_class": ["promoter"],
        },  # fmt: skip
        schema_overrides={"customer_id": pl.String, "submitted_at": pl.Datetime("us")},
    )
    FctSurveyResponse.validate(response)
    with pytest.raises(pa.errors.SchemaErrors):
        FctSurveyResponse.validate(response.with_columns(nps_class=pl.lit(None, pl.String)), lazy=True)


def test_fct_complaint():
    fact = (
        run("complaints", [COMPLAINT])
        .valid.rename({"resolved": "is_resolved"})
        .with_columns(
            resolution_hours=pl.lit(24.0),
            first_response_hours=pl.lit(1.0),
            version_count=pl.lit(1, pl.Int64),
        )
    )
    FctComplaint.validate(fact)
    with pytest.raises(pa.errors.SchemaErrors):
        FctComplaint.validate(fact.with_columns(closed_at=pl.lit(None, pl.Datetime("us"))), lazy=True)
