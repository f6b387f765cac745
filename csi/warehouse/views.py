"""BI views: readable labels over the coded tables, created after the tables.

BI users should not have to decode `quantity:not_positive` or add up nine row
counters. A `View` (csi.warehouse.view) is a name, one SELECT that runs unchanged
on DuckDB and PostgreSQL, a comment and the comments of its columns, which BI
tools show. `create_schema` drops every view before migrating the tables (a view
must never block an ALTER) and creates them again afterwards, so a view always
matches the current tables.

`VIEWS` is the registry, assembled here in creation order: the operations views
below, then the mart views of csi.warehouse.views_marts.
"""

from __future__ import annotations

import sqlalchemy as sa

from csi.warehouse.engine import Tx
from csi.warehouse.sql_text import literal
from csi.warehouse.tables_ops import OPS_PIPELINE_RUN, OPS_QUARANTINE, SOURCES
from csi.warehouse.view import View
from csi.warehouse.views_marts import MART_VIEWS


def drop_views(tx: Tx) -> None:
    for view in reversed(VIEWS):
        tx.execute(f"DROP VIEW IF EXISTS {tx.q(view.name)}")


def create_views(tx: Tx) -> None:
    """(Re)create every view with its comment and the comment of each of its columns."""
    for view in VIEWS:
        name = tx.q(view.name)
        tx.execute(f"DROP VIEW IF EXISTS {name}")
        tx.execute_ddl(f"CREATE VIEW {name} AS {view.sql}")
        tx.execute_ddl(f"COMMENT ON VIEW {name} IS {literal(view.comment)}")
        for column in view_columns(tx, view.name):
            tx.execute_ddl(f"COMMENT ON COLUMN {name}.{tx.q(column)} IS {literal(view.column_comment(column))}")


def view_columns(tx: Tx, name: str) -> list[str]:
    """The columns of a created view, in order, as the database reports them."""
    return list(tx.conn.execute(sa.text(f"SELECT * FROM {tx.q(name)} WHERE 1 = 0")).keys())


def _reason_values() -> str:
    """The reason vocabulary as a VALUES list (text from schemas/reasons.py, quotes escaped)."""
    from schemas.reasons import REASONS

    return ", ".join(f"({literal(code)}, {literal(text)})" for code, text in sorted(REASONS.items()))


def _first_reason() -> str:
    # reasons are sorted and joined by '; '; an unreadable file carries ' (why)' after its code
    return "split_part(split_part(q.reasons, '; ', 1), ' (', 1)"


V_OPS_QUARANTINE = View(
    "v_ops_quarantine",
    "SELECT q.drop_date, q.source, q.source_file, q.record_no, q.reasons, q.reason_count, "
    f"{_first_reason()} AS first_reason, "
    "COALESCE(r.description, CASE WHEN "
    f"{_first_reason()} LIKE '%:column_missing' THEN 'the file lacks this required column' END) "
    "AS first_reason_description, q.raw_record, q.run_id "
    f"FROM ops_quarantine q LEFT JOIN (VALUES {_reason_values()}) AS r(reason_code, description) "
    f"ON r.reason_code = {_first_reason()}",
    "Quarantined records with their first reason spelled out (all codes stay in reasons).",
    sources=(OPS_QUARANTINE,),
    columns={
        "first_reason": "the first of the reasons (alphabetical), without a file's '(why)' detail",
        "first_reason_description": "first_reason in words (docs/validation.md)",
    },
)


# one per csi.vocab.RUN_STATUSES (tests/warehouse/test_views.py holds them equal)
RUN_STATUS_LABELS = {
    "loaded": "rows loaded; marts, checks and publish pending",
    "refreshed": "marts refreshed; checks and publish pending",
    "success": "loaded, marts refreshed, checked and published",
    "failed": "failed (see error)",
    "interrupted": "interrupted: killed before it finished, a later run replaced its rows",
    "replaced": "replaced: completed, then a later run (--force or changed input) loaded the date again",
    "running": "in progress",  # written by earlier versions
    "skipped": "skipped: input unchanged",  # written by earlier versions
}


def _status_labels() -> str:
    return " ".join(f"WHEN {literal(code)} THEN {literal(label)}" for code, label in RUN_STATUS_LABELS.items())


def _sum(suffix: str) -> str:
    return " + ".join(f"{s}_{suffix}" for s in SOURCES)


# Every file counter the table declares passes through, so a new kind of file fate shows up in
# BI with its declared comment; those quarantined whole have one ops_quarantine row each.
_FILE_COUNTS = [c.name for c in OPS_PIPELINE_RUN.columns if c.name.startswith("files_")]
_FILES_QUARANTINED = " + ".join(c for c in ("files_unreadable", "files_quarantined") if c in _FILE_COUNTS) or "0"

V_PIPELINE_RUNS = View(
    "v_pipeline_runs",
    f"SELECT business_date, status, CASE status {_status_labels()} ELSE status END AS status_label, "
    "started_at, finished_at, duration_seconds, stage_seconds, load_seconds, marts_seconds, "
    f"{', '.join(_FILE_COUNTS)}, "
    f"{_sum('rows_read')} AS rows_read, {_sum('rows_loaded')} AS rows_loaded, "
    f"{_sum('rows_quarantined')} AS rows_quarantined, "
    f"{_sum('rows_quarantined')} + {_FILES_QUARANTINED} AS quarantine_rows, "
    f"CASE WHEN {_sum('rows_read')} > 0 THEN 100.0 * ({_sum('rows_quarantined')}) / ({_sum('rows_read')}) END "
    "AS quarantined_pct, error, run_id FROM ops_pipeline_run",
    "Pipeline runs, one row per run and business date: a readable status, its own start, end and "
    "duration, totals over the three sources and the fate of its files.",
    sources=(OPS_PIPELINE_RUN,),
    columns={
        "status_label": "status in words",
        "rows_read": "records read from the drop's files, the three sources together",
        "rows_loaded": "records that passed validation and were staged, the three sources together",
        "rows_quarantined": "records sent to ops_quarantine, the three sources together",
        "quarantine_rows": "rows this date put in ops_quarantine: rows_quarantined plus one per file "
                           "quarantined whole",
        "quarantined_pct": "100 * rows_quarantined / rows_read; null when nothing was read",
    },
)

OPS_VIEWS: tuple[View, ...] = (V_OPS_QUARANTINE, V_PIPELINE_RUNS)
VIEWS: tuple[View, ...] = (*OPS_VIEWS, *MART_VIEWS)
