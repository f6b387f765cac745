"""What the insight report reads (csi.report.build): one function per read, each returning the
rows (typed by the table's declaration) or the newest period on or before a date. The report
decides what to show and in which order; this module only knows where the rows are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl

from csi.vocab import sql_values
from csi.warehouse.engine import Tx
from csi.warehouse.tables import BY_NAME


def _rows(tx: Tx, table: str, where: str = "", params: dict[str, Any] | None = None,
          columns: Sequence[str] | None = None) -> pl.DataFrame:
    return tx.read_table(BY_NAME[table], where, params, columns)


def _newest(tx: Tx, sql: str, params: dict[str, Any]) -> date | None:
    value = tx.scalar(sql, params)
    return value if value is None or isinstance(value, date) else date.fromisoformat(str(value)[:10])


def has_table(tx: Tx, name: str) -> bool:
    # information_schema on both databases: SQLAlchemy's inspector takes a second on DuckDB
    return bool(tx.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = :t", {"t": name}))


def no_rows(tx: Tx, table: str) -> pl.DataFrame:
    """The declared table's columns without rows (a section with nothing to show)."""
    return _rows(tx, table, "1 = 0")


# runs, loads and files

def newest_success_date(tx: Tx) -> date | None:
    return _newest(tx, "SELECT max(business_date) FROM ops_pipeline_run WHERE status = 'success'", {})


def current_runs(tx: Tx, d: date) -> pl.DataFrame:
    """D's run rows except the interrupted and replaced ones."""
    return _rows(tx, "ops_pipeline_run", "business_date = :d AND status NOT IN ('interrupted', 'replaced')",
                 {"d": d})


def quarantine_reasons(tx: Tx, d: date) -> pl.DataFrame:
    """(source, reasons) of every ops_quarantine row of D's drop."""
    return _rows(tx, "ops_quarantine", "drop_date = :d", {"d": d}, ["source", "reasons"])


def files_of_drop(tx: Tx, d: date, statuses: Sequence[str]) -> pl.DataFrame:
    """D's ops_ingested_file rows in `statuses` (source, file_path, status), each with `why`: the
    reasons of its whole-file quarantine row (null without one), by path."""
    return tx.read(
        "SELECT f.source, f.file_path, f.status, q.reasons AS why FROM ops_ingested_file f "
        "LEFT JOIN ops_quarantine q ON q.drop_date = f.drop_date AND q.source_file = f.file_path "
        f"AND q.record_no IS NULL WHERE f.drop_date = :d AND f.status IN ({sql_values(tuple(statuses))}) "
        "ORDER BY f.file_path",
        {"d": d}, schema={"source": pl.String, "file_path": pl.String, "status": pl.String, "why": pl.String})


# satisfaction, SERVQUAL, Kano, the ACSI model

def newest_satisfaction_month(tx: Tx, on_or_before: date) -> date | None:
    return _newest(tx, "SELECT max(month) FROM mart_satisfaction_monthly WHERE month <= :d", {"d": on_or_before})


def satisfaction_of_month(tx: Tx, month: date) -> pl.DataFrame:
    return _rows(tx, "mart_satisfaction_monthly", "month = :m", {"m": month})


def satisfaction_between(tx: Tx, after: date, until: date) -> pl.DataFrame:
    """mart_satisfaction_monthly rows of the months after `after` up to `until` (inclusive)."""
    return _rows(tx, "mart_satisfaction_monthly", "month > :first AND month <= :m", {"first": after, "m": until})


def acsi_all_sites_status(tx: Tx, on_or_before: date) -> pl.DataFrame:
    """(quarter, status, n) of the all-sites model's quarters on or before the date."""
    return _rows(tx, "mart_acsi_model", "site_id = 'ALL' AND kind = 'status' AND quarter <= :d",
                 {"d": on_or_before}, ["quarter", "status", "n"])


def acsi_all_sites_effects_on_sat(tx: Tx, quarter: date) -> pl.DataFrame:
    """(from_construct, estimate, std_error) of the all-sites total effects on SAT in the quarter."""
    return _rows(tx, "mart_acsi_model", "site_id = 'ALL' AND kind = 'total_effect' AND to_construct = 'SAT' "
                 "AND quarter = :q", {"q": quarter}, ["from_construct", "estimate", "std_error"])


def servqual_all_sites_of_month(tx: Tx, month: date) -> pl.DataFrame:
    return _rows(tx, "mart_servqual_monthly", "month = :m AND site_id = 'ALL'", {"m": month})


def newest_kano_quarter(tx: Tx, on_or_before: date) -> date | None:
    return _newest(tx, "SELECT max(quarter) FROM mart_kano_quarterly WHERE quarter <= :d", {"d": on_or_before})


def kano_of_quarter(tx: Tx, quarter: date) -> pl.DataFrame:
    return _rows(tx, "mart_kano_quarterly", "quarter = :q", {"q": quarter})


# complaints

def complaints_of_month(tx: Tx, month: date) -> pl.DataFrame:
    return _rows(tx, "mart_complaints_monthly", "month = :m", {"m": month})


def complaints_all_sites_between(tx: Tx, after: date, until: date) -> pl.DataFrame:
    """The all-sites mart_complaints_monthly rows of the months after `after` up to `until`."""
    return _rows(tx, "mart_complaints_monthly", "site_id = 'ALL' AND month > :first AND month <= :m",
                 {"first": after, "m": until})


def recovery_of_month(tx: Tx, month: date) -> pl.DataFrame:
    return _rows(tx, "mart_service_recovery_monthly", "month = :m", {"m": month})


# customer snapshots

def newest_value_snapshot(tx: Tx, on_or_before: date) -> date | None:
    return _newest(tx, "SELECT max(as_of_date) FROM mart_customer_value WHERE as_of_date <= :d",
                   {"d": on_or_before})


def tiered_values(tx: Tx, snap: date) -> pl.DataFrame:
    """(value_tier, margin_365d, clv_365d) of the snapshot's customers that have a tier."""
    return _rows(tx, "mart_customer_value", "as_of_date = :s AND value_tier IS NOT NULL", {"s": snap},
                 ["value_tier", "margin_365d", "clv_365d"])


def whale_curve(tx: Tx, snap: date) -> pl.DataFrame:
    return _rows(tx, "mart_whale_curve", "as_of_date = :s", {"s": snap})


def risk_bands(tx: Tx, snap: date) -> pl.DataFrame:
    """risk_band of every customer of the churn snapshot."""
    return _rows(tx, "mart_churn_signals", "as_of_date = :s", {"s": snap}, ["risk_band"])


def newest_backtest(tx: Tx, on_or_before: date) -> date | None:
    return _newest(tx, "SELECT max(as_of_date) FROM mart_churn_backtest WHERE as_of_date <= :d",
                   {"d": on_or_before})


def backtest_of(tx: Tx, snap: date) -> pl.DataFrame:
    return _rows(tx, "mart_churn_backtest", "as_of_date = :s", {"s": snap})


def high_risk_valuable(tx: Tx, snap: date) -> pl.DataFrame:
    """The platinum and gold customers in the high risk band of the snapshot, with their value and
    risk figures (as v_declining_valuable_customers)."""
    return tx.read(
        "SELECT s.customer_id, v.value_tier, v.clv_365d, v.margin_365d, v.last_order_date, s.risk_score, s.reasons "
        "FROM mart_churn_signals s JOIN mart_customer_value v ON v.as_of_date = s.as_of_date "
        "AND v.customer_id = s.customer_id WHERE s.as_of_date = :s AND s.risk_band = 'high' "
        "AND v.value_tier IN ('platinum', 'gold')",
        {"s": snap},
        schema={"customer_id": pl.String, "value_tier": pl.String, "clv_365d": pl.Float64,
                "margin_365d": pl.Float64, "last_order_date": pl.Date, "risk_score": pl.Float64,
                "reasons": pl.String})


# drivers, measurement quality, CLV holdout

def newest_ok_importance_quarter(tx: Tx, on_or_before: date) -> date | None:
    """The newest quarter on or before the date where an all-sites weighting is estimated (status ok)."""
    return _newest(tx, "SELECT max(quarter) FROM mart_driver_importance WHERE site_id = 'ALL' AND status = 'ok' "
                       "AND quarter <= :d", {"d": on_or_before})


def importance_attempts(tx: Tx, on_or_before: date) -> pl.DataFrame:
    """(quarter, weighting, status) of the all-sites driver-importance rows on or before the date."""
    return _rows(tx, "mart_driver_importance", "site_id = 'ALL' AND quarter <= :d", {"d": on_or_before},
                 ["quarter", "weighting", "status"])


def importance_ok_of_quarter(tx: Tx, quarter: date) -> pl.DataFrame:
    return _rows(tx, "mart_driver_importance", "site_id = 'ALL' AND quarter = :q AND status = 'ok'", {"q": quarter})


def newest_quality_quarter(tx: Tx, on_or_before: date) -> date | None:
    return _newest(tx, "SELECT max(quarter) FROM mart_pls_quality WHERE site_id = 'ALL' AND quarter <= :d",
                   {"d": on_or_before})


def quality_all_sites_of_quarter(tx: Tx, quarter: date) -> pl.DataFrame:
    return _rows(tx, "mart_pls_quality", "site_id = 'ALL' AND quarter = :q", {"q": quarter})


def newest_clv_validation(tx: Tx, on_or_before: date) -> date | None:
    return _newest(tx, "SELECT max(as_of_date) FROM mart_clv_validation WHERE as_of_date <= :d",
                   {"d": on_or_before})


def clv_validation_of(tx: Tx, as_of: date) -> pl.DataFrame:
    return _rows(tx, "mart_clv_validation", "as_of_date = :s", {"s": as_of})


# texts

def newest_topics_month(tx: Tx, on_or_before: date) -> date | None:
    return _newest(tx, "SELECT max(month) FROM mart_topics_monthly WHERE site_id = 'ALL' AND month <= :m",
                   {"m": on_or_before})


def topics_all_sites_between(tx: Tx, first: date, last: date) -> pl.DataFrame:
    """The all-sites mart_topics_monthly rows of the months first .. last (inclusive)."""
    return _rows(tx, "mart_topics_monthly", "site_id = 'ALL' AND month >= :f AND month <= :m",
                 {"f": first, "m": last})


def sentiment_per_day(tx: Tx, first: date, end: date) -> pl.DataFrame:
    """Per source and written_date in [first, end): texts, the sum of sentiment, and the negative and
    positive texts (summed in the database: fct_text is the largest table the report reads)."""
    return tx.read(
        "SELECT source, written_date, count(*) AS texts, sum(sentiment) AS sentiment_sum, "
        "sum(CASE WHEN sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative, "
        "sum(CASE WHEN sentiment_label = 'positive' THEN 1 ELSE 0 END) AS positive "
        "FROM fct_text WHERE written_date >= :f AND written_date < :e GROUP BY source, written_date",
        {"f": first, "e": end},
        schema={"source": pl.String, "written_date": pl.Date, "texts": pl.Int64, "sentiment_sum": pl.Float64,
                "negative": pl.Int64, "positive": pl.Int64})


def most_negative_texts(tx: Tx, first: date, end: date, per_topic: int) -> pl.DataFrame:
    """Up to `per_topic` texts per topic written in [first, end), ranked `k` from 1 by sentiment (most
    negative first; ties: newest, then text id)."""
    return tx.read(
        "SELECT topic_id, k, source, site_id, written_date, sentiment, content FROM ("
        "SELECT tt.topic_id, t.source, t.site_id, t.written_date, t.sentiment, t.content, ROW_NUMBER() OVER ("
        "PARTITION BY tt.topic_id ORDER BY t.sentiment, t.written_at DESC, t.text_id) AS k "
        "FROM fct_text_topic tt JOIN fct_text t ON t.text_id = tt.text_id "
        "WHERE tt.written_date >= :f AND tt.written_date < :e) ranked WHERE k <= :k",
        {"f": first, "e": end, "k": per_topic},
        schema={"topic_id": pl.String, "k": pl.Int64, "source": pl.String, "site_id": pl.String,
                "written_date": pl.Date, "sentiment": pl.Float64, "content": pl.String})


def backtest_by_band(tx: Tx) -> pl.DataFrame:
    """mart_churn_backtest pooled over its snapshots, one row per risk_band (and ALL): snapshots,
    customers, churned, and the mean, min and max AUC."""
    return tx.read(
        "SELECT risk_band, count(*) AS snapshots, sum(customers) AS customers, sum(churned) AS churned, "
        "avg(auc) AS auc_mean, min(auc) AS auc_min, max(auc) AS auc_max FROM mart_churn_backtest GROUP BY 1",
        schema={"risk_band": pl.String, "snapshots": pl.Int64, "customers": pl.Int64, "churned": pl.Int64,
                "auc_mean": pl.Float64, "auc_min": pl.Float64, "auc_max": pl.Float64},
    )
