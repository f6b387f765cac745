"""How many rows each table holds: the demo's closing table and the bench's sizes."""

from __future__ import annotations

from collections.abc import Iterable

from csi.warehouse.engine import Tx


def table_rows(tx: Tx, names: Iterable[str]) -> dict[str, int]:
    return {name: int(tx.scalar(f"SELECT count(*) FROM {tx.q(name)}")) for name in names}


def rows_at_latest(tx: Tx, name: str, column: str) -> int:
    """Rows of the newest value of `column` (a snapshot mart's last as-of date)."""
    t, c = tx.q(name), tx.q(column)
    return int(tx.scalar(f"SELECT count(*) FROM {t} WHERE {c} = (SELECT max({c}) FROM {t})"))


def distinct_values(tx: Tx, name: str, column: str) -> int:
    return int(tx.scalar(f"SELECT count(DISTINCT {tx.q(column)}) FROM {tx.q(name)}"))
