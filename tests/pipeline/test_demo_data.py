"""The whole path on generated demo data (a year of history in the first drop, as the
demo has): quarantine equals the planted bad records, every file reconciles, every
table is filled, and the churn score predicts who stops buying."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
import pytest

from csi.alerts.evaluate import evaluate
from csi.generate import generate
from csi.pipeline import handle, steps
from csi.settings import load_settings
from csi.warehouse.tables import TABLES
from tests.conftest import read_table
from tests.pipeline.runs import load_and_refresh

# The demo's seed, start and history at half its customers. 91 days: the first snapshot
# is the one date whose 90-day outcome window is complete. History from before START
# also arrives late in January drops, so late arrivals fall in an earlier month.
START, DAYS, HISTORY_DAYS = date(2026, 1, 1), 91, 365


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    generate(root / "landing", customers=1000, days=DAYS, seed=7, start_date=START, history_days=HISTORY_DAYS)
    url = f"duckdb:///{root / 'wh.duckdb'}"
    mp = pytest.MonkeyPatch()
    mp.setenv("CSI_LANDING_DIR", str(root / "landing"))
    mp.setenv("CSI_WORK_DIR", str(root / "work"))
    mp.setenv("CSI_WAREHOUSE_URL", url)
    settings = load_settings()
    wh = handle.open_warehouse(settings)
    dates = [START + timedelta(days=i) for i in range(DAYS)]
    ran, run_ids = load_and_refresh(wh, settings, dates, now=steps_now())
    assert ran == dates
    steps.finish_runs(wh, settings, run_ids)  # as the flow does once checks and publish passed
    evaluate(settings, run_ids[-1], wh)  # then the alerts, as the flow does
    wh.dispose()
    yield {"root": root, "url": url}
    mp.undo()


def steps_now():
    from datetime import datetime

    return datetime(2026, 11, 1)


def test_quarantine_holds_exactly_the_planted_bad_records(demo):
    manifest = pl.read_csv(demo["root"] / "landing/_manifest/bad_records.csv", schema_overrides={"record_no": pl.Int64})
    got = read_table(demo["url"], "SELECT source, source_file, record_no, reasons FROM ops_quarantine "
                                  "WHERE record_no IS NOT NULL")
    key = ["source", "source_file", "record_no", "reasons"]
    assert got.height == manifest.height > 0
    assert got.sort(key).rows() == manifest.select(key).sort(key).rows()


def test_corrupt_file_is_quarantined_whole_and_duplicate_is_skipped(demo):
    files = json.loads((demo["root"] / "landing/_manifest/files.json").read_text())
    [corrupt], [dup] = files["unreadable"], files["duplicates"]
    whole = read_table(demo["url"], "SELECT source_file, reasons FROM ops_quarantine WHERE record_no IS NULL")
    assert whole["source_file"].to_list() == [corrupt["source_file"]]
    assert whole["reasons"][0].startswith("file:unreadable (cannot read parquet")
    ingested = read_table(demo["url"], "SELECT status, duplicate_of, rows FROM ops_ingested_file "
                                       f"WHERE file_path = '{dup['source_file']}'")
    assert ingested.rows() == [("duplicate", dup["duplicate_of"], 0)]


def test_every_file_reconciles(demo):
    """rows read = rows staged + rows quarantined, file by file."""
    check = read_table(demo["url"], """
        SELECT f.file_path, f.rows,
               coalesce(s.n, 0) + coalesce(a.n, 0) + coalesce(c.n, 0) AS staged, coalesce(q.n, 0) AS quarantined
        FROM ops_ingested_file f
        LEFT JOIN (SELECT source_file, count(*) n FROM stg_sales_line GROUP BY 1) s ON s.source_file = f.file_path
        LEFT JOIN (SELECT source_file, count(*) n FROM stg_survey_answer GROUP BY 1) a ON a.source_file = f.file_path
        LEFT JOIN (SELECT source_file, count(*) n FROM stg_complaint_version GROUP BY 1) c
               ON c.source_file = f.file_path
        LEFT JOIN (SELECT source_file, count(*) n FROM ops_quarantine WHERE record_no IS NOT NULL GROUP BY 1) q
               ON q.source_file = f.file_path
        WHERE f.status = 'ingested'""")
    assert check.height > 50
    bad = check.filter(pl.col("rows") != pl.col("staged") + pl.col("quarantined"))
    assert bad.height == 0, bad


def test_every_table_is_filled(demo):
    empty = [t.name for t in TABLES
             if t.name != "ops_dirty_period"
             and not t.name.startswith("ops_pending_")  # consumed by the refresh (checked below)
             and read_table(demo["url"], f"SELECT count(*) AS n FROM {t.name}").item() == 0]
    assert empty == []
    pending = [t.name for t in TABLES if t.name.startswith("ops_pending_")
               and read_table(demo["url"], f"SELECT count(*) AS n FROM {t.name}").item() > 0]
    assert pending == [], "the refresh consumes every pending key"
    runs = read_table(demo["url"], "SELECT status, count(*) AS n FROM ops_pipeline_run GROUP BY 1")
    assert runs.rows() == [("success", DAYS)]


def test_bi_views(demo):
    latest = read_table(demo["url"], "SELECT DISTINCT as_of_date FROM mart_customer_value_latest")
    assert latest.rows() == [(START + timedelta(days=DAYS - 1),)]
    declining = read_table(demo["url"], "SELECT DISTINCT value_tier, risk_band FROM v_declining_valuable_customers")
    assert set(declining.rows()) <= {("platinum", "high"), ("gold", "high")}
    expected = read_table(demo["url"], "SELECT count(*) FROM mart_churn_signals s JOIN mart_customer_value v "
                                       "USING (as_of_date, customer_id) WHERE s.risk_band = 'high' "
                                       "AND v.value_tier IN ('platinum', 'gold')").item()
    assert read_table(demo["url"], "SELECT count(*) FROM v_declining_valuable_customers").item() == expected
    kano = read_table(demo["url"], "SELECT DISTINCT category, category_label FROM v_mart_kano_quarterly")
    labels = {"A": "attractive", "O": "one-dimensional", "M": "must-be", "I": "indifferent", "R": "reverse",
              "Q": "questionable"}
    assert all(labels[c] == label for c, label in kano.rows())


def test_history_arrives_in_the_first_drop(demo):
    """The history export lands with the first business date; snapshots start there."""
    first = read_table(demo["url"], "SELECT min(order_date) AS d FROM fct_sales").item()
    assert START - timedelta(days=HISTORY_DAYS) <= first < START - timedelta(days=HISTORY_DAYS - 7)
    drops = read_table(demo["url"], "SELECT drop_date, count(*) AS n FROM fct_sales "
                                    f"WHERE order_date < DATE '{START}' GROUP BY 1 ORDER BY 1")
    assert drops["drop_date"][0] == START and drops["n"][0] > 0.95 * drops["n"].sum()
    assert drops["drop_date"].max() <= START + timedelta(days=20)  # late arrivals only
    snapshots = read_table(demo["url"], "SELECT min(as_of_date) AS lo, count(DISTINCT as_of_date) AS n "
                                        "FROM mart_customer_value")
    assert snapshots.row(0) == (START, DAYS)


def test_churn_score_predicts_who_stops_buying(demo):
    """The demo's design (dissatisfied customers churn more and sour first; a year of
    history so rhythms are known) must give the backtest something to find: an AUC
    clearly above 0.5 and churn rates rising from band to band. Over four seeds and two
    start dates this first snapshot's AUC measured 0.57-0.66 at 1000 customers
    (docs/customer-value.md); this seed, the demo's, gives 0.649."""
    rows = read_table(demo["url"], "SELECT as_of_date, risk_band, customers, churned, churn_rate_pct, auc "
                                   "FROM mart_churn_backtest")
    assert rows["as_of_date"].unique().to_list() == [START]
    band = {r["risk_band"]: r for r in rows.iter_rows(named=True)}
    assert band["ALL"]["customers"] > 400
    assert band["ALL"]["auc"] > 0.6
    assert band["low"]["churn_rate_pct"] < band["medium"]["churn_rate_pct"] < band["high"]["churn_rate_pct"]
    assert band["high"]["churn_rate_pct"] > 2 * band["low"]["churn_rate_pct"]
