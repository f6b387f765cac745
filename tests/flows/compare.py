"""What the flow tests compare: the dates of the small landing zone, the tables whose digests
must match a reference run, and the statuses of a RunResult (a fixture module)."""

from __future__ import annotations

from tests.conftest import table_digest
from tests.pipeline.landing import DATES

START, END = DATES[0].isoformat(), DATES[-1].isoformat()
COMPARED = ("fct_sales", "fct_survey_answer", "fct_survey_response", "fct_complaint", "stg_sales_line",
            "stg_survey_answer", "stg_complaint_version", "dim_date", "dim_site", "dim_customer",
            "ops_quarantine", "ops_ingested_file")


def digests(url: str) -> dict[str, str]:
    return {t: table_digest(url, t) for t in COMPARED}


def statuses(result) -> dict[str, str]:
    return {r.business_date.isoformat(): r.status for r in result.dates}
