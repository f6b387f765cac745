"""Reads of what the warehouse recorded about landing files (ops_ingested_file)."""

from __future__ import annotations

from datetime import date

import polars as pl

from csi.warehouse.engine import Tx, Warehouse


def recorded_files(wh: Warehouse) -> pl.DataFrame:
    """Every content delivery the warehouse knows: (drop_date, file_sha256, file_path, status)."""
    with wh.transaction() as tx:
        return tx.read(
            "SELECT drop_date, file_sha256, file_path, status FROM ops_ingested_file "
            "WHERE status IN ('ingested', 'duplicate') ORDER BY drop_date, file_path",
            schema={"drop_date": pl.Date, "file_sha256": pl.String, "file_path": pl.String, "status": pl.String})


def file_counts(tx: Tx, drop_date: date) -> dict[str, int]:
    """{status: files} recorded for the drop (ops_ingested_file)."""
    frame = tx.read("SELECT status, count(*) AS n FROM ops_ingested_file WHERE drop_date = :d GROUP BY status",
                    {"d": drop_date})
    return dict(frame.iter_rows()) if frame.height else {}
