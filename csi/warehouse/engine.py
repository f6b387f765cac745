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
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from csi.secrets import mask_url, scrub
from csi.warehouse.declare import TableDecl

_BIND = re.compile(r"(?<![:\w]):(\w+)")
# The tables a statement writes, for the change journal (csi.warehouse.changes: publish and the
# quality checks read it). Over-matching (a name in a literal) costs a copy or a check; a write it
# cannot name counts as every table (ANY_TABLE), so nothing is ever missed.
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
                        r"|PRAGMA|CALL|CHECKPOINT|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|ATTACH|DETACH|LOAD|INSTALL)\b",
                        re.IGNORECASE)
ANY_TABLE = "*"
# The change journal, on both databases: one row per table a committed transaction wrote, at that
# transaction's version, with the earliest partition value it rewrote (NULL: rows anywhere). The
# row with table_name '' holds the warehouse's lineage (a random number drawn once), not a write.
CHANGES_TABLE = "_csi_table_changes"
MARKS_TABLE = "_csi_change_marks"  # {consumer: the last version it has seen} (csi.warehouse.changes)
JOURNAL_TABLES = frozenset({CHANGES_TABLE, MARKS_TABLE})


class WarehouseError(Exception):
    """A warehouse problem described for a person (no password in it)."""


def opened_url(url: str) -> str:
    """The URL a DuckDB file is opened with: without its memory_limit, which make_engine sets once
    the connection is open. DuckDB refuses a second connection to a file of the process with other
    open-time options, so every opener (ours, Great Expectations', a test's) must open it alike."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "duckdb" or "memory_limit" not in parsed.query:
        return url
    return parsed.difference_update_query(["memory_limit"]).render_as_string(hide_password=False)


def make_engine(url: str) -> sa.Engine:
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise WarehouseError(f"CSI_WAREHOUSE_URL is not a SQLAlchemy URL: {mask_url(url)}") from None
    if parsed.get_backend_name() == "duckdb":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        limit = parsed.query.get("memory_limit")
        parsed = make_url(opened_url(url))
        # One connection kept open for the engine's life: opening a DuckDB file and
        # checkpointing it on close cost more than a small drop's whole load
        # (docs/performance.md). dispose() closes it, so other processes can open the file.
        engine = sa.create_engine(parsed, poolclass=sa.pool.QueuePool, pool_size=1, max_overflow=0,
                                  pool_timeout=600)
        sa.event.listen(engine, "before_cursor_execute", _note_cursor)
        if limit:
            # a global setting of the database instance, which every connection of the process shares
            sa.event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute(
                f"SET memory_limit = '{str(limit).replace(chr(39), '')}'"))
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise WarehouseError("PostgreSQL URLs must use the psycopg driver: postgresql+psycopg://...")
        engine = sa.create_engine(parsed, pool_pre_ping=True)
        sa.event.listen(engine, "before_cursor_execute", _note_cursor)
        return engine
    raise WarehouseError(f"unsupported warehouse {parsed.get_backend_name()!r}: use duckdb or postgresql")


class Tx:
    """One open transaction on the warehouse."""

    def __init__(self, conn: sa.Connection):
        self.conn = conn
        self.dialect = conn.dialect.name
        self._quote = conn.dialect.identifier_preparer.quote
        # the tables written since the last commit with rows anywhere; SQLAlchemy's own statements
        # (Table.create) are added by the engine's cursor hook (make_engine)
        self.written: set[str] = conn.info.setdefault("csi_written", set())
        # the tables written since the last commit only from a partition value on: {table: (column, value)}
        self.partitions: dict[str, tuple[str, date]] = conn.info.setdefault("csi_partitions", {})

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

    def delete_partitions_from(self, decl: TableDecl, start: date) -> None:
        """Delete the table's rows of partitions >= start (`decl.partition`); the journal records
        the table as changed from `start` on, not anywhere."""
        self.execute_from(decl, start, f"DELETE FROM {self.q(decl.name)} "
                          f"WHERE {self.q(_partition_column(decl))} >= :start", {"start": start})

    def execute_from(self, decl: TableDecl, start: date, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run a statement that writes only rows of `decl` whose partition is >= start (the caller
        vouches for it); the journal records the table as changed from `start` on."""
        column = _partition_column(decl)
        self.execute_untracked(sql, params)
        self._note_partition(decl.name, column, start)

    def replace_partitions_from(self, decl: TableDecl, frame: pl.LazyFrame | pl.DataFrame, start: date) -> int:
        """Replace the table's rows of partitions >= start with the frame's rows of those
        partitions; returns rows inserted."""
        self.delete_partitions_from(decl, start)
        return self.insert(decl, frame.lazy().filter(pl.col(decl.partition) >= start).collect())

    def replace_table(self, decl: TableDecl, frame: pl.LazyFrame | pl.DataFrame) -> int:
        """Replace every row of a table that is recomputed whole; returns rows inserted."""
        self.execute(f"DELETE FROM {self.q(decl.name)}")
        return self.insert(decl, frame.lazy().collect())

    def execute_untracked(self, sql: str, params: Mapping[str, Any] | None = None):
        """Run a statement past the change journal's statement parser (the caller records what
        it wrote, or it writes the journal itself); returns the driver's cursor."""
        if self.is_duckdb:
            return self._duck().execute(_BIND.sub(r"$\1", sql), dict(params or {}))
        return self.conn.connection.driver_connection.execute(_BIND.sub(r"%(\1)s", sql), dict(params or {}))

    def _note_partition(self, table: str, column: str, start: date) -> None:
        name = table.lower()
        known = self.partitions.get(name)
        if known is None or known[0] != column:
            # two partition columns for one table cannot be one range: rows anywhere
            if known is not None:
                self.written.add(name)
            self.partitions[name] = (column, start)
        elif start < known[1]:
            self.partitions[name] = (column, start)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        if self.is_duckdb:
            note_written(self.written, sql)
            self._duck().execute(_BIND.sub(r"$\1", sql), dict(params or {}))
        else:
            self.conn.execute(sa.text(sql), dict(params or {}))

    def execute_ddl(self, sql: str) -> None:
        """Run DDL built from our declarations, unparsed: with no bind parameters, a ':' or '%'
        inside a comment or view literal is text, not a placeholder."""
        note_written(self.written, sql)
        if self.is_duckdb:
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
        """Bulk-insert a frame conformed to the declaration; returns rows inserted. Into a
        partitioned table, the journal records the change from the frame's earliest partition on."""
        frame = decl.conform(frame)
        if frame.height == 0:
            return 0
        self._note_insert(decl, frame)
        cols = ", ".join(self.q(c) for c in decl.column_names)
        if self.is_duckdb:
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

    def _note_insert(self, decl: TableDecl, frame: pl.DataFrame) -> None:
        part = frame.get_column(decl.partition) if decl.partition else None
        if part is None or part.dtype != pl.Date or part.null_count():
            self.written.add(decl.name.lower())
        else:
            self._note_partition(decl.name, decl.partition, part.min())

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
                    record_changes(tx)
                except BaseException:
                    tx.written.clear()  # rolled back: nothing was written
                    tx.partitions.clear()
                    conn.info.pop("csi_journal_ready", None)
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
    """Journal every table the transaction wrote, at a new version, inside the transaction
    itself, so the record commits (or rolls back) with the rows: a table written only from a
    partition value on (Tx.delete_partitions_from, inserts into a partitioned table) is recorded
    with its earliest such value, any other write as rows anywhere (NULL)."""
    anywhere = tx.written - JOURNAL_TABLES
    ranged = {t: p for t, p in tx.partitions.items() if t not in anywhere and t not in JOURNAL_TABLES}
    tx.written.clear()
    tx.partitions.clear()
    if not anywhere and not ranged:
        return
    start_journal(tx)
    if not tx.is_duckdb:
        # versions must be drawn in commit order, or a consumer marking the newest committed
        # version could skip a concurrent transaction that drew a lower one and committed later
        tx.execute_untracked(f"LOCK TABLE {CHANGES_TABLE} IN SHARE ROW EXCLUSIVE MODE")
    version = tx.execute_untracked(
        f"SELECT coalesce(max(version) FILTER (WHERE table_name <> ''), 0) + 1 FROM {CHANGES_TABLE}").fetchone()[0]
    rows = [(t, None, None) for t in sorted(anywhere)] + [(t, c, p) for t, (c, p) in sorted(ranged.items())]
    for table, column, start in rows:
        tx.execute_untracked(f"INSERT INTO {CHANGES_TABLE} (table_name, version, partition_column, from_partition) "
                             f"VALUES (:t, :v, :c, CAST(:p AS DATE))", {"t": table, "v": version, "c": column, "p": start})


def start_journal(tx: Tx) -> None:
    """Create the journal when missing (and add the partition columns to a journal from before
    they existed: its entries read as rows anywhere); once per connection."""
    info = tx.conn.info
    if info.get("csi_journal_ready"):
        return
    tx.execute_untracked(f"CREATE TABLE IF NOT EXISTS {CHANGES_TABLE} (table_name VARCHAR NOT NULL, "
                         f"version BIGINT NOT NULL, partition_column VARCHAR, from_partition DATE)")
    has = {c for (c,) in tx.execute_untracked(
        "SELECT column_name FROM information_schema.columns WHERE table_name = :t AND table_catalog = "
        "current_database() AND table_schema = current_schema()", {"t": CHANGES_TABLE}).fetchall()}
    for column, type_ in (("partition_column", "VARCHAR"), ("from_partition", "DATE")):
        if column not in has:
            tx.execute_untracked(f"ALTER TABLE {CHANGES_TABLE} ADD COLUMN {column} {type_}")
    tx.execute_untracked(f"CREATE TABLE IF NOT EXISTS {MARKS_TABLE} (consumer VARCHAR NOT NULL, "
                         f"version BIGINT NOT NULL)")
    tx.execute_untracked(f"INSERT INTO {CHANGES_TABLE} (table_name, version) SELECT '', CAST(random() * 9e18 AS BIGINT) "
                         f"WHERE NOT EXISTS (SELECT 1 FROM {CHANGES_TABLE} WHERE table_name = '')")
    info["csi_journal_ready"] = True


def _partition_column(decl: TableDecl) -> str:
    if not decl.partition:
        raise ValueError(f"{decl.name} has no partition column: replace it whole (Tx.replace_table)")
    return decl.partition


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__

