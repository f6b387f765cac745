"""Schema migrations: an existing warehouse is upgraded in place, never dropped and recreated.

Why not Alembic: its autogenerate needs full reflection, and duckdb_engine's
reflection is partial and slow (no comments, no constraints on DuckDB tables, types come
back as generic names), so every DuckDB revision would need hand-written DDL
anyway. The warehouse changes mostly additively, so two mechanisms cover it:

1. Automatic additive migration derived from the declarations: tables missing in
   the live catalog are created, declared columns missing from a live table are
   added (`ALTER TABLE ... ADD COLUMN`). A NOT NULL column is added nullable and
   gets NOT NULL only if the table is empty: filling old rows is a decision,
   which belongs in an explicit migration.
2. Ordered explicit migrations (`MIGRATIONS`) for everything else (renames,
   backfills, type changes). Each runs once; `ops_schema_version` records it.

Everything runs inside the caller's transaction (DuckDB and PostgreSQL both have
transactional DDL), so a failed migration leaves the old schema intact.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import sqlalchemy as sa

from csi.warehouse.declare import NN, TYPES, TableDecl, to_sqlalchemy
from csi.warehouse.engine import Tx

log = logging.getLogger(__name__)

OPS_SCHEMA_VERSION = TableDecl(
    "ops_schema_version", "ops", "Explicit schema migrations applied to this warehouse.",
    (
        NN("version", "int", "migration number, applied in increasing order"),
        NN("description", "text", "what the migration changed"),
        NN("applied_at", "timestamp", "when it was applied, UTC"),
    ),
    key=("version",),
)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Tx], None]


# Append only; never renumber. Version 1 marks the baseline schema of the declarations.
def _drop_duckdb_staging_indexes(tx: Tx) -> None:
    """DuckDB kept ART indexes on stg_*.drop_date; after crashes and WAL replay an index could
    miss rows, so `DELETE ... WHERE drop_date = :d` left old rows behind (docs/warehouse.md)."""
    if not tx.is_duckdb:
        return
    for table in ("stg_sales_line", "stg_survey_answer", "stg_complaint_version"):
        tx.execute(f"DROP INDEX IF EXISTS ix_{table}_drop_date")


def _fill_file_counts(tx: Tx) -> None:
    """Runs recorded before unsupported / refused / quarantined files were counted had none."""
    for col in ("files_unsupported", "files_refused", "files_quarantined"):
        tx.execute(f"UPDATE ops_pipeline_run SET {col} = 0 WHERE {col} IS NULL")
        tx.execute(f"ALTER TABLE ops_pipeline_run ALTER COLUMN {col} SET NOT NULL")


# Append only; never renumber. Version 1 marks the baseline schema of the declarations.
MIGRATIONS: list[Migration] = [
    Migration(1, "baseline: tables and columns of the declarations", lambda tx: None),
    Migration(2, "no ART indexes on DuckDB staging tables (zone maps prune drop_date)", _drop_duckdb_staging_indexes),
    Migration(3, "file counts of unsupported, refused and quarantined files", _fill_file_counts),
]


def upgrade(tx: Tx, tables: tuple[TableDecl, ...] | None = None) -> list[str]:
    """Bring the live schema up to the declarations and run pending migrations.

    Returns what was done, one line per change (empty when already current).
    """
    from csi.warehouse.tables import TABLES

    decls = (*(TABLES if tables is None else tables), OPS_SCHEMA_VERSION)
    done = _additive(tx, decls)
    current = tx.scalar("SELECT max(version) FROM ops_schema_version") or 0
    for m in sorted(MIGRATIONS, key=lambda m: m.version):
        if m.version > current:
            m.apply(tx)
            tx.execute("INSERT INTO ops_schema_version (version, description, applied_at) "
                       "VALUES (:v, :d, :t)", {"v": m.version, "d": m.description, "t": datetime.now(UTC).replace(tzinfo=None)})
            done.append(f"migration {m.version}: {m.description}")
    for line in done:
        log.info("schema: %s", line)
    return done


def live_columns(tx: Tx) -> dict[str, set[str]]:
    """{table: columns} of the base tables in the current schema, from information_schema.

    Not `sqlalchemy.inspect`: duckdb_engine answers each get_columns with a catalog scan
    (~0.3 s a table), and the standard views give the same answer on both databases."""
    frame = tx.read(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
        "AND t.table_name = c.table_name WHERE t.table_type = 'BASE TABLE' "
        "AND c.table_schema = current_schema()")
    live: dict[str, set[str]] = {}
    for table, column in frame.iter_rows():
        live.setdefault(table, set()).add(column)
    return live


def _additive(tx: Tx, decls: tuple[TableDecl, ...]) -> list[str]:
    live = live_columns(tx)
    md = sa.MetaData()
    done: list[str] = []
    for decl in decls:
        # DuckDB: no key constraints and no secondary ART indexes (declare.to_sqlalchemy);
        # its zone maps prune drop_date scans, as the rows arrive in drop order
        table = to_sqlalchemy(replace(decl, indexes=()) if tx.is_duckdb else decl, md,
                              with_keys=not tx.is_duckdb)
        if decl.name not in live:
            table.create(tx.conn)
            done.append(f"created table {decl.name}")
            continue
        for col in decl.columns:
            if col.name not in live[decl.name]:
                done.append(_add_column(tx, decl, col.name))
    return done


def _add_column(tx: Tx, decl: TableDecl, name: str) -> str:
    col = next(c for c in decl.columns if c.name == name)
    sql_type = TYPES[col.type][0].compile(dialect=tx.conn.dialect)
    tx.execute(f"ALTER TABLE {tx.q(decl.name)} ADD COLUMN {tx.q(name)} {sql_type}")
    if col.nullable:
        return f"added column {decl.name}.{name}"
    if tx.scalar(f"SELECT count(*) FROM {tx.q(decl.name)}") == 0:
        tx.execute(f"ALTER TABLE {tx.q(decl.name)} ALTER COLUMN {tx.q(name)} SET NOT NULL")
        return f"added column {decl.name}.{name} (not null)"
    log.warning("schema: %s.%s is declared NOT NULL but old rows have no value: add an explicit "
                "migration that fills it", decl.name, name)
    return f"added column {decl.name}.{name} (nullable until a migration fills old rows)"
