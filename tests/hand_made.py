"""A fixture module: an empty warehouse with the schema, filled with hand-made rows.

`with hand_made(url) as wh:` creates the schema at `url` (DuckDB or PostgreSQL);
`wh.put(table, rows)` inserts rows, filling the columns a test leaves out (`full_rows`);
`wh.rows(table)` reads a table back sorted on every column. Shared by the warehouse, report
and quality tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import polars as pl

from csi.warehouse.ddl import create_schema
from csi.warehouse.declare import TableDecl
from csi.warehouse.engine import Warehouse
from csi.warehouse.tables import BY_NAME


def _zero(type_: str):
    return {"text": "", "int": 0, "bigint": 0, "double": 0.0, "bool": False,
            "date": date(2000, 1, 1), "timestamp": datetime(2000, 1, 1)}[type_]


def full_rows(decl: TableDecl, rows: list[dict]) -> pl.DataFrame:
    """Full rows of `decl`: the given values; nulls in the other nullable columns, zeros / '' /
    false / 2000-01-01 in the other NOT NULL ones."""
    filled = [{c.name: r.get(c.name, None if c.nullable else _zero(c.type)) for c in decl.columns} for r in rows]
    return pl.DataFrame(filled, schema=decl.polars_schema)


class HandMade:
    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def put(self, table: str, rows: list[dict]) -> None:
        decl = BY_NAME[table]
        with self.warehouse.transaction() as tx:
            tx.insert(decl, full_rows(decl, rows))

    def rows(self, table: str, columns: list[str] | None = None) -> pl.DataFrame:
        with self.warehouse.transaction() as tx:
            frame = tx.read_table(BY_NAME[table], columns=columns)
        return frame.sort(frame.columns, nulls_last=True)


@contextmanager
def hand_made(url: str) -> Iterator[HandMade]:
    wh = Warehouse(url)
    create_schema(wh)
    try:
        yield HandMade(wh)
    finally:
        wh.dispose()
