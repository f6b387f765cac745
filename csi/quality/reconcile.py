"""Row counts reconcile with the run records: what a run says it loaded is in staging.

For every business date, the run that holds the date's rows (`loaded`, `refreshed`
or `success`: the checks run while the runs are `refreshed`; csi.warehouse.runs),
that run's `<source>_rows_loaded` must equal the staging rows of that drop. Older
runs of the date were retired (`replaced`, `interrupted`) by the load that replaced
their rows; a `failed` run holds none (its load was rolled back or rejected).

The staged rows are counted with one GROUP BY scan per staging table
(csi.warehouse.counts), never with a per-date lookup. The check always reads every
date: it is a count per table, cheap next to the expectations, and a scoped version
could miss a date whose run record changed without its rows.

Reported in the style of the expectations: "stg_sales_line.drop_date=2026-01-30: rows
equal ops_pipeline_run.sales_rows_loaded (3 loaded, 2 staged)".
"""

from __future__ import annotations

from csi.warehouse.counts import staged_rows_per_drop
from csi.warehouse.engine import Tx
from csi.warehouse.runs import holding_runs
from csi.warehouse.tables_core import STAGING_BY_SOURCE


def reconcile(tx: Tx) -> list[str]:
    failures: list[str] = []
    runs = holding_runs(tx, [f"{s}_rows_loaded" for s in STAGING_BY_SOURCE])
    for source, decl in STAGING_BY_SOURCE.items():
        staged = staged_rows_per_drop(tx, decl)
        for day, loaded in runs.select("business_date", f"{source}_rows_loaded").iter_rows():
            n = staged.get(day, 0)
            if loaded != n:
                failures.append(f"{decl.name}.drop_date={day}: rows equal ops_pipeline_run.{source}_rows_loaded "
                                f"({loaded} loaded, {n} staged)")
    return failures
