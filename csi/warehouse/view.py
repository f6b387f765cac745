"""The declaration of a BI view: its SELECT, its comment and a comment for every column.

A view's columns are whatever its SELECT returns (`SELECT m.*` follows the mart's
declaration), so their comments are resolved by name when the view is created:
a column of its own (`columns`, for computed or relabelled columns) first, then
the first table in `sources` that declares a column of that name (a column passed
through carries the table's comment, one source of truth).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from csi.warehouse.declare import TableDecl


@dataclass(frozen=True, eq=False)
class View:
    name: str
    sql: str  # a SELECT over warehouse tables; no data-derived text, ever
    comment: str
    sources: tuple[TableDecl, ...] = ()  # tables whose columns the view passes through, by name
    columns: Mapping[str, str] = field(default_factory=dict)  # comments of the view's own columns

    def column_comment(self, column: str) -> str:
        """The comment of one of the view's columns; a column nobody describes is a bug here."""
        if self.columns.get(column):
            return self.columns[column]
        for table in self.sources:
            for col in table.columns:
                if col.name == column and col.comment:
                    return col.comment
        sources = ", ".join(t.name for t in self.sources) or "none"
        raise ValueError(f"view {self.name}: column {column} has no comment "
                         f"(not in the view's columns, nor declared by its sources: {sources})")
