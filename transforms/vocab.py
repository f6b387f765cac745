"""The closed vocabularies: every code a text column of the warehouse may hold.

The one home of each vocabulary. It lives here, at the bottom of the layers,
because the transforms write these codes and import nothing from csi; csi.vocab
re-exports every name, and the table declarations (csi/warehouse/tables_*.py) turn
them into the allowed values the quality suites check, the generated pandera
schemas enforce and the data dictionary lists. METRICS.md and CONTRACT.md define
the codes; the order here is the order the docs read them in.
tests/warehouse/test_vocab.py fails when one of these tuples is spelled out again
anywhere in the tree.
"""

from __future__ import annotations

# the landing feeds (CONTRACT.md), also the `source` of ops tables
SOURCES = ("sales", "surveys", "complaints")

# sales lines (CONTRACT.md)
ORDER_TYPES = ("sale", "return")

# complaint versions (CONTRACT.md); "closed" means closed_at is set, whatever the status
COMPLAINT_STATUSES = ("open", "in_progress", "resolved", "rejected", "closed")
COMPLAINT_CHANNELS = ("phone", "email", "web", "store", "social")

# METRICS 2: promoter 9-10, passive 7-8, detractor 0-6
NPS_CLASSES = ("promoter", "passive", "detractor")

# METRICS 7: the customer pyramid, best first (the cut-offs are configured, the names are not)
VALUE_TIERS = ("platinum", "gold", "iron", "lead")

# METRICS 7: the R x F grid's segments (docs/customer-value.md); a configured grid may only use these
RFM_SEGMENTS = (
    "Champions", "Loyal", "Potential loyalist", "New", "Promising", "Need attention",
    "About to sleep", "At risk", "Cannot lose", "Hibernating", "Lost",
)  # fmt: skip

# METRICS 7
LOYALTY_STAGES = ("prospect", "first_time", "repeat", "advocate")

# METRICS 8: low < 40 <= medium < 70 <= high
RISK_BANDS = ("low", "medium", "high")
# the churn backtest adds one row over all bands
ALL_BANDS = "ALL"
BACKTEST_BANDS = (ALL_BANDS, *RISK_BANDS)

# METRICS 9: mart_alerts (docs/alerts.md)
ALERT_RULES = ("nps_drop", "csat_drop", "sla_breach", "backlog_growth", "feed_missing", "quarantine_spike",
               "valuable_at_risk")
ALERT_SEVERITIES = ("critical", "warning")
PERIOD_GRAINS = ("month", "date")
ALERT_METRICS = ("nps", "csat_top2_pct", "sla_met_pct", "open_at_month_end", "files", "quarantined_pct",
                 "customers")

# METRICS 10: `equal` is the model of section 5, `clv` the CLV-weighted re-estimate
WEIGHTINGS = ("equal", "clv")
# METRICS 10: importance-performance quadrants (Martilla & James 1977)
QUADRANTS = ("concentrate_here", "keep_up", "low_priority", "possible_overkill")
# METRICS 11: the statistics of mart_pls_quality, in the order docs/acsi-model.md reads them
QUALITY_KINDS = ("loading", "alpha", "rho_a", "rho_c", "ave", "htmt", "vif", "f2")
QUALITY_FLAGS = ("ok", "warning", "fail")
# METRICS 12: calibration repeat orders 0..6, 7 or more, and the row over all customers
FREQUENCY_BINS = ("0", "1", "2", "3", "4", "5", "6", "7+", "total")

# METRICS 13: the `source` of a text, its detected language and sentiment label
TEXT_SOURCES = ("survey", "complaint")
LANGUAGES = ("zh", "en", "other")
SENTIMENT_LABELS = ("negative", "neutral", "positive")
