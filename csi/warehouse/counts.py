"""Row counts the quality checks compare with the run records (csi.quality.reconcile).

Counted with one GROUP BY scan per staging table, never with a per-date lookup: an
index that misses rows (the DuckDB WAL-replay bug of issue 13) cannot hide doubled or
lost rows from a scan.
"""

from __future__ import annotations

from datetime import date

from csi.warehouse.declare import TableDecl
from csi.warehouse.engine import Tx


def staged_rows_per_drop(tx: Tx, decl: TableDecl) -> dict[date, int]:
    """{drop_date: rows} of a staging table (dates with no rows are absent)."""
    frame = tx.read(f"SELECT drop_date, count(*) AS staged FROM {tx.q(decl.name)} GROUP BY drop_date")
    return dict(frame.iter_rows())
