"""Parse landing text into typed values, never coercing: unparseable text becomes null
and is flagged, so that ``csi.validation`` can give it a reason.

Accepted text (surrounding whitespace is ignored for typed columns; empty or
whitespace-only text is null, i.e. missing, for every column):

- integer: optional sign and digits, optionally followed by a zero fraction
  (``3``, ``-3``, ``3.0``, ``3.``); ``3.5``, ``1e3``, ``3,0`` are not integers; a
  decimal-written integer beyond 2**53 is rejected rather than rounded.
- decimal: optional sign, digits with an optional ``.`` fraction (``12``, ``12.5``,
  ``.5``, ``12.``); no exponent, no thousands separator, no ``nan``/``inf``.
- timestamp: ``YYYY-MM-DD HH:MM:SS`` or ``YYYY-MM-DDTHH:MM:SS``, optional fraction
  of a second (1-9 digits; this covers polars' Datetime -> String text), naive,
  must be a real calendar date and time; stored as ``Datetime("us")``.
- boolean: ``true``/``false``/``1``/``0``, any letter case.
- text: kept exactly as written (no trimming, no case folding).
"""

from __future__ import annotations

import polars as pl

from schemas.reasons import NOT_A_BOOLEAN, NOT_A_NUMBER, NOT_A_TIMESTAMP, NOT_AN_INTEGER

WHOLE_DECIMAL_RE = r"^[+-]?[0-9]+\.0*$"  # "3.0": an integer written as a decimal
DECIMAL_RE = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"
TIMESTAMP_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?$"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S%.f"
TRUE_TEXT, FALSE_TEXT = ("true", "1"), ("false", "0")

#: reason rule of a value of each kind that is present but unparseable
NOT_A: dict[str, str] = {
    "int": NOT_AN_INTEGER,
    "float": NOT_A_NUMBER,
    "datetime": NOT_A_TIMESTAMP,
    "bool": NOT_A_BOOLEAN,
}


def kind_of(dtype: pl.DataType) -> str:
    """'int', 'float', 'datetime', 'bool' or 'text' for a model column dtype."""
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "float"
    if isinstance(dtype, pl.Datetime) or dtype == pl.Datetime:
        return "datetime"
    if dtype == pl.Boolean:
        return "bool"
    if dtype == pl.String:
        return "text"
    raise TypeError(f"no text parser for dtype {dtype}")


def prepare(column: str, given: pl.DataType, dtype: pl.DataType) -> pl.Expr:
    """The column's text as the parser sees it: blank (empty or whitespace-only) text is
    null; text columns are otherwise untouched, typed columns are stripped."""
    raw = pl.col(column) if given == pl.String else pl.col(column).cast(pl.String)
    stripped = raw.str.strip_chars()
    kept = raw if kind_of(dtype) == "text" else stripped
    return pl.when(stripped.str.len_bytes() > 0).then(kept)


def parse(text: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Typed value of prepared ``text`` (see ``prepare``); null when null or unparseable."""
    kind = kind_of(dtype)
    if kind == "text":
        return text
    if kind == "int":  # plain digits parse directly; "3.0" goes through an exact float
        direct = text.cast(dtype, strict=False)
        whole = pl.when(text.str.contains(WHOLE_DECIMAL_RE)).then(text.cast(pl.Float64, strict=False))
        return direct.fill_null(pl.when(whole.abs() < 2**53).then(whole).cast(dtype))
    if kind == "float":
        return pl.when(text.str.contains(DECIMAL_RE)).then(text.cast(dtype, strict=False))
    if kind == "datetime":
        ts = text.str.replace("T", " ", literal=True).str.to_datetime(TIMESTAMP_FORMAT, time_unit="us", strict=False)
        return pl.when(text.str.contains(TIMESTAMP_RE)).then(ts).cast(pl.Datetime("us"))
    low = text.str.to_lowercase()
    return pl.when(low.is_in(TRUE_TEXT)).then(True).when(low.is_in(FALSE_TEXT)).then(False)


def parse_steps(given: dict[str, pl.DataType], dtypes: dict[str, pl.DataType], flag: str) -> list[list[pl.Expr]]:
    """Successive ``with_columns`` steps that parse every column of ``dtypes`` in place
    (``given``: its current dtype) and add ``<flag><col>`` per typed column, true where
    present text did not parse. Plain expressions, so callers can build them once."""
    parsed = [c for c, t in dtypes.items() if kind_of(t) != "text"]
    return [
        [prepare(c, given[c], t).alias(c) for c, t in dtypes.items()],
        [pl.col(c).is_not_null().alias(flag + c) for c in parsed],
        [parse(pl.col(c), t).alias(c) for c, t in dtypes.items()],
        [(pl.col(flag + c) & pl.col(c).is_null()).alias(flag + c) for c in parsed],
    ]
