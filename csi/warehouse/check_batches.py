"""The rows a scoped quality check reads from a table, as one SQL query built from its declaration.

A run that rewrote a partitioned table from a partition value on (`decl.partition >=
since`, csi.warehouse.changes) is checked on those rows only. Which rules stay exact on
such a batch:

- value rules (range, vocabulary) and not-null are per row: the changed rows are the
  only ones that can newly break them;
- key uniqueness: when the key contains the partition column (every partitioned
  table with a key today), two rows with one key share a partition value, so both are
  in the batch or neither is: exact. When it does not, the batch also takes every row,
  old partitions included, whose key occurs in the changed partitions, so a key
  repeated across an old and a new partition is still caught.

GX runs the text as a subquery (a query asset): it carries no bind parameters, so the
date goes in as an ISO literal and the identifiers are quoted by the connection.
"""

from __future__ import annotations

from datetime import date, datetime

from csi.warehouse.declare import TableDecl
from csi.warehouse.engine import Tx


def changed_rows_query(tx: Tx, decl: TableDecl, since: date) -> str:
    """SELECT of the rows of partitions >= since (plus, when the key lacks the partition
    column, every row sharing a key with them)."""
    if not decl.partition:
        raise ValueError(f"{decl.name} has no partition column: check it whole")
    if not isinstance(since, date):
        raise TypeError(f"{decl.name}: a partition start must be a date, not {since!r}")
    day = since.date() if isinstance(since, datetime) else since
    table, part = tx.q(decl.name), tx.q(decl.partition)
    changed = f"{part} >= DATE '{day.isoformat()}'"
    sql = f"SELECT * FROM {table} WHERE {changed}"
    if decl.key and decl.partition not in decl.key:
        columns = ", ".join(tx.q(k) for k in decl.key)
        row = columns if len(decl.key) == 1 else f"({columns})"  # a row value; the subquery selects columns
        sql += f" OR {row} IN (SELECT {columns} FROM {table} WHERE {changed})"
    return sql
