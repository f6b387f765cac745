"""The frames the alert rules read (csi.alerts.evaluate, METRICS 9): one function per input,
each a LazyFrame typed by its table, so the evaluation holds no SQL."""

from __future__ import annotations

import polars as pl

from csi.vocab import SOURCES
from csi.warehouse import tables_marts_satisfaction as sat
from csi.warehouse.engine import Tx
from csi.warehouse.runs import holding_runs
from csi.warehouse.tables_alerts import MART_ALERTS


def satisfaction_cells(tx: Tx) -> pl.LazyFrame:
    """Every (month, site) of mart_satisfaction_monthly with the NPS and CSAT figures nps_drop and
    csat_drop compare."""
    return tx.read_table(sat.MART_SATISFACTION_MONTHLY, columns=(
        "month", "site_id", "nps_n", "nps", "nps_prev", "nps_delta", "nps_change_significant", "csat_n",
        "csat_top2_count")).lazy()


def complaint_cells(tx: Tx) -> pl.LazyFrame:
    """Every (month, site) of mart_complaints_monthly with what sla_breach and backlog_growth read."""
    return tx.read_table(sat.MART_COMPLAINTS_MONTHLY, columns=(
        "month", "site_id", "closed_count", "sla_met_pct", "open_at_month_end")).lazy()


def run_counts(tx: Tx) -> pl.LazyFrame:
    """business_date plus <source>_rows_read and <source>_rows_quarantined of the run whose rows each
    date holds (loaded, refreshed or success: the alerts are evaluated before the publish)."""
    columns = [f"{s}_rows_{kind}" for s in SOURCES for kind in ("read", "quarantined")]
    return holding_runs(tx, columns).lazy()


def delivered_feeds(tx: Tx) -> pl.LazyFrame:
    """(drop_date, source) of every drop that held at least one file of the source."""
    return tx.read("SELECT DISTINCT drop_date, source FROM ops_ingested_file",
                   schema={"drop_date": pl.Date, "source": pl.String}).lazy()


def high_risk_customers(tx: Tx) -> pl.LazyFrame:
    """The high-risk rows of every churn snapshot with the customer's value tier and clv_365d of the
    same snapshot (null when the customer is not in mart_customer_value)."""
    return tx.read(
        "SELECT s.as_of_date, s.customer_id, s.risk_band, v.value_tier, v.clv_365d FROM mart_churn_signals s "
        "LEFT JOIN mart_customer_value v ON v.as_of_date = s.as_of_date AND v.customer_id = s.customer_id "
        "WHERE s.risk_band = 'high'",
        schema={"as_of_date": pl.Date, "customer_id": pl.String, "risk_band": pl.String,
                "value_tier": pl.String, "clv_365d": pl.Float64}).lazy()


def churn_snapshot_dates(tx: Tx) -> pl.LazyFrame:
    """as_of_date of every churn snapshot."""
    return tx.read("SELECT DISTINCT as_of_date FROM mart_churn_signals", schema={"as_of_date": pl.Date}).lazy()


def stored_alerts(tx: Tx) -> pl.DataFrame:
    """Every row of mart_alerts (the merge's previous state)."""
    return tx.read_table(MART_ALERTS)
