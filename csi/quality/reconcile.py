"""Row counts reconcile with the run records: what a run says it loaded is in staging.

For every business date whose latest run (skipped runs aside) holds the date's rows
(`loaded`, `refreshed` or `success`: the checks run while the runs are `refreshed`),
that run's `<source>_rows_loaded` must equal the staging rows of that drop. Older
runs of the date were retired (`replaced`, `interrupted`) by the load that replaced
their rows, and a `failed` latest run is left out: its load may have been rolled back.

The staged rows are counted with one GROUP BY scan per staging table, never with a
per-date lookup, so an index that misses rows (the DuckDB WAL-replay bug of issue 13)
cannot hide doubled or lost rows from this check.

Reported in the style of the expectations: "stg_sales_line.drop_date=2026-01-30: rows
equal ops_pipeline_run.sales_rows_loaded (3 loaded, 2 staged)".
"""

from __future__ import annotations

from csi.vocab import RUN_HOLDS_ROWS, sql_values
from csi.warehouse.engine import Tx

STAGING = {"sales": "stg_sales_line", "surveys": "stg_survey_answer", "complaints": "stg_complaint_version"}


def reconcile(tx: Tx) -> list[str]:
    failures: list[str] = []
    holds = sql_values(RUN_HOLDS_ROWS)
    for source, table in STAGING.items():
        frame = tx.read(
            f"SELECT r.business_date, r.loaded, COALESCE(s.staged, 0) AS staged FROM ("
            f"SELECT business_date, status, {source}_rows_loaded AS loaded, row_number() OVER ("
            "PARTITION BY business_date ORDER BY started_at DESC, finished_at DESC NULLS FIRST, run_id) AS rn "
            "FROM ops_pipeline_run WHERE status <> 'skipped') r "
            f"LEFT JOIN (SELECT drop_date, count(*) AS staged FROM {table} GROUP BY drop_date) s "
            f"ON s.drop_date = r.business_date WHERE r.rn = 1 AND r.status IN ({holds}) "
            "ORDER BY r.business_date")
        for day, loaded, staged in frame.iter_rows():
            if loaded != staged:
                failures.append(f"{table}.drop_date={day}: rows equal ops_pipeline_run.{source}_rows_loaded "
                                f"({loaded} loaded, {staged} staged)")
    return failures
