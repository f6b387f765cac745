"""Row counts reconcile with the run records: what the runs say they loaded is in staging.

For every business date whose latest run succeeded, the `<source>_rows_loaded` of
that run must equal the staging rows of that drop. A later failed run that left
the warehouse untouched (rolled back) is ignored because only the latest
successful run of a date is compared, and only when no later run changed it.
Reported like a GX failure: "stg_sales_line.drop_date=2026-01-30: rows_loaded reconciles
with ops_pipeline_run".
"""

from __future__ import annotations

from csi.warehouse.engine import Tx

STAGING = {"sales": "stg_sales_line", "surveys": "stg_survey_answer", "complaints": "stg_complaint_version"}


def reconcile(tx: Tx) -> list[str]:
    failures: list[str] = []
    for source, table in STAGING.items():
        frame = tx.read(
            f"SELECT r.business_date, r.{source}_rows_loaded AS loaded, "
            f"(SELECT count(*) FROM {table} s WHERE s.drop_date = r.business_date) AS staged "
            "FROM ops_pipeline_run r WHERE r.status = 'success' AND NOT EXISTS ("
            "SELECT 1 FROM ops_pipeline_run later WHERE later.business_date = r.business_date "
            "AND later.started_at > r.started_at)")
        for day, loaded, staged in frame.iter_rows():
            if loaded != staged:
                failures.append(f"{table}.drop_date={day}: rows_loaded ({loaded}) reconciles with "
                                f"ops_pipeline_run (staged {staged})")
    return failures
