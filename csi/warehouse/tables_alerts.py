"""Declaration of mart_alerts (METRICS 9): one row per rule x subject x period, kept across runs.

The rule codes, severities and metric names: csi.vocab (from transforms/vocab.py,
which transforms/alerts.py writes them from); the columns' order and types: the frame
transforms/alerts.py builds (TABLE_SCHEMA).
"""

from __future__ import annotations

from csi.vocab import ALERT_METRICS, ALERT_RULES, ALERT_SEVERITIES, PERIOD_GRAINS
from csi.warehouse.declare import FRAME, NN, C, TableDecl, typed
from transforms.alerts import TABLE_SCHEMA

MART_ALERTS = TableDecl(
    "mart_alerts", "mart",
    "Alerts (METRICS 9): one row per rule x subject x period, merged after every successful run; a row "
    "is never duplicated nor re-sent, and a condition that stopped holding keeps its row with resolved = true. "
    "docs/alerts.md.",
    typed(TABLE_SCHEMA, (
        NN("rule", FRAME, "nps_drop, csat_drop, sla_breach, backlog_growth, feed_missing, quarantine_spike or "
                           "valuable_at_risk (docs/alerts.md)", values=ALERT_RULES),
        NN("severity", FRAME, "critical or warning (each rule's cut-off: docs/alerts.md)", values=ALERT_SEVERITIES),
        NN("subject", FRAME, "site_id (or 'ALL') for the satisfaction and complaint rules, the source for "
                              "feed_missing and quarantine_spike, 'ALL' for valuable_at_risk"),
        NN("period", FRAME, "first day of the month (period_grain month) or the business date / snapshot date "
                             "(period_grain date)"),
        NN("period_grain", FRAME, "month or date", values=PERIOD_GRAINS),
        NN("metric", FRAME, "what value measures: nps, csat_top2_pct, sla_met_pct, open_at_month_end, files, "
                             "quarantined_pct or customers", values=ALERT_METRICS),
        C("value", FRAME, "the metric in the period (nps: -100..100; percentages 0..100; counts)"),
        C("previous", FRAME, "the metric in the previous month (nps_drop, csat_drop, backlog_growth); "
                                "null for the other rules"),
        C("threshold", FRAME, "the configured cut-off the value crossed (sla_breach %, backlog_growth %, "
                                 "quarantine_spike %, valuable_at_risk critical count); csat_drop: the drop in "
                                 "points that 1.96 standard errors of the difference amount to"),
        C("clv_365d_sum", FRAME, "valuable_at_risk: sum of clv_365d of the customers counted; null otherwise"),
        NN("message", FRAME, "one readable sentence with the numbers (what the notifiers send)"),
        NN("first_detected_run", FRAME, "run_id of the run whose evaluation first found the condition"),
        NN("first_detected_at", FRAME, "when it was first found, business time (CSI_TIMEZONE)"),
        C("sent_at", FRAME, "when a notifier first delivered it, business time; null: not delivered (no "
                                  "notifier configured, or every notifier failed: tried again next run)"),
        C("delivery_error", FRAME, "the last delivery failure per notifier (URL masked); null when none failed"),
        NN("resolved", FRAME, "the condition no longer holds (e.g. after a corrected drop); the row is kept"),
        C("resolved_at", FRAME, "when an evaluation first found it no longer holding, business time"),
    )),
    key=("rule", "subject", "period"),
)
