"""The declaration language for warehouse tables.

One declaration per table (columns, types, keys, comments) drives the DDL on
DuckDB and PostgreSQL, the `COMMENT ON` text BI tools show, the polars dtypes of
reads, and the generated data dictionary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
import sqlalchemy as sa

# logical type -> (SQLAlchemy type, polars dtype)
TYPES: dict[str, tuple[sa.types.TypeEngine, pl.DataType]] = {
    "text": (sa.Text(), pl.String()),
    "int": (sa.Integer(), pl.Int32()),
    "bigint": (sa.BigInteger(), pl.Int64()),
    "double": (sa.Double(), pl.Float64()),
    "date": (sa.Date(), pl.Date()),
    "timestamp": (sa.DateTime(), pl.Datetime("us")),
    "bool": (sa.Boolean(), pl.Boolean()),
}


@dataclass(frozen=True)
class Col:
    name: str
    type: str
    comment: str
    nullable: bool = True

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")


@dataclass(frozen=True)
class TableDecl:
    name: str
    layer: str  # dim | stg | fct | mart | ops
    comment: str
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()
    # rows of a snapshot/period mart are replaced by this column
    partition: str | None = None
    indexes: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: TYPES[c.type][1] for c in self.columns}

    def conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Select and cast a frame to this table's columns, failing clearly on a gap."""
        missing = [c for c in self.column_names if c not in frame.columns]
        if missing:
            raise ValueError(f"{self.name}: the frame lacks columns {missing}")
        return frame.select([pl.col(n).cast(t) for n, t in self.polars_schema.items()])


def C(name: str, type_: str, comment: str, nullable: bool = True) -> Col:  # noqa: N802
    return Col(name, type_, comment, nullable)


def NN(name: str, type_: str, comment: str) -> Col:  # noqa: N802
    return Col(name, type_, comment, nullable=False)


def to_sqlalchemy(decl: TableDecl, metadata: sa.MetaData, *, with_keys: bool) -> sa.Table:
    """The SQLAlchemy table. DuckDB gets no key constraints: its index cannot take a
    delete and re-insert of the same key in one transaction, and uniqueness is
    checked by the data-quality suite on both databases anyway."""
    cols = [
        sa.Column(c.name, TYPES[c.type][0], nullable=c.nullable, comment=c.comment)
        for c in decl.columns
    ]
    args: list = list(cols)
    if decl.key and with_keys:
        args.append(sa.PrimaryKeyConstraint(*decl.key, name=f"pk_{decl.name}"))
    for idx in decl.indexes:
        args.append(sa.Index(f"ix_{decl.name}_{'_'.join(idx)}", *idx))
    return sa.Table(decl.name, metadata, *args, comment=decl.comment)
