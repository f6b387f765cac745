"""Reads and the reset of ops_dirty_period: the earliest event date per grain that the loads
since the last refresh touched (the loads record them, csi.warehouse.staging.mark_dirty)."""

from __future__ import annotations

from datetime import date

from csi.warehouse.engine import Tx


def dirty_since(tx: Tx, grain: str = "date") -> date | None:
    """The earliest dirty date of the grain ('date' or 'snapshot'); None when nothing is dirty."""
    return tx.scalar("SELECT min(period_start) FROM ops_dirty_period WHERE grain = :g", {"g": grain})


def clear_dirty_periods(tx: Tx) -> None:
    """After the refresh recomputed every dirty period of every grain."""
    tx.execute("DELETE FROM ops_dirty_period")
