"""The rules ``csi.validation`` evaluates, as polars expressions built once per layout.

Every rule (parse faults, batch rules, the model's declared pandera checks) becomes a
boolean column named by its reason code, true where the row fails; the columns fold
into one fault-pattern key per row (bit k set = ``codes[k]`` failed, codes sorted).
A drop is small (about 1,000 rows), so fixed costs dominate: all rules run in one
query (one collect, not one per check), and the expressions, which do not depend on
the data, are built once per source and landing layout (see ``Rules``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData
from pandera.backends.base import BaseCheckBackend
from pandera.constants import CHECK_OUTPUT_KEY

from csi.validation import casting
from schemas.reasons import MISSING, SEPARATOR, column_missing

KEY = "__fault_key__"  # helper column: a name no landing file uses
_SKIP = "__skip__"
MAX_CODES = 62  # the fault pattern is a signed 64-bit integer


@dataclass(frozen=True)
class Rules:
    parse: list[list[pl.Expr]]  # casting.parse_steps
    flags: list[pl.Expr]  # batch and parse rules, and when each cross-field check is skipped
    checks: list[tuple[BaseCheckBackend, str | None, pl.Expr]]  # a check's backend, column, failure
    codes: list[str]  # sorted: bit k of the key is codes[k]
    key: pl.Expr  # over the flags and the check columns
    reasons: list[pl.Expr]  # reasons and reason_count of a key


def parse_faults(
    dtypes: dict[str, pl.DataType], absent: tuple[str, ...], required: tuple[str, ...], bad: str
) -> tuple[dict[str, pl.Expr], dict[str, pl.Expr]]:
    """(reason code -> true where the row fails, column -> its input is unparseable or absent).

    ``bad``: the prefix of casting.parse_steps' unparseable flags."""
    fails: dict[str, pl.Expr] = {}
    bad_input: dict[str, pl.Expr] = {}
    for c, t in dtypes.items():
        kind = casting.kind_of(t)
        bad_input[c] = pl.col(bad + c) if kind != "text" else pl.lit(False)
        if c in absent:
            bad_input[c] = pl.lit(c in required)
            if c in required:
                fails[column_missing(c)] = pl.lit(True)
            continue
        if c in required:
            fails[f"{c}:{MISSING}"] = pl.col(c).is_null() & ~bad_input[c]
        if kind != "text":
            fails[f"{c}:{casting.NOT_A[kind]}"] = pl.col(bad + c)
    return fails, bad_input


def build_rules(
    schema: pa.DataFrameSchema,
    parse: list[list[pl.Expr]],
    fails: dict[str, pl.Expr],
    bad_input: dict[str, pl.Expr],
    cross_field: dict[str, pl.Expr],
) -> Rules:
    """A cross-field check is not applicable (skipped) where one of its inputs is
    unparseable or absent: that input has its own reason."""
    skips = {}
    for check in schema.checks:
        inputs = cross_field[check.name].meta.root_names() if check.name in cross_field else []
        skips[_SKIP + check.name] = pl.any_horizontal(bad_input[c] for c in inputs) if inputs else pl.lit(False)
    checks = [(f"{col}:{check.name}", check, col) for col, cs in schema.columns.items() for check in cs.checks]
    checks += [(check.name, check, None) for check in schema.checks]
    codes = sorted([*fails, *(code for code, _, _ in checks)])
    if len(codes) > MAX_CODES:
        raise ValueError("too many reason codes for a 64-bit fault pattern")
    failed = {c: pl.col(c) & ~pl.col(_SKIP + c) if _SKIP + c in skips else pl.col(c) for c in codes}
    bit = [(pl.col(KEY) & (1 << k)) != 0 for k in range(len(codes))]
    texts = pl.concat_str(
        pl.when(b).then(pl.lit(c + SEPARATOR)).otherwise(pl.lit("")) for b, c in zip(bit, codes, strict=True)
    )
    return Rules(
        parse=parse,
        flags=[*(e.fill_null(False).alias(c) for c, e in fails.items()), *(e.alias(c) for c, e in skips.items())],
        checks=[(check.get_backend(pl.LazyFrame())(check), col, _failure(check, code)) for code, check, col in checks],
        codes=codes,
        key=pl.sum_horizontal(failed[c].cast(pl.Int64) * (1 << k) for k, c in enumerate(codes)).alias(KEY),
        reasons=[texts.str.strip_suffix(SEPARATOR).alias("reasons"), pl.sum_horizontal(bit).alias("reason_count")],
    )


def fault_key(rules: Rules, typed: pl.LazyFrame) -> pl.LazyFrame:
    """The one-column KEY frame of ``typed`` (which carries the parse flags).

    Each check is applied by its own backend as ``check(typed, column)`` would, minus
    the eager collect of that call's postprocessing."""
    frames = [typed.select(rules.flags)]
    for backend, column, failure in rules.checks:
        out = backend.apply(PolarsData(typed, column or "*"))
        if isinstance(out, bool):  # a frame-wide verdict, one row like pandera's
            out = pl.LazyFrame({CHECK_OUTPUT_KEY: [out]})
        frames.append(out.select(failure))
    return pl.concat(frames, how="horizontal").select(rules.key)  # a duplicate code raises at collect


def _failure(check: pa.Check, code: str) -> pl.Expr:
    """Column ``code`` of a check's output, true where the check failed; a null
    output means what pandera's postprocessing makes of it (``ignore_na``)."""
    return (~pl.col(CHECK_OUTPUT_KEY).fill_null(check.ignore_na)).alias(code)


def reason_texts(rules: Rules, keys: pl.LazyFrame) -> pl.LazyFrame:
    """reasons and reason_count of each distinct fault pattern in ``keys``' KEY column.

    Building the text per distinct pattern, not per row, keeps 1M bad rows cheap."""
    return keys.select(KEY).unique().select(KEY, *rules.reasons)
