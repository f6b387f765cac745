"""Digests of a whole warehouse, table by table: what "identical" means when a refactoring or a
speed-up must not change a single output row (a fixture module).

Every dim_, fct_, stg_ and mart_ table plus ops_quarantine and ops_ingested_file, rows sorted on
every column, hashed as CSV. Run stamps (run ids, when an alert was first seen, sent or
resolved) differ between two runs of the same input and are left out."""

from __future__ import annotations

import hashlib

import polars as pl

from csi.warehouse.engine import Warehouse
from csi.warehouse.tables import TABLES

RUN_STAMPS = ("run_id", "first_detected_run", "first_detected_at", "sent_at", "resolved_at")
COMPARED = tuple(d.name for d in TABLES if d.layer in ("dim", "fct", "stg", "mart")) + (
    "ops_quarantine", "ops_ingested_file")


def warehouse_digests(url: str, tables: tuple[str, ...] = COMPARED, float_decimals: int | None = None
                      ) -> dict[str, str]:
    """{table: sha256}; with `float_decimals`, floating-point columns rounded first (to compare with a
    warehouse built by code that added some sums in an arbitrary order: tests/data/README.md)."""
    wh = Warehouse(url)
    out: dict[str, str] = {}
    try:
        with wh.transaction() as tx:
            for table in tables:
                frame = tx.read(f"SELECT * FROM {tx.q(table)}")
                frame = frame.drop([c for c in RUN_STAMPS if c in frame.columns])
                if float_decimals is not None:
                    frame = frame.with_columns(pl.col(pl.Float64, pl.Float32).round(float_decimals))
                frame = frame.sort(frame.columns, nulls_last=True)
                out[table] = hashlib.sha256(frame.write_csv().encode()).hexdigest()
    finally:
        wh.dispose()
    return out
