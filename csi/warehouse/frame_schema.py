"""pandera schemas of the warehouse tables, generated from their declarations.

The declaration (csi/warehouse/declare.py) is the one place a table's columns are
written; this module turns it into a pandera `DataFrameSchema` (the warehouse
dtypes of the declared types, nullability, the range or allowed values of each
column, the key unique), so a frame a transform hands to the warehouse can be
checked against exactly what the DDL, the data dictionary and the Great
Expectations suites say. There are no hand-written pandera models of facts or
marts: a copy drifts (r/f/m_score were once Int8 there and int in the warehouse).

`validate_frame(decl, frame)` checks a frame the way the edge writes it:
`Tx.insert` selects and casts the declared columns (`TableDecl.conform`), so a
transform may hand over a narrower integer (Int8 scores) or extra working columns,
but not a column of another kind (text for a number, a number for a date), a
value that does not fit (an integer beyond int32), a null in a NOT NULL column,
a value outside the declared range or vocabulary, or a duplicated key.
"""

from __future__ import annotations

import pandera.errors
import pandera.polars as pa
import polars as pl

from csi.warehouse.declare import TYPES, Col, TableDecl


class FrameInvalid(ValueError):
    """A frame that the warehouse declaration of its table refuses; the message names table and columns."""


def _checks(col: Col) -> list[pa.Check]:
    if col.values:
        return [pa.Check.isin(list(col.values))]
    if col.min is not None and col.max is not None:
        return [pa.Check.in_range(col.min, col.max, include_min=not col.strict_min, include_max=not col.strict_max)]
    if col.min is not None:
        return [(pa.Check.gt if col.strict_min else pa.Check.ge)(col.min)]
    if col.max is not None:
        return [(pa.Check.lt if col.strict_max else pa.Check.le)(col.max)]
    return []


def pandera_schema(decl: TableDecl) -> pa.DataFrameSchema:
    """The table as pandera sees it: exactly the declared columns, each with its warehouse dtype."""
    columns = {c.name: pa.Column(TYPES[c.type][1], checks=_checks(c), nullable=c.nullable)
               for c in decl.columns}
    return pa.DataFrameSchema(columns, strict=True, unique=list(decl.key) or None, name=decl.name)


# logical type -> the frame dtypes the edge's cast turns into it without changing a value's meaning
def _castable(type_: str, dtype: pl.DataType) -> bool:
    if dtype == pl.Null:
        return True  # an all-null column (pl.lit(None)) takes any type
    if type_ in ("int", "bigint"):
        return dtype.is_integer()
    if type_ == "double":
        return dtype.is_float() or dtype.is_integer()
    if type_ == "timestamp":
        return isinstance(dtype, pl.Datetime) and dtype.time_zone is None
    return dtype == TYPES[type_][1]


def validate_frame(decl: TableDecl, frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """The frame as the warehouse would store it (declared columns, cast), or FrameInvalid saying why not."""
    frame = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    missing = [c for c in decl.column_names if c not in frame.columns]
    if missing:
        raise FrameInvalid(f"{decl.name}: the frame lacks columns {missing}")
    wrong = [f"{c.name} is {frame.schema[c.name]}, declared {c.type}" for c in decl.columns
             if not _castable(c.type, frame.schema[c.name])]
    if wrong:
        raise FrameInvalid(f"{decl.name}: {'; '.join(wrong)}")
    try:
        stored = decl.conform(frame)
    except pl.exceptions.PolarsError as exc:
        raise FrameInvalid(f"{decl.name}: a value does not fit its declared type: {exc}".splitlines()[0]) from exc
    try:
        return pandera_schema(decl).validate(stored, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        raise FrameInvalid(f"{decl.name}: {_summary(decl, exc)}") from exc


def _summary(decl: TableDecl, exc: pandera.errors.SchemaErrors) -> str:
    """One line: each failed column and check with up to three failing values."""
    parts = []
    for (column, check), group in exc.failure_cases.group_by(["column", "check"], maintain_order=True):
        if check == "multiple_fields_uniqueness":
            parts.append(f"key ({', '.join(decl.key)}) not unique ({group.height} rows)")
            continue
        values = ", ".join(str(v) for v in group["failure_case"].head(3).to_list())
        parts.append(f"{column}: {check} ({group.height} rows, e.g. {values})")
    return "; ".join(parts)
