"""Create the warehouse schema from the declarations, with comments BI tools show."""

from __future__ import annotations

import sqlalchemy as sa

from csi.warehouse.engine import Tx, Warehouse
from csi.warehouse.tables import TABLES


def metadata(dialect: str) -> sa.MetaData:
    from csi.warehouse.declare import to_sqlalchemy

    md = sa.MetaData()
    for decl in TABLES:
        to_sqlalchemy(decl, md, with_keys=dialect != "duckdb")
    return md


def create_schema(wh: Warehouse) -> None:
    """Create missing tables and (re)apply table and column comments. Idempotent."""
    md = metadata(wh.dialect)
    with wh.transaction() as tx:
        md.create_all(tx.conn, checkfirst=True)
        if tx.is_duckdb:  # duckdb_engine does not emit comments itself
            _apply_comments(tx)


def _apply_comments(tx: Tx) -> None:
    for decl in TABLES:
        tx.execute(f"COMMENT ON TABLE {tx.q(decl.name)} IS {_literal(decl.comment)}")
        for col in decl.columns:
            tx.execute(
                f"COMMENT ON COLUMN {tx.q(decl.name)}.{tx.q(col.name)} IS {_literal(col.comment)}"
            )


def _literal(text: str) -> str:
    # comments come from our own declarations, never from data; still escape quotes
    return "'" + text.replace("'", "''") + "'"
