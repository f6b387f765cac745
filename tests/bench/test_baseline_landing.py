"""The plain-SQL baseline reads, validates and de-duplicates the landing files itself."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from bench import baseline_landing as bl
from csi.catalog import load_catalog
from csi.settings import load_settings


@pytest.fixture(scope="module")
def result(tiny_landing):
    settings = load_settings(landing_dir=tiny_landing)
    return bl.run(tiny_landing, date(2024, 1, 1), date(2024, 1, 2), settings.instrument_catalog, settings)


def test_files_read_once_unreadable_skipped_gb18030_recoded(result):
    # 7 files: the resend has the bytes of store_1.csv, the parquet has no PAR1 magic, the GB18030
    # CSV and the BOM-carrying wide export are re-encoded
    assert result["files"] == {"files": 7, "duplicate": 1, "unreadable": 1, "recoded": 2}


def test_validation_and_latest_delivery(result):
    rows = result["rows"]
    # O2 (key twice in its drop), O3 (quantity 0), O4 (revenue 9 != 5) are rejected; O1 once
    assert rows["fct_sales"] == 1
    # R1 nps + csat, R2 csat (its nps 11 is off the scale); two responses
    assert rows["fct_survey_answer"] == 3
    assert rows["fct_survey_response"] == 2
    # K1's later version wins; K2's severity 7 is rejected
    assert rows["fct_complaint"] == 1
    # customers seen by 2024-01-02: C1 (sales, survey, complaint), C2 (survey)
    assert rows["m_customer_value"] == 2
    assert rows["m_whale_curve"] == 20  # points 5, 10, ..., 100


def test_latest_delivery_values(tiny_landing):
    settings = load_settings(landing_dir=tiny_landing)
    con = duckdb.connect()
    catalog = load_catalog(settings.instrument_catalog)
    con.register("catalog_frame", catalog)
    con.execute("CREATE TABLE catalog AS SELECT * FROM catalog_frame")
    files, _ = bl.discover(tiny_landing, date(2024, 1, 1), date(2024, 1, 2), tiny_landing.parent)
    for statement in bl.ingest_sql(con, files, catalog["question_id"].to_list(), datetime(2024, 1, 3)).values():
        con.execute(statement)
    # the 2024-01-02 delivery of O1: quantity 1, revenue 10, margin 10 - 5, its category decoded from GB18030
    assert con.execute("SELECT quantity, revenue, margin, product_category FROM fct_sales").fetchall() == [
        (1, 10.0, 5.0, "玩具")]
    assert con.execute("SELECT status, is_resolved, compensation FROM fct_complaint").fetchall() == [
        ("closed", True, 5.0)]
    assert con.execute("SELECT response_id, nps_answer FROM fct_survey_response ORDER BY 1").fetchall() == [
        ("R1", 9), ("R2", None)]
    con.close()
