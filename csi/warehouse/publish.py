"""Publish a consistent read-only copy of the DuckDB warehouse for BI tools.

DuckDB allows one writing process per file, and while it writes no other process
can open the file even read-only, so a BI tool pointed at the working file would
be locked out for the whole run (and would lock a run out while it reads). The
run therefore writes to `CSI_WAREHOUSE_URL`, and after each successful run
`publish` brings the read-only copy `CSI_PUBLISH_PATH` (default
`<warehouse>.read.duckdb`) up to date.

Proportional to the change: two generations of the copy live next to the target,
`.<name>.gen0` and `.<name>.gen1`; the target is a hard link to one of them. A
publish updates the other one (the spare) in place with only what changed since the
spare was made, read from the change journal (csi.warehouse.changes; each generation
is its own consumer, "publish.gen0" / "publish.gen1", its mark also kept in the
spare's manifest `.<name>.genN.json`): a table rewritten from a partition value P on
gets its rows with partition >= P deleted and the working ones inserted (one
statement each), a table changed anywhere gets its differing rows (or is re-created
whole). Then the views and comments are re-created, the spare checkpointed, and a new
hard link renamed over the target. A reader that has the old file open keeps reading
it (the rename only unlinks a name; the spare it had open is never written: DuckDB's
file lock refuses the read-write attach and the publish falls back to a whole copy
into a new file); the next connection sees the new one whole.

A whole copy (`COPY FROM DATABASE`) is made when the spare cannot be trusted or
written: the first publish, no or a stale manifest (a crash while updating it, the
file touched since, another warehouse's lineage, a mark the warehouse does not
hold), a write the journal could not name, a reader holding the spare, or when the
changed rows are most of the warehouse. Every file is attached with `STORAGE_VERSION
'v1.0.0'` at creation, so BI connectors bundling DuckDB 1.0 or later can open it.

PostgreSQL needs none of this (MVCC: readers never wait for writers): `publish`
returns None there.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from csi.faults import crash_point
from csi.settings import Settings
from csi.warehouse.changes import Change, consumer_mark, journal_since, journal_version, lineage, mark_consumed
from csi.warehouse.engine import ANY_TABLE, JOURNAL_TABLES, Tx, Warehouse, WarehouseError

log = logging.getLogger(__name__)
STORAGE_VERSION = "v1.0.0"
SPARE = "csi_publish"  # the attach name of the file being written
WHOLE_COPY_MIN_ROWS = 100_000  # below this either way takes a moment: always update in place


@dataclass(frozen=True)
class Published:
    """What a publish did: the `tables` brought up to date (every table for a whole copy) and the
    `rows` it deleted plus inserted to do so."""

    path: Path
    is_whole_copy: bool
    tables: tuple[str, ...]
    rows: int
    reason: str


def publish_target(settings: Settings) -> Path | None:
    """Where the read-only copy goes; None when the warehouse is not a DuckDB file."""
    url = make_url(settings.url)
    if url.get_backend_name() != "duckdb" or not url.database or url.database == ":memory:":
        return None
    if settings.publish_path:
        return Path(settings.publish_path)
    working = Path(url.database)
    return working.with_name(f"{working.stem}.read{working.suffix or '.duckdb'}")


def generation_files(target: Path) -> tuple[Path, Path]:
    return target.with_name(f".{target.name}.gen0"), target.with_name(f".{target.name}.gen1")


def publish(settings: Settings) -> Path | None:
    """Bring the read-only BI file up to date atomically; returns the file (None on PostgreSQL)."""
    done = publish_changes(settings)
    return done.path if done else None


def publish_changes(settings: Settings) -> Published | None:
    """`publish`, saying what it copied."""
    target = publish_target(settings)
    if target is None:
        return None
    working = Path(make_url(settings.url).database).resolve()
    if target.resolve() == working:
        raise WarehouseError("CSI_PUBLISH_PATH must differ from the warehouse file")
    link = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in target.parent.glob(f".{target.name}.*.tmp*"):  # left by a killed run (we hold the lock)
            stale.unlink(missing_ok=True)
    except OSError as exc:
        raise PublishError(f"cannot publish the read-only copy {target}: {exc.strerror or exc}") from None
    wh = Warehouse(settings.url)
    try:
        # through the warehouse's own connection: no second handle on the working file
        with wh.engine.connect() as conn:
            done = _write_spare(Tx(conn), target)
        crash_point("publish")
        _flip(done.path, target, link)
    except Exception as exc:  # disk full, permissions, a read-only mount: one clear line
        _remove(link)
        raise PublishError(f"cannot publish the read-only copy {target}: {_first_line(exc)}") from None
    finally:
        wh.dispose()
    crash_point("published")
    log.info("published the warehouse for BI readers: %s (%s, %d rows: %s)", target,
             "whole copy" if done.is_whole_copy else f"{len(done.tables)} written table(s)", done.rows, done.reason)
    return Published(target, done.is_whole_copy, done.tables, done.rows, done.reason)


def _write_spare(tx: Tx, target: Path) -> Published:
    """Bring the generation the target does not point at up to date; returns it (as `path`)."""
    duck = tx._duck()
    source = duck.execute("SELECT current_database()").fetchone()[0]
    spare = _spare(target)
    consumer = f"publish.{spare.name.rsplit('.', 1)[-1]}"
    warehouse_lineage = lineage(tx)
    manifest = _read_manifest(spare)
    reason = _why_whole(manifest, warehouse_lineage, consumer_mark(tx, consumer))
    changes: dict[str, Change] = {}
    if reason is None:
        changes = journal_since(tx, manifest["version"])
        reason = _cheaper_whole(duck, source, changes) if ANY_TABLE not in changes \
            else "a write the change journal could not name"
    if reason is None:
        try:
            duck.execute(f"ATTACH {_literal(spare)} AS {SPARE}")
        except Exception as exc:  # a reader holds it (file lock), or it is damaged
            reason = f"spare copy not writable ({_first_line(exc)})"
    if reason is None:
        _manifest_path(spare).unlink()  # from here until the new manifest, the spare is not trusted
        try:
            tables, rows = _update(duck, source, changes)
        finally:
            duck.execute(f"DETACH {SPARE}")
        wal = spare.with_name(spare.name + ".wal")
        if wal.exists() and wal.stat().st_size:
            raise OSError(f"the checkpoint of {spare.name} left a WAL behind")
        reason = "changed tables only"
    else:
        tables, rows = _copy_whole(duck, source, spare)
    # the manifest first: a crash before the mark leaves them different, and the next publish
    # copies this generation whole
    _write_manifest(spare, warehouse_lineage, journal_version(tx))
    duck.execute("BEGIN")
    try:
        mark_consumed(tx, consumer)
    except BaseException:
        duck.execute("ROLLBACK")
        raise
    duck.execute("COMMIT")
    return Published(spare, reason != "changed tables only", tables, rows, reason)


def _spare(target: Path) -> Path:
    """The generation file no reader of the target can have opened through the target's name."""
    gens = generation_files(target)
    try:
        current = target.stat()
    except FileNotFoundError:
        current = None
    for i, gen in enumerate(gens):
        try:
            st = gen.stat()
        except FileNotFoundError:
            continue
        if current is not None and (st.st_ino, st.st_dev) == (current.st_ino, current.st_dev):
            return gens[1 - i]
    # the target is none of them (first publish, or a copy from before generations): prefer one
    # with a manifest
    return next((g for g in gens if _manifest_path(g).exists()), gens[0])


def _why_whole(manifest: dict | None, warehouse_lineage: int, mark: int | None) -> str | None:
    if manifest is None:
        return "no spare copy with a valid manifest"
    if manifest.get("lineage") != warehouse_lineage:
        return "the spare copy was made from another warehouse"
    if mark is None or manifest.get("version") != mark:
        return "the spare copy's manifest is not the warehouse's mark of it"
    return None


def _cheaper_whole(duck, source: str, changes: dict[str, Change]) -> str | None:
    """Measured (docs/warehouse.md): an update reads and writes the changed rows (the changed
    partitions, or every row of a table changed anywhere, on both sides), a whole copy writes
    every row once; when the changed rows are more than half of all rows, the whole copy is the
    cheaper one."""
    sizes = duck.execute("SELECT table_name, estimated_size FROM duckdb_tables() WHERE database_name = $1 "
                         "AND schema_name = 'main' AND NOT temporary", [source]).fetchall()
    total = written = 0
    for table, size in sizes:
        if table in JOURNAL_TABLES:
            continue
        total += size
        change = changes.get(table.lower())
        if change is None:
            continue
        if change.column is None:
            written += size
        else:
            written += duck.execute(f"SELECT count(*) FROM {_ident(source)}.main.{_ident(table)} "
                                    f"WHERE {_ident(change.column)} >= $1", [change.start]).fetchone()[0]
    if total > WHOLE_COPY_MIN_ROWS and 2 * written > total:
        return f"the written tables hold {written} changed of {total} rows: a whole copy is cheaper"
    return None


def _update(duck, source: str, changes: dict[str, Change]) -> tuple[tuple[str, ...], int]:
    """Bring the tables changed since the spare was made up to date in the attached spare (their
    changed partitions, their differing rows, or the whole table) and re-create every view and
    comment, in one transaction, then checkpoint it. Returns the changed tables and the rows
    deleted plus inserted."""
    work = _tables(duck, source)
    have = _tables(duck, SPARE)
    changed = [t for t, sql in work.items() if t not in have or have[t] != sql or t.lower() in changes]
    src = _ident(source)
    duck.execute("BEGIN")
    try:
        duck.execute(f"USE {SPARE}")
        for (view,) in duck.execute("SELECT view_name FROM duckdb_views() WHERE database_name = $1 "
                                    "AND schema_name = 'main' AND NOT internal", [SPARE]).fetchall():
            duck.execute(f"DROP VIEW {_ident(view)}")
        rows = 0
        recreated = [t for t in changed if have.get(t) != work[t]]  # new, or its columns changed
        for t in changed:
            if t in recreated:
                continue
            change = changes.get(t.lower(), Change(None, None))
            delta = _apply_partitions(duck, src, t, change) if change.column else _apply_delta(duck, src, t)
            if delta is None:
                recreated.append(t)
            else:
                rows += delta
        for t in sorted(set(have) - set(work)) + recreated:
            duck.execute(f"DROP TABLE IF EXISTS {_ident(t)}")
        for t in recreated:
            duck.execute(work[t])
            duck.execute(f"INSERT INTO {_ident(t)} SELECT * FROM {src}.main.{_ident(t)}")
            rows += duck.execute(f"SELECT count(*) FROM {_ident(t)}").fetchone()[0]
        for (sql,) in duck.execute("SELECT sql FROM duckdb_indexes() WHERE database_name = $1 AND schema_name = "
                                   "'main' AND list_contains($2, table_name) AND sql IS NOT NULL",
                                   [source, recreated]).fetchall():
            duck.execute(sql)
        for (sql,) in duck.execute("SELECT sql FROM duckdb_views() WHERE database_name = $1 AND schema_name = "
                                   "'main' AND NOT internal ORDER BY view_oid", [source]).fetchall():
            duck.execute(sql)
        _comments(duck, source)
        duck.execute(f"USE {src}")
        duck.execute("COMMIT")
    except BaseException:
        duck.execute("ROLLBACK")
        duck.execute(f"USE {src}")
        raise
    duck.execute(f"CHECKPOINT {SPARE}")
    return tuple(changed), rows


def _apply_partitions(duck, src: str, table: str, change: Change) -> int:
    """Make the spare's partitions >= change.start the working ones: every change since the
    spare was made rewrote only those, so the rows before them are equal on both sides. Returns
    the rows deleted plus inserted."""
    t, column = _ident(table), _ident(change.column)
    deleted = duck.execute(f"DELETE FROM {t} WHERE {column} >= $1", [change.start]).fetchone()[0]
    inserted = duck.execute(f"INSERT INTO {t} SELECT * FROM {src}.main.{t} WHERE {column} >= $1",
                            [change.start]).fetchone()[0]
    return deleted + inserted


def _apply_delta(duck, src: str, table: str) -> int | None:
    """Make the spare's rows of a written table the working ones by deleting and inserting only the
    rows that differ, matched on a 64-bit hash of the whole row (reading both costs a fraction of
    writing the table: a run rewrites a fact for its touched keys, most rows come back unchanged).
    Returns the rows deleted plus inserted, or None when the table is better re-created: duplicate
    hashes (equal rows: a set difference would miscount them) or more than half the rows changed."""
    t = _ident(table)
    for side, catalog in (("w", src), ("s", SPARE)):
        duck.execute(f"CREATE OR REPLACE TEMP TABLE _csi_{side} AS SELECT hash(_csi_row) AS h, rowid AS r "
                     f"FROM {catalog}.main.{t} AS _csi_row")
    n_w, distinct_w, n_s, distinct_s = duck.execute(
        "SELECT (SELECT count(*) FROM temp.main._csi_w), (SELECT count(DISTINCT h) FROM temp.main._csi_w), "
        "(SELECT count(*) FROM temp.main._csi_s), (SELECT count(DISTINCT h) FROM temp.main._csi_s)").fetchone()
    try:
        if distinct_w != n_w or distinct_s != n_s:
            return None
        gone = "SELECT r FROM temp.main._csi_s ANTI JOIN temp.main._csi_w USING (h)"
        new = "SELECT r FROM temp.main._csi_w ANTI JOIN temp.main._csi_s USING (h)"
        n_gone, n_new = duck.execute(f"SELECT (SELECT count(*) FROM ({gone})), (SELECT count(*) FROM ({new}))").fetchone()
        if 2 * (n_gone + n_new) > max(n_w, 1):
            return None
        if n_gone:
            duck.execute(f"DELETE FROM {t} WHERE rowid IN ({gone})")
        if n_new:
            duck.execute(f"INSERT INTO {t} SELECT * FROM {src}.main.{t} WHERE rowid IN ({new})")
        return n_gone + n_new
    finally:
        duck.execute("DROP TABLE temp.main._csi_w")
        duck.execute("DROP TABLE temp.main._csi_s")


def _comments(duck, source: str) -> None:
    """Make the spare's table, view and column comments the working database's (a re-created
    object has none; a run re-applies every declared comment, so they are compared, not tracked)."""
    sql = ("SELECT 'TABLE', table_name, '', comment FROM duckdb_tables() WHERE database_name = $1 "
           "AND schema_name = 'main' AND NOT temporary AND NOT list_contains($2, table_name) "
           "UNION ALL SELECT 'VIEW', view_name, '', comment FROM duckdb_views() WHERE database_name = $1 "
           "AND schema_name = 'main' AND NOT internal "
           "UNION ALL SELECT 'COLUMN', table_name, column_name, comment FROM duckdb_columns() "
           "WHERE database_name = $1 AND schema_name = 'main' AND NOT list_contains($2, table_name)")
    want = {row[:3]: row[3] for row in duck.execute(sql, [source, list(JOURNAL_TABLES)]).fetchall()}
    have = {row[:3]: row[3] for row in duck.execute(sql, [SPARE, list(JOURNAL_TABLES)]).fetchall()}
    for (kind, name, column), text in want.items():
        if (kind, name, column) in have and have[kind, name, column] != text:
            on = _ident(name) + (f".{_ident(column)}" if column else "")
            duck.execute(f"COMMENT ON {kind} {on} IS {'NULL' if text is None else _literal(text)}")


def _copy_whole(duck, source: str, spare: Path) -> tuple[tuple[str, ...], int]:
    """A new file with every table, view and comment, renamed over the spare's name (a reader
    holding the old spare keeps it)."""
    tmp = spare.with_name(f"{spare.name}.{os.getpid()}.tmp")
    _manifest_path(spare).unlink(missing_ok=True)
    duck.execute(f"ATTACH {_literal(tmp)} AS {SPARE} (STORAGE_VERSION '{STORAGE_VERSION}')")
    try:
        duck.execute(f"COPY FROM DATABASE {_ident(source)} TO {SPARE}")
        for journal in sorted(JOURNAL_TABLES):
            duck.execute(f"DROP TABLE IF EXISTS {SPARE}.main.{journal}")
        tables = tuple(_tables(duck, SPARE))
        rows = sum(duck.execute(f"SELECT count(*) FROM {SPARE}.main.{_ident(t)}").fetchone()[0] for t in tables)
    finally:
        duck.execute(f"DETACH {SPARE}")
    spare.with_name(spare.name + ".wal").unlink(missing_ok=True)  # a crashed update's, not this file's
    os.replace(tmp, spare)
    return tables, rows


def _flip(spare: Path, target: Path, link: Path) -> None:
    """Point the target's name at the spare in one rename."""
    try:
        os.link(spare, link)
    except OSError:  # no hard links on this file system: a byte copy, renamed the same way
        shutil.copyfile(spare, link)
    os.replace(link, target)


def _tables(duck, database: str) -> dict[str, str]:
    rows = duck.execute("SELECT table_name, sql FROM duckdb_tables() WHERE database_name = $1 AND schema_name = "
                        "'main' AND NOT temporary AND NOT list_contains($2, table_name) ORDER BY table_name",
                        [database, list(JOURNAL_TABLES)]).fetchall()
    return dict(rows)


def _manifest_path(gen: Path) -> Path:
    return gen.with_name(gen.name + ".json")


def _read_manifest(gen: Path) -> dict | None:
    """The spare's manifest when it still describes the file on disk (same inode, size, mtime)."""
    try:
        manifest = json.loads(_manifest_path(gen).read_text())
        st = gen.stat()
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("file") != [st.st_ino, st.st_size, st.st_mtime_ns]:
        return None
    return manifest


def _write_manifest(gen: Path, warehouse_lineage: int, version: int) -> None:
    st = gen.stat()
    path = _manifest_path(gen)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"lineage": warehouse_lineage, "version": version,
                               "file": [st.st_ino, st.st_size, st.st_mtime_ns]}, sort_keys=True))
    os.replace(tmp, path)


class PublishError(WarehouseError):
    """The read-only copy could not be written: the run is failed, the previous copy stays."""


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: object) -> str:
    return "'" + str(text).replace("'", "''") + "'"  # ATTACH and COMMENT take no bound parameters


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "strerror", None) or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
