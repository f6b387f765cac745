"""The closed vocabularies of the warehouse: every code a text column may hold.

One module, imported by the table declarations (csi/warehouse/tables_*.py), which
turn them into the allowed values the quality suites check and the data
dictionary lists. METRICS.md and CONTRACT.md define the codes; the order here is
the order the docs read them in. `transforms/` imports nothing from csi, so the
transforms keep their own copies; tests/warehouse/test_vocab.py holds those
copies equal to these.
"""

from __future__ import annotations

# the landing feeds (CONTRACT.md), also the `source` of ops tables
SOURCES = ("sales", "surveys", "complaints")

# sales lines (CONTRACT.md)
ORDER_TYPES = ("sale", "return")

# complaint versions (CONTRACT.md); "closed" means closed_at is set, whatever the status
COMPLAINT_STATUSES = ("open", "in_progress", "resolved", "rejected", "closed")

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

# ops_pipeline_run.status: loaded -> refreshed -> success, or failed; a load retires the date's older
# rows as interrupted (unfinished) or replaced (a success), csi/pipeline/steps.py; running and skipped
# are kept by warehouses of earlier versions (v_pipeline_runs still spells them out)
RUN_STATUSES = ("loaded", "refreshed", "success", "failed", "interrupted", "replaced", "running", "skipped")
RUN_UNFINISHED = ("loaded", "refreshed")  # rows in, checks and publish pending: the next run finishes them
RUN_HOLDS_ROWS = (*RUN_UNFINISHED, "success")  # the run whose rows the date holds (at most one per date)


def sql_values(values: tuple[str, ...]) -> str:
    """Our own vocabulary as the body of a SQL IN (...) list: never data."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)

# ops_ingested_file.status (meanings: the column's comment in csi/warehouse/tables_ops.py)
FILE_STATUSES = ("ingested", "duplicate", "unreadable", "unsupported", "refused", "quarantined")
