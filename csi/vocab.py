"""The closed vocabularies of the warehouse: every code a text column may hold.

The business vocabularies live in transforms/vocab.py (the transforms write
those codes and import nothing from csi) and are re-exported here, so csi code
imports every vocabulary from this one module; the run and file statuses, which
only the operations tables hold, are declared here. The table declarations
(csi/warehouse/tables_*.py) turn them into the allowed values the quality suites
check, the generated pandera schemas enforce and the data dictionary lists.
"""

from __future__ import annotations

from transforms.vocab import (  # noqa: F401  (re-exported: csi code imports them from here)
    ALERT_METRICS,
    ALERT_RULES,
    ALERT_SEVERITIES,
    ALL_BANDS,
    BACKTEST_BANDS,
    COMPLAINT_CHANNELS,
    COMPLAINT_STATUSES,
    FREQUENCY_BINS,
    LANGUAGES,
    LOYALTY_STAGES,
    NPS_CLASSES,
    ORDER_TYPES,
    PERIOD_GRAINS,
    QUADRANTS,
    QUALITY_FLAGS,
    QUALITY_KINDS,
    RFM_SEGMENTS,
    RISK_BANDS,
    SENTIMENT_LABELS,
    SOURCES,
    TEXT_SOURCES,
    VALUE_TIERS,
    WEIGHTINGS,
)

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
