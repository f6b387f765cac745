"""Reads of what the warehouse recorded about landing files (ops_ingested_file)."""

from __future__ import annotations

import polars as pl

from csi.warehouse.engine import Warehouse


def recorded_files(wh: Warehouse) -> pl.DataFrame:
    """Every content delivery the warehouse knows: (drop_date, file_sha256, file_path, status)."""
    with wh.transaction() as tx:
        return tx.read(
            "SELECT drop_date, file_sha256, file_path, status FROM ops_ingested_file "
            "WHERE status IN ('ingested', 'duplicate') ORDER BY drop_date, file_path",
            schema={"drop_date": pl.Date, "file_sha256": pl.String, "file_path": pl.String, "status": pl.String})
