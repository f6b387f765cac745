"""Create or upgrade the warehouse schema from the declarations, with comments BI tools show.

`create_schema` is idempotent and runs at the start of every run: views are
dropped, tables are created or migrated (csi.warehouse.migrate: additive
changes derived from the declarations, then ordered explicit migrations),
comments are (re)applied, and the BI views (csi.warehouse.views) recreated, all
in one transaction.
"""

from __future__ import annotations

import sqlalchemy as sa

from csi.warehouse.engine import Tx, Warehouse
from csi.warehouse.sql_text import literal
from csi.warehouse.tables import TABLES


def metadata(dialect: str) -> sa.MetaData:
    from csi.warehouse.declare import to_sqlalchemy

    md = sa.MetaData()
    for decl in TABLES:
        to_sqlalchemy(decl, md, with_keys=dialect != "duckdb")
    return md


def create_schema(wh: Warehouse) -> list[str]:
    """Create missing tables, migrate old ones, (re)apply comments and views.

    Returns the schema changes made (empty when the schema was current)."""
    from csi.warehouse.migrate import OPS_SCHEMA_VERSION, upgrade
    from csi.warehouse.views import create_views, drop_views

    with wh.transaction() as tx:
        drop_views(tx)
        changes = upgrade(tx)
        # on both databases: SQLAlchemy emits PostgreSQL comments only in CREATE TABLE, so
        # columns added by a migration (and edited comments) would otherwise go without
        _apply_comments(tx, (*TABLES, OPS_SCHEMA_VERSION))
        create_views(tx)
    return changes


def _apply_comments(tx: Tx, tables) -> None:
    for decl in tables:
        tx.execute_ddl(f"COMMENT ON TABLE {tx.q(decl.name)} IS {literal(decl.comment)}")
        for col in decl.columns:
            tx.execute_ddl(
                f"COMMENT ON COLUMN {tx.q(decl.name)}.{tx.q(col.name)} IS {literal(col.comment)}"
            )
