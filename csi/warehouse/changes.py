"""The change journal's read API: which tables changed since a consumer last looked, and from
which partition on.

Every committed transaction journals the tables it wrote (csi.warehouse.engine.record_changes,
table `_csi_table_changes`, on both databases): a table rewritten only from a partition value on
(Tx.delete_partitions_from / replace_partitions_from, or inserts into a partitioned table) with
the earliest such value, any other write as rows anywhere. A consumer ("publish.gen0",
"publish.gen1": csi.warehouse.publish, one per generation of the copy; "checks": csi.quality)
reads what changed since its own mark and moves the mark when it has seen it; entries every
marked consumer has seen are pruned then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from csi.warehouse.engine import ANY_TABLE, CHANGES_TABLE, JOURNAL_TABLES, MARKS_TABLE, Tx, start_journal


@dataclass(frozen=True)
class Change:
    """A table's change: rows anywhere (`column` None), or only rows whose `column` >= `start`."""

    column: str | None
    start: date | None


def changes_since(tx: Tx, consumer: str) -> dict[str, date | None]:
    """The tables written since `consumer` last called mark_consumed, mapped to the earliest
    partition value rewritten (None: rows anywhere may have changed). A consumer never seen:
    every table, None. Only tables that exist now are named."""
    return {t: c.start for t, c in changes_by_table(tx, consumer).items()}


def changes_by_table(tx: Tx, consumer: str) -> dict[str, Change]:
    """`changes_since` with each table's partition column."""
    tables = _tables(tx)
    mark = consumer_mark(tx, consumer)
    if mark is None:
        return {t: Change(None, None) for t in tables}
    found = journal_since(tx, mark)
    if ANY_TABLE in found:
        return {t: Change(None, None) for t in tables}
    return {t: found[t.lower()] for t in tables if t.lower() in found}


def journal_since(tx: Tx, mark: int) -> dict[str, Change]:
    """The union of the journal's entries after version `mark`, per journaled name (lower case;
    ANY_TABLE for a write the statement parser could not name; tables since dropped included)."""
    start_journal(tx)
    rows = tx.execute_untracked(
        f"SELECT table_name, count(*), count(DISTINCT partition_column), count(from_partition), "
        f"min(partition_column), min(from_partition) FROM {CHANGES_TABLE} "
        f"WHERE version > :mark AND table_name <> '' GROUP BY table_name", {"mark": mark}).fetchall()
    found: dict[str, Change] = {}
    for table, entries, columns, ranged, column, start in rows:
        # one partition column on every entry, each with a start: a range; else rows anywhere
        found[table] = Change(column, start) if columns == 1 and ranged == entries else Change(None, None)
    return found


def mark_consumed(tx: Tx, consumer: str) -> None:
    """The consumer has seen every change committed up to now (its mark commits with `tx`)."""
    start_journal(tx)
    version = journal_version(tx)
    tx.execute_untracked(f"DELETE FROM {MARKS_TABLE} WHERE consumer = :c", {"c": consumer})
    tx.execute_untracked(f"INSERT INTO {MARKS_TABLE} (consumer, version) VALUES (:c, :v)",
                         {"c": consumer, "v": version})
    # entries every consumer with a mark has seen are needed by nobody; the newest stays, so the
    # next version keeps counting up (a consumer never seen gets every table anyway)
    tx.execute_untracked(f"DELETE FROM {CHANGES_TABLE} WHERE table_name <> '' AND version < :v AND "
                         f"version <= (SELECT min(version) FROM {MARKS_TABLE})", {"v": version})


def consumer_mark(tx: Tx, consumer: str) -> int | None:
    """The version the consumer has seen up to, None when it has never marked."""
    start_journal(tx)
    row = tx.execute_untracked(f"SELECT max(version) FROM {MARKS_TABLE} WHERE consumer = :c",
                               {"c": consumer}).fetchone()
    return row[0]


def journal_version(tx: Tx) -> int:
    """The newest committed version (0 before any write)."""
    start_journal(tx)
    return tx.execute_untracked(f"SELECT coalesce(max(version), 0) FROM {CHANGES_TABLE} "
                                f"WHERE table_name <> ''").fetchone()[0]


def lineage(tx: Tx) -> int:
    """A number drawn once per warehouse: a copy made from another warehouse never passes for current."""
    start_journal(tx)
    return tx.execute_untracked(f"SELECT version FROM {CHANGES_TABLE} WHERE table_name = ''").fetchone()[0]


def _tables(tx: Tx) -> list[str]:
    names = tx.execute_untracked(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND "
        "table_catalog = current_database() AND table_schema = current_schema() ORDER BY table_name").fetchall()
    return [n for (n,) in names if n not in JOURNAL_TABLES]
