"""The warehouse connection: one SQLAlchemy engine, native bulk paths per database.

DuckDB (default, embedded file) and PostgreSQL are both first-class. Reads come
back as polars frames; bulk inserts use DuckDB's Arrow scan and PostgreSQL's COPY.
All SQL uses bound parameters (`:name`) or identifiers quoted from the table
declarations, never text built from data.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from csi.secrets import mask_url, scrub
from csi.warehouse.declare import TableDecl

_BIND = re.compile(r"(?<![:\w]):(\w+)")
# The tables a statement writes, for publish (csi/warehouse/publish.py): it copies only what
# changed. Over-matching (a name in a literal) costs a copy; a write it cannot name counts as
# every table (ANY_TABLE), so nothing is ever missed.
_WRITTEN = re.compile(
    r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|DELETE\s+FROM|UPDATE|MERGE\s+INTO|COPY|TRUNCATE(?:\s+TABLE)?"
    r"|(?:CREATE|DROP|ALTER)(?:\s+OR\s+REPLACE)?(?:\s+TEMP(?:ORARY)?)?\s+TABLE(?:\s+IF(?:\s+NOT)?\s+EXISTS)?"
    r"|CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?\S+\s+ON)"
    r"\s+((?:\"[^\"]+\"|\w+)(?:\.(?:\"[^\"]+\"|\w+))*)",
    re.IGNORECASE)
# views and comments are compared and re-created by every publish: not table writes
_CATALOG_ONLY = re.compile(r"\s*(?:COMMENT\s+ON|(?:CREATE(?:\s+OR\s+REPLACE)?|DROP|ALTER)\s+VIEW)\b",
                           re.IGNORECASE)
_READ_ONLY = re.compile(r"\s*\(*\s*(?:SELECT|WITH|FROM|VALUES|SHOW|DESCRIBE|EXPLAIN|SUMMARIZE|SET|RESET|USE"
                        r"|PRAGMA|CALL|CHECKPOINT|BEGIN|COMMIT|ROLLBACK|ATTACH|DETACH|LOAD|INSTALL)\b",
                        re.IGNORECASE)
ANY_TABLE = "*"
CHANGES_TABLE = "_csi_table_changes"  # DuckDB only: {table: version}, written in the writing transaction


class WarehouseError(Exception):
    """A warehouse problem described for a person (no password in it)."""


def make_engine(url: str) -> sa.Engine:
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise WarehouseError(f"CSI_WAREHOUSE_URL is not a SQLAlchemy URL: {mask_url(url)}") from None
    if parsed.get_backend_name() == "duckdb":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection kept open for the engine's life: opening a DuckDB file and
        # checkpointing it on close cost more than a small drop's whole load
        # (docs/performance.md). dispose() closes it, so other processes can open the file.
        engine = sa.create_engine(parsed, poolclass=sa.pool.QueuePool, pool_size=1, max_overflow=0,
                                  pool_timeout=600)
        sa.event.listen(engine, "before_cursor_execute", _note_cursor)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise WarehouseError("PostgreSQL URLs must use the psycopg driver: postgresql+psycopg://...")
        return sa.create_engine(parsed, pool_pre_ping=True)
    raise WarehouseError(f"unsupported warehouse {parsed.get_backend_name()!r}: use duckdb or postgresql")


class Tx:
    """One open transaction on the warehouse."""

    def __init__(self, conn: sa.Connection):
        self.conn = conn
        self.dialect = conn.dialect.name
        self._quote = conn.dialect.identifier_preparer.quote
        # the tables written since the last commit; SQLAlchemy's own statements (Table.create)
        # are added by the engine's cursor hook (make_engine)
        self.written: set[str] = conn.info.setdefault("csi_written", set())

    @property
    def is_duckdb(self) -> bool:
        return self.dialect == "duckdb"

    def q(self, name: str) -> str:
        return self._quote(name)

    def commit_point(self) -> None:
        """DuckDB only: commit what the transaction did so far and go on in a new one. For long
        refreshes whose every step is safe to redo: DuckDB keeps every row inserted by an open
        transaction in memory until it commits. Nobody sees the intermediate state: the file is
        locked by this process and BI reads the copy published after the run. On PostgreSQL
        (read live by BI tools, no such memory cost) the transaction stays whole."""
        if self.is_duckdb:
            record_changes(self)
            self.conn.commit()
            self.conn.begin()

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        if self.is_duckdb:
            note_written(self.written, sql)
            self._duck().execute(_BIND.sub(r"$\1", sql), dict(params or {}))
        else:
            self.conn.execute(sa.text(sql), dict(params or {}))

    def execute_ddl(self, sql: str) -> None:
        """Run DDL built from our declarations, unparsed: with no bind parameters, a ':' or '%'
        inside a comment or view literal is text, not a placeholder."""
        if self.is_duckdb:
            note_written(self.written, sql)
            self._duck().execute(sql)
        else:
            self.conn.connection.driver_connection.execute(sql)

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.conn.execute(sa.text(sql), dict(params or {})).scalar()

    def read(self, sql: str, params: Mapping[str, Any] | None = None,
             schema: Mapping[str, pl.DataType] | None = None) -> pl.DataFrame:
        if self.is_duckdb:
            note_written(self.written, sql)
            frame = self._duck().execute(_BIND.sub(r"$\1", sql), dict(params or {})).pl()
        else:
            frame = pl.read_database(sa.text(sql), self.conn,
                                     execute_options={"parameters": dict(params or {})},
                                     infer_schema_length=None)
        if schema:
            frame = frame.select([pl.col(n).cast(t) for n, t in schema.items()]) if len(frame.columns) \
                else pl.DataFrame(schema=schema)
        return frame

    def read_table(self, decl: TableDecl, where: str = "", params: Mapping[str, Any] | None = None,
                   columns: Sequence[str] | None = None) -> pl.DataFrame:
        """The table's rows (optionally filtered), typed by its declaration; `columns` reads only
        those (the whole fact tables would dominate a refresh's memory)."""
        names = list(columns) if columns else decl.column_names
        cols = ", ".join(self.q(c) for c in names)
        sql = f"SELECT {cols} FROM {self.q(decl.name)} {('WHERE ' + where) if where else ''}"
        return self.read(sql, params, {c: decl.polars_schema[c] for c in names})

    def insert(self, decl: TableDecl, frame: pl.DataFrame) -> int:
        """Bulk-insert a frame conformed to the declaration; returns rows inserted."""
        frame = decl.conform(frame)
        if frame.height == 0:
            return 0
        cols = ", ".join(self.q(c) for c in decl.column_names)
        if self.is_duckdb:
            self.written.add(decl.name.lower())
            duck = self._duck()
            duck.register("_csi_insert", frame.to_arrow())
            try:
                duck.execute(f"INSERT INTO {self.q(decl.name)} ({cols}) SELECT {cols} FROM _csi_insert")
            finally:
                duck.unregister("_csi_insert")
        else:
            # CSV: a null is an unquoted empty field, an empty string is "" (quote_style), and
            # polars always writes UTF-8, whatever the session's client_encoding
            buf = io.BytesIO()
            frame.write_csv(buf, include_header=False, quote_style="non_numeric",
                            datetime_format="%Y-%m-%d %H:%M:%S%.f")
            raw = self.conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(
                f"COPY {self.q(decl.name)} ({cols}) FROM STDIN WITH (FORMAT csv, ENCODING 'UTF8')"
            ) as copy:
                copy.write(buf.getvalue())
        return frame.height

    def _duck(self):
        return self.conn.connection.driver_connection


class Warehouse:
    """The engine plus the transaction boundary every load uses."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Commit on success, roll back on any error (`Tx.commit_point` may commit earlier)."""
        try:
            with self.engine.connect() as conn:
                conn.begin()
                tx = Tx(conn)
                try:
                    yield tx
                    if tx.is_duckdb:
                        record_changes(tx)
                except BaseException:
                    tx.written.clear()  # rolled back: nothing was written
                    conn.rollback()
                    raise
                conn.commit()
        except sa.exc.OperationalError as exc:
            raise WarehouseError(scrub(f"warehouse {mask_url(self.url)}: {_first_line(exc)}", self.url)) from None

    def dispose(self) -> None:
        self.engine.dispose()


def note_written(written: set[str], sql: str) -> None:
    """Add the tables `sql` writes (unqualified, lower case) to `written`."""
    if _CATALOG_ONLY.match(sql):
        return
    names = _WRITTEN.findall(sql)
    if names:
        written.update(n.rsplit(".", 1)[-1].strip('"').lower() for n in names)
    elif not _READ_ONLY.match(sql):
        written.add(ANY_TABLE)


def _note_cursor(conn, cursor, statement, parameters, context, executemany) -> None:
    note_written(conn.info.setdefault("csi_written", set()), statement)


def record_changes(tx: Tx) -> None:
    """Give every table the transaction wrote a new version, inside the transaction itself, so the
    record commits (or rolls back) with the rows: publish compares these versions with the ones
    its spare copy was made at. The first record also draws the warehouse's lineage (the version
    of ""), so a spare made from another warehouse file never passes for current."""
    written = sorted(tx.written - {CHANGES_TABLE})
    tx.written.clear()
    if not written:
        return
    duck = tx._duck()
    _start_changes(duck)
    version = duck.execute(f"SELECT coalesce(max(version) FILTER (WHERE table_name <> ''), 0) + 1 "
                           f"FROM {CHANGES_TABLE}").fetchone()[0]
    duck.execute(f"DELETE FROM {CHANGES_TABLE} WHERE list_contains($1, table_name)", [written])
    duck.execute(f"INSERT INTO {CHANGES_TABLE} SELECT unnest($1::VARCHAR[]), $2", [written, version])


def table_versions(duck) -> tuple[int, dict[str, int]]:
    """(lineage, {table: version}) of a DuckDB warehouse, on its raw connection; a warehouse that
    has no record yet gets one (with no versions: its next publish copies it whole)."""
    _start_changes(duck)
    rows = duck.execute(f"SELECT table_name, version FROM {CHANGES_TABLE}").fetchall()
    versions = dict(rows)
    return versions.pop(""), versions


def _start_changes(duck) -> None:
    duck.execute(f"CREATE TABLE IF NOT EXISTS {CHANGES_TABLE} (table_name VARCHAR NOT NULL, version BIGINT NOT NULL)")
    duck.execute(f"INSERT INTO {CHANGES_TABLE} SELECT '', (random() * 9e18)::BIGINT "
                 f"WHERE NOT EXISTS (SELECT 1 FROM {CHANGES_TABLE} WHERE table_name = '')")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
