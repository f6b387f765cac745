"""BI views: readable labels over the coded tables, registered next to the tables.

BI users should not have to decode `quantity:not_positive` or add up nine row
counters. A `View` is a name, one SELECT that runs unchanged on DuckDB and
PostgreSQL, and a comment BI tools show. `create_schema` drops every registered
view before migrating the tables (a view must never block an ALTER) and creates
them again afterwards, so a view always matches the current tables.

Other modules add views with `register(View(...))` at import time, or by
appending to `VIEWS` before `create_schema` runs (e.g. the mart families).
"""

from __future__ import annotations

from dataclasses import dataclass

from csi.warehouse.engine import Tx


@dataclass(frozen=True)
class View:
    name: str
    sql: str  # a SELECT over warehouse tables; no data-derived text, ever
    comment: str


VIEWS: list[View] = []


def register(view: View) -> View:
    """Add (or replace, by name) a view in the registry; returns it."""
    VIEWS[:] = [v for v in VIEWS if v.name != view.name] + [view]
    return view


def drop_views(tx: Tx) -> None:
    for view in reversed(VIEWS):
        tx.execute(f"DROP VIEW IF EXISTS {tx.q(view.name)}")


def create_views(tx: Tx) -> None:
    """(Re)create every registered view with its comment, in registration order."""
    from csi.warehouse.ddl import literal

    for view in VIEWS:
        tx.execute(f"DROP VIEW IF EXISTS {tx.q(view.name)}")
        tx.execute_ddl(f"CREATE VIEW {tx.q(view.name)} AS {view.sql}")
        tx.execute_ddl(f"COMMENT ON VIEW {tx.q(view.name)} IS {literal(view.comment)}")


def _reason_values() -> str:
    """The reason vocabulary as a VALUES list (text from schemas/reasons.py, quotes escaped)."""
    from csi.warehouse.ddl import literal
    from schemas.reasons import REASONS

    return ", ".join(f"({literal(code)}, {literal(text)})" for code, text in sorted(REASONS.items()))


def _first_reason() -> str:
    # reasons are sorted and joined by '; '; an unreadable file carries ' (why)' after its code
    return "split_part(split_part(q.reasons, '; ', 1), ' (', 1)"


V_OPS_QUARANTINE = register(View(
    "v_ops_quarantine",
    "SELECT q.drop_date, q.source, q.source_file, q.record_no, q.reasons, q.reason_count, "
    f"{_first_reason()} AS first_reason, "
    "COALESCE(r.description, CASE WHEN "
    f"{_first_reason()} LIKE '%:column_missing' THEN 'the file lacks this required column' END) "
    "AS first_reason_description, q.raw_record, q.run_id "
    f"FROM ops_quarantine q LEFT JOIN (VALUES {_reason_values()}) AS r(reason_code, description) "
    f"ON r.reason_code = {_first_reason()}",
    "Quarantined records with their first reason spelled out (all codes stay in reasons).",
))

V_PIPELINE_RUNS = register(View(
    "v_pipeline_runs",
    "SELECT business_date, status, CASE status WHEN 'success' THEN 'loaded and marts refreshed' "
    "WHEN 'loaded' THEN 'facts loaded, marts pending' WHEN 'failed' THEN 'failed (see error)' "
    "WHEN 'running' THEN 'in progress' WHEN 'skipped' THEN 'skipped: input unchanged' ELSE status END "
    "AS status_label, started_at, finished_at, duration_seconds, files_read, files_duplicate, "
    "files_unreadable, "
    "sales_rows_read + surveys_rows_read + complaints_rows_read AS rows_read, "
    "sales_rows_loaded + surveys_rows_loaded + complaints_rows_loaded AS rows_loaded, "
    "sales_rows_quarantined + surveys_rows_quarantined + complaints_rows_quarantined AS rows_quarantined, "
    "CASE WHEN sales_rows_read + surveys_rows_read + complaints_rows_read > 0 THEN 100.0 * "
    "(sales_rows_quarantined + surveys_rows_quarantined + complaints_rows_quarantined) / "
    "(sales_rows_read + surveys_rows_read + complaints_rows_read) END AS quarantined_pct, "
    "error, run_id FROM ops_pipeline_run",
    "Pipeline runs with a readable status and totals over the three sources.",
))


# the mart views (latest snapshots, labels, declining valuable customers) register on import
import csi.warehouse.views_marts  # noqa: E402,F401
