"""Great Expectations on the warehouse: a clean run passes, a broken table names its rule and values."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy.engine import make_url

from csi.quality.checkpoint import run_checks
from csi.settings import load_settings
from csi.warehouse.engine import Warehouse
from tests.pipeline import landing
from tests.pipeline.landing import DATES
from tests.pipeline.runs import run_dates


def test_clean_warehouse_passes_and_writes_data_docs(wh_env, tmp_path, monkeypatch):
    monkeypatch.setenv("CSI_DATA_DOCS_DIR", str(tmp_path / "docs"))
    landing.build(wh_env["landing"])
    run_dates(DATES)
    result = run_checks(load_settings())
    assert result.success, result.failed
    assert result.checked > 30
    assert result.data_docs and result.data_docs.is_file()
    if wh_env["url"].startswith("duckdb"):  # GX let go of the file: another process can write it
        path = wh_env["url"].removeprefix("duckdb:///")
        subprocess.run([sys.executable, "-c", f"import duckdb; duckdb.connect({path!r}).close()"], check=True)
    password = make_url(wh_env["url"]).password
    if password:  # the PostgreSQL server of the tests has one: it must not reach the HTML
        assert not [p for p in (tmp_path / "docs").rglob("*") if p.is_file() and password.encode() in p.read_bytes()]


def test_duplicate_key_and_bad_reconciliation_fail_by_name(wh_env, tmp_path, monkeypatch):
    monkeypatch.setenv("CSI_DATA_DOCS_DIR", str(tmp_path / "docs"))
    landing.build(wh_env["landing"])
    run_dates(DATES)
    wh = Warehouse(wh_env["url"])
    with wh.transaction() as tx:
        if not tx.is_duckdb:  # PostgreSQL enforces the declared key itself: remove it to break the table
            tx.execute("ALTER TABLE fct_complaint DROP CONSTRAINT pk_fct_complaint")
        tx.execute("INSERT INTO fct_complaint SELECT * FROM fct_complaint")  # duplicate key
        tx.execute("INSERT INTO fct_survey_response (response_id, customer_id, site_id, submitted_at, "
                   "submitted_date, channel, answer_count, nps_answer, nps_class) SELECT 'RX', NULL, 'S1', "
                   "submitted_at, submitted_date, channel, 1, 11, 'fan' FROM fct_survey_response LIMIT 1")
        tx.execute("DELETE FROM stg_sales_line WHERE record_no = 1")
    wh.dispose()
    result = run_checks(load_settings())
    assert not result.success
    # the landing has one complaint, K1; doubling the table gives two rows of it
    assert "fct_complaint.complaint_id: unique (2 rows, e.g. 'K1')" in result.failed
    assert "fct_survey_response.nps_answer: values between 0 and 10 (1 row, e.g. 11)" in result.failed
    assert ("fct_survey_response.nps_class: values in (promoter, passive, detractor) (1 row, e.g. 'fan')"
            in result.failed)
    # landing.build: drop 1 loads O1/1, O1/2, O2/1 (O3 has quantity 0: quarantined), drop 2 O4/1, O2/1,
    # O5/1 (its pos_copy.csv is a duplicate file); each loses its record 1
    assert ("stg_sales_line.drop_date=2026-01-30: rows equal ops_pipeline_run.sales_rows_loaded "
            "(3 loaded, 2 staged)") in result.failed
    assert ("stg_sales_line.drop_date=2026-01-31: rows equal ops_pipeline_run.sales_rows_loaded "
            "(3 loaded, 2 staged)") in result.failed
    expected = ("fct_complaint.complaint_id:", "fct_survey_response.nps_", "stg_sales_line.drop_date=2026-01-3")
    assert all(f.startswith(expected) for f in result.failed), result.failed
