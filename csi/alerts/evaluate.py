"""Evaluate the METRICS 9 alert rules on the warehouse, merge them into mart_alerts, notify.

Called once after a successful run (checks passed, copy published, runs `success`;
flows/pipeline.py), under the warehouse lock. Two short transactions: the merge
(transforms.alerts.merge_alerts: idempotent by (rule, subject, period)), then,
once the notifiers answered, the delivery record. An alert is sent once: every
open row without `sent_at` goes out in one batch per notifier; when any notifier
delivered it `sent_at` is set, the others' errors stay in `delivery_error`; when
none did it is tried again by the next evaluation. A crash between sending and
recording sends that batch again next time (at least once, never silently lost).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import polars as pl

from csi.alerts.notify import notify
from csi.clock import business_now
from csi.settings import Settings
from csi.vocab import RUN_HOLDS_ROWS, sql_values
from csi.warehouse import tables_marts_satisfaction as sat
from csi.warehouse.engine import Tx, Warehouse
from csi.warehouse.tables_alerts import MART_ALERTS
from transforms import alerts as rules

log = logging.getLogger(__name__)


@dataclass
class AlertOutcome:
    open: int = 0  # rows with resolved = false after the merge
    new: int = 0  # conditions found for the first time
    resolved: int = 0  # rows that became resolved in this evaluation
    sent: int = 0  # alerts delivered now
    errors: list[str] = field(default_factory=list)  # one per failed notifier, masked


def enabled_rules(settings: Settings) -> list[str]:
    return [r for r in rules.RULES if getattr(settings.alerts, r)]


def current_alerts(tx: Tx, settings: Settings, enabled: list[str]) -> pl.DataFrame:
    """Every condition that holds now, for the enabled rules (ALERT_SCHEMA rows)."""
    cfg, low_n, z = settings.alerts, settings.satisfaction.low_sample_n, settings.satisfaction.z_value
    frames = []
    if {"nps_drop", "csat_drop"} & set(enabled):
        satisfaction = tx.read_table(sat.MART_SATISFACTION_MONTHLY, columns=(
            "month", "site_id", "nps_n", "nps", "nps_prev", "nps_delta", "nps_change_significant", "csat_n",
            "csat_top2_count")).lazy()
        if "nps_drop" in enabled:
            frames.append(rules.nps_drop(satisfaction, low_n, cfg.nps_drop_critical_delta))
        if "csat_drop" in enabled:
            frames.append(rules.csat_drop(satisfaction, low_n, z))
    if {"sla_breach", "backlog_growth"} & set(enabled):
        complaints = tx.read_table(sat.MART_COMPLAINTS_MONTHLY, columns=(
            "month", "site_id", "closed_count", "sla_met_pct", "open_at_month_end")).lazy()
        if "sla_breach" in enabled:
            frames.append(rules.sla_breach(complaints, cfg.sla_breach_pct, cfg.sla_breach_critical_pct,
                                           cfg.sla_breach_min_closed))
        if "backlog_growth" in enabled:
            frames.append(rules.backlog_growth(complaints, cfg.backlog_growth_pct, cfg.backlog_growth_min_open))
    if {"feed_missing", "quarantine_spike"} & set(enabled):
        counts = ", ".join(f"{s}_rows_read, {s}_rows_quarantined" for s in rules.SOURCES)
        # the run whose rows each date holds: loaded, refreshed (this run: the alerts are evaluated
        # after the checks, before the publish and `success`) or success; a load retires the others
        runs = tx.read(
            f"SELECT business_date, {counts} FROM (SELECT *, row_number() OVER (PARTITION BY business_date "
            "ORDER BY started_at DESC, finished_at DESC NULLS LAST, run_id DESC) AS rn FROM ops_pipeline_run "
            f"WHERE status IN ({sql_values(RUN_HOLDS_ROWS)})) x WHERE rn = 1").lazy()
        if "feed_missing" in enabled:
            files = tx.read("SELECT DISTINCT drop_date, source FROM ops_ingested_file",
                            schema={"drop_date": pl.Date, "source": pl.String}).lazy()
            frames.append(rules.feed_missing(runs.select(pl.col("business_date").cast(pl.Date)), files))
        if "quarantine_spike" in enabled:
            frames.append(rules.quarantine_spike(runs.with_columns(pl.col("business_date").cast(pl.Date)),
                                                 cfg.quarantine_spike_pct, cfg.quarantine_spike_min_rows))
    if "valuable_at_risk" in enabled:
        signals = tx.read(
            "SELECT s.as_of_date, s.customer_id, s.risk_band, v.value_tier, v.clv_365d FROM mart_churn_signals s "
            "LEFT JOIN mart_customer_value v ON v.as_of_date = s.as_of_date AND v.customer_id = s.customer_id "
            "WHERE s.risk_band = 'high'",
            schema={"as_of_date": pl.Date, "customer_id": pl.String, "risk_band": pl.String,
                    "value_tier": pl.String, "clv_365d": pl.Float64}).lazy()
        snapshots = tx.read("SELECT DISTINCT as_of_date FROM mart_churn_signals", schema={"as_of_date": pl.Date})
        frames.append(rules.valuable_at_risk(signals, snapshots.lazy(), cfg.valuable_at_risk_critical_count))
    return pl.concat([rules.empty_alerts(), *frames]).collect()


def _write(tx: Tx, table: pl.DataFrame) -> None:
    tx.execute(f"DELETE FROM {tx.q(MART_ALERTS.name)}")
    tx.insert(MART_ALERTS, table)


def evaluate(settings: Settings, run_id: str, wh: Warehouse | None = None) -> AlertOutcome:
    """Merge the conditions that hold into mart_alerts, then send the open ones not yet sent."""
    own = wh is None
    wh = wh or Warehouse(settings.url)
    try:
        return _evaluate(wh, settings, run_id)
    finally:
        if own:
            wh.dispose()


def _evaluate(wh: Warehouse, settings: Settings, run_id: str) -> AlertOutcome:
    enabled = enabled_rules(settings)
    now = business_now(settings.timezone)
    with wh.transaction() as tx:
        existing = tx.read_table(MART_ALERTS)
        merged = rules.merge_alerts(existing, current_alerts(tx, settings, enabled), enabled, run_id, now)
        _write(tx, merged)
    known = existing.select(*rules.KEY).with_columns(was_open=~existing["resolved"])
    flags = merged.join(known, on=list(rules.KEY), how="left")
    outcome = AlertOutcome(
        open=int((~merged["resolved"]).sum()),
        new=int(flags["was_open"].is_null().sum()),
        resolved=int((flags["resolved"] & flags["was_open"].fill_null(False)).sum()))
    pending = merged.filter(~pl.col("resolved") & pl.col("sent_at").is_null())
    urls = settings.alerts.notify_urls
    if urls and pending.height:
        cfg = settings.alerts
        deliveries = notify(urls, pending.to_dicts(), timeout=cfg.notify_timeout_seconds,
                            attempts=cfg.notify_attempts, backoff=cfg.notify_backoff_seconds)
        outcome.errors = [d.error for d in deliveries if d.error]
        delivered = any(d.ok for d in deliveries)
        outcome.sent = pending.height if delivered else 0
        sent_at = business_now(settings.timezone)
        is_pending = pl.struct(*rules.KEY).is_in(pending.select(pl.struct(*rules.KEY)).to_series().implode())
        error = "; ".join(outcome.errors)[:2000] or None
        merged = merged.with_columns(
            sent_at=pl.when(is_pending & pl.lit(delivered)).then(pl.lit(sent_at, dtype=pl.Datetime("us")))
            .otherwise(pl.col("sent_at")),
            delivery_error=pl.when(is_pending).then(pl.lit(error, dtype=pl.String)).otherwise(pl.col("delivery_error")))
        with wh.transaction() as tx:
            _write(tx, merged)
        for e in outcome.errors:
            log.warning("alert delivery failed: %s", e)
    log.info("alerts: %d open, %d new, %d resolved, %d sent", outcome.open, outcome.new, outcome.resolved,
             outcome.sent)
    return outcome
