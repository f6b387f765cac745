"""Evaluate the METRICS 9 alert rules on the warehouse, merge them into mart_alerts, notify.

Called once after a successful run (checks passed, copy published, runs `success`;
csi/flows/pipeline.py), under the warehouse lock. Two short transactions: the merge
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
from csi.warehouse import alert_inputs as inputs
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
        satisfaction = inputs.satisfaction_cells(tx)
        if "nps_drop" in enabled:
            frames.append(rules.nps_drop(satisfaction, low_n, cfg.nps_drop_critical_delta))
        if "csat_drop" in enabled:
            frames.append(rules.csat_drop(satisfaction, low_n, z))
    if {"sla_breach", "backlog_growth"} & set(enabled):
        complaints = inputs.complaint_cells(tx)
        if "sla_breach" in enabled:
            frames.append(rules.sla_breach(complaints, cfg.sla_breach_pct, cfg.sla_breach_critical_pct,
                                           cfg.sla_breach_min_closed))
        if "backlog_growth" in enabled:
            frames.append(rules.backlog_growth(complaints, cfg.backlog_growth_pct, cfg.backlog_growth_min_open))
    if {"feed_missing", "quarantine_spike"} & set(enabled):
        # the run whose rows each date holds: loaded, refreshed (this run: the alerts are evaluated
        # after the checks, before the publish and `success`) or success; a load retires the others
        runs = inputs.run_counts(tx)
        if "feed_missing" in enabled:
            frames.append(rules.feed_missing(runs.select("business_date"), inputs.delivered_feeds(tx)))
        if "quarantine_spike" in enabled:
            frames.append(rules.quarantine_spike(runs, cfg.quarantine_spike_pct, cfg.quarantine_spike_min_rows))
    if "valuable_at_risk" in enabled:
        frames.append(rules.valuable_at_risk(inputs.high_risk_customers(tx), inputs.churn_snapshot_dates(tx),
                                             cfg.valuable_at_risk_critical_count))
    return pl.concat([rules.empty_alerts(), *frames]).collect()


def _write(tx: Tx, table: pl.DataFrame) -> None:
    tx.replace_table(MART_ALERTS, table.lazy())


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
        existing = inputs.stored_alerts(tx)
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
