"""The declaration language for warehouse tables.

One declaration per table (columns, types, keys, comments, and each column's
allowed range or values) drives the DDL on DuckDB and PostgreSQL, the `COMMENT ON`
text BI tools show, the polars dtypes of reads, the Great Expectations suites
(csi/quality/suites.py) and the generated data dictionary.

A column's rule is what METRICS.md makes true *by definition*: `min` / `max`
(inclusive; `strict_min` / `strict_max` exclude the bound, e.g. discount < 1) or
`values` (a closed vocabulary from csi/vocab.py). Nulls always pass a rule;
`nullable=False` is enforced by the database's NOT NULL.

A mart's column order, and where the transform builds its frame from a dtype
dict its types, are the transform's: `in_order` / `typed` take them from the
transform (csi.warehouse may import transforms, never the reverse), so the
declaration adds comments and rules and cannot drift from what is written. A
column declared with type FRAME takes the transform's dtype.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

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


NUMERIC = ("int", "bigint", "double")
FRAME = "frame"  # the type of the transform's frame schema, filled in by typed()


@dataclass(frozen=True)
class Col:
    name: str
    type: str
    comment: str
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    strict_min: bool = False
    strict_max: bool = False
    values: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        if self.type == FRAME:
            return  # checked once typed() gives it the transform's type
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")
        ranged = self.min is not None or self.max is not None
        problems = [
            "give either a range or allowed values, not both" if ranged and self.values else "",
            f"a range needs a numeric type, not {self.type}" if ranged and self.type not in NUMERIC else "",
            f"min {self.min} > max {self.max}"
            if self.min is not None and self.max is not None and self.min > self.max else "",
            "strict_min without min" if self.strict_min and self.min is None else "",
            "strict_max without max" if self.strict_max and self.max is None else "",
            f"allowed values need a text or integer type, not {self.type}"
            if self.values and self.type not in ("text", "int", "bigint") else "",
        ]
        if any(problems):
            raise ValueError(f"column {self.name}: {'; '.join(p for p in problems if p)}")

    @property
    def has_rule(self) -> bool:
        return bool(self.values) or self.min is not None or self.max is not None

    @property
    def rule(self) -> str:
        """The rule in words, e.g. "between -100 and 100", ">= 0 and < 1", "in (sale, return)"; "" if none."""
        if self.values:
            return f"in ({', '.join(str(v) for v in self.values)})"
        if self.min is not None and self.max is not None and not (self.strict_min or self.strict_max):
            return f"between {_num(self.min)} and {_num(self.max)}"
        parts = []
        if self.min is not None:
            parts.append(f"{'>' if self.strict_min else '>='} {_num(self.min)}")
        if self.max is not None:
            parts.append(f"{'<' if self.strict_max else '<='} {_num(self.max)}")
        return " and ".join(parts)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


@dataclass(frozen=True)
class TableDecl:
    name: str
    layer: str  # dim | stg | fct | mart | ops
    comment: str
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()
    # a date column the table's rows are written by ranges of: every write touches only rows with
    # partition >= some value, which the change journal records, so scoped checks and the publish
    # read only those rows (a snapshot/period mart's as_of_date/month, a drop's drop_date, ...)
    partition: str | None = None
    indexes: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        untyped = [c.name for c in self.columns if c.type == FRAME]
        if untyped:
            raise ValueError(f"{self.name}: columns {untyped} are declared FRAME but not typed()")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: TYPES[c.type][1] for c in self.columns}

    def column(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)

    def with_column(self, name: str, **changes: Any) -> TableDecl:
        """This declaration with one column changed, e.g. `with_column("quantity", max=1)`."""
        if name not in self.column_names:
            raise KeyError(f"{self.name} has no column {name!r}")
        return replace(self, columns=tuple(replace(c, **changes) if c.name == name else c for c in self.columns))

    def conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Select and cast a frame to this table's columns, failing clearly on a gap."""
        missing = [c for c in self.column_names if c not in frame.columns]
        if missing:
            raise ValueError(f"{self.name}: the frame lacks columns {missing}")
        return frame.select([pl.col(n).cast(t) for n, t in self.polars_schema.items()])


def C(name: str, type_: str, comment: str, nullable: bool = True, **rule: Any) -> Col:  # noqa: N802
    """A nullable column; `rule`: min=, max=, strict_min=, strict_max= or values=."""
    return Col(name, type_, comment, nullable, **rule)


def NN(name: str, type_: str, comment: str, **rule: Any) -> Col:  # noqa: N802
    """A NOT NULL column; `rule` as for C."""
    return Col(name, type_, comment, nullable=False, **rule)


def in_order(names: Sequence[str], columns: Sequence[Col]) -> tuple[Col, ...]:
    """`columns` in the order a transform writes them (`names`). A declared column the transform does
    not write (the edge adds it, e.g. the cell keys) keeps its place after the column declared before it."""
    by_name = {c.name: c for c in columns}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"the transform writes columns {unknown} that the declaration lacks")
    order = list(names)
    for i, col in enumerate(columns):
        if col.name not in order:
            order.insert(order.index(columns[i - 1].name) + 1 if i else 0, col.name)
    return tuple(by_name[n] for n in order)


def logical_type(dtype: pl.DataType | type[pl.DataType]) -> str:
    """The declaration type of a polars dtype (pl.Int64 -> "bigint"); ValueError for one the warehouse lacks."""
    found = [name for name, (_, polars_type) in TYPES.items() if polars_type == dtype]
    if not found:
        raise ValueError(f"no warehouse type for the polars dtype {dtype}")
    return found[0]


def typed(schema: Mapping[str, pl.DataType | type[pl.DataType]], columns: Sequence[Col]) -> tuple[Col, ...]:
    """`columns` in the order of a transform's frame schema, FRAME types replaced by its dtypes; a column
    declared with a type of its own must agree with the schema (ValueError naming it)."""
    out = []
    for col in in_order(list(schema), columns):
        if col.name in schema and col.type == FRAME:
            col = replace(col, type=logical_type(schema[col.name]))
        elif col.name in schema and logical_type(schema[col.name]) != col.type:
            raise ValueError(f"column {col.name}: declared {col.type}, the transform writes {schema[col.name]}")
        out.append(col)
    return tuple(out)


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
