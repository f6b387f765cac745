"""What a check run validates: every table whole, or what the change journal says changed.

`run_checks(settings, scope)` (csi.quality.checkpoint) takes `scope`:

- None or "all": every declared table with checks, whole (`csi check`; every run when
  `quality_scope` is "all");
- "changed": the tables written since the last passing check, read from the change
  journal (csi.warehouse.changes, consumer "checks"); a table rewritten from a partition
  value on is checked on those partitions only (csi.warehouse.check_batches says which
  rules stay exact on them), any other written table whole. A journal entry for "*" (a
  write no statement could name) makes it every table whole.

The journal is marked consumed only after a passing check (checkpoint), so a failed or
crashed check leaves the same scope, plus whatever was written since, for the next run.

Plain data and no SQL: importing this module loads neither GX nor a database driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from csi.warehouse.declare import TableDecl
from csi.warehouse.engine import ANY_TABLE
from csi.warehouse.tables_core import STAGING_BY_SOURCE

CONSUMER = "checks"  # the checks' name in the change journal
ScopeArg = Literal["all", "changed"] | None
# the reconciliation compares these; a scope that wrote none of them cannot change its outcome
RECONCILED = frozenset({"ops_pipeline_run", *(d.name for d in STAGING_BY_SOURCE.values())})


@dataclass(frozen=True)
class Scope:
    """{table: None (whole) or the first partition value to check}, in declaration order."""

    tables: dict[str, date | None] = field(default_factory=dict)
    is_whole: bool = False  # every table whole, by request (not because the journal said so)
    reconcile: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.tables and not self.reconcile


def check_scope(arg: ScopeArg) -> ScopeArg:
    """The scope argument, refused in one line when it is not one of None, "all", "changed"."""
    if arg not in (None, "all", "changed"):
        raise ValueError(f"run_checks: scope must be None, 'all' or 'changed', not {arg!r}")
    return arg


def whole(decls: tuple[TableDecl, ...], checked: set[str]) -> Scope:
    return Scope({d.name: None for d in decls if d.name in checked}, is_whole=True, reconcile=True)


def from_journal(journal: Mapping[str, date | None], decls: tuple[TableDecl, ...], checked: set[str]) -> Scope:
    """The scope of a journal ({table: earliest partition value rewritten, None: anywhere});
    `checked`: the tables that have any check (others are left out: nothing to validate)."""
    written = {name.lower(): since for name, since in journal.items()}
    if ANY_TABLE in written:
        return Scope({d.name: None for d in decls if d.name in checked}, reconcile=True)
    tables = {}
    for d in decls:
        if d.name in checked and d.name in written:
            since = written[d.name]
            tables[d.name] = since if since is not None and d.partition else None
    return Scope(tables, reconcile=bool(RECONCILED & written.keys()))


def rows_covered(decl: TableDecl, since: date | None) -> str:
    """The rows one table's check read, in words (the Data Docs asset name): "whole table",
    "as_of_date from 2026-03-01 on"; no characters a file name or URL would choke on."""
    if since is None:
        return "whole table"
    words = f"{decl.partition} from {since.isoformat()} on"
    if decl.key and decl.partition not in decl.key:
        words += " and the older rows sharing their keys"
    return words


def describe(scope: Scope) -> str:
    """One line for the run summary: "all 34 tables whole", "12 tables, 3 from 2026-03-01",
    "12 tables, 5 from 2026-01-01 or later", "nothing changed"."""
    n = len(scope.tables)
    tables = f"{n} table{'' if n == 1 else 's'}"
    if scope.is_whole:
        return f"all {tables} whole"
    if not n:
        return "reconciliation only" if scope.reconcile else "nothing changed"
    starts = sorted({s for s in scope.tables.values() if s is not None})
    line = tables
    if starts:
        partial = sum(s is not None for s in scope.tables.values())
        line += f", {partial} from {starts[0].isoformat()}" + (" or later" if len(starts) > 1 else "")
    return line
