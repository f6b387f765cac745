"""Validate an all-text landing frame: split it into typed valid rows and quarantined
records carrying every reason code (``schemas/reasons.py``; docs/validation.md).

Steps: (1) parse text to the landing model's dtypes (``csi.validation.casting``: unparseable ->
``<col>:not_a_...``, blank required -> ``<col>:missing``, absent required column ->
``<col>:column_missing``; staging quarantines such a file whole first, ``file_reason``); (2) batch rules as polars expressions: key uniqueness
within the drop, the instrument catalog (surveys, ``landing_surveys.catalog_rules``),
``ordered_at:in_future`` (sales, relative to the run's start); (3) the model's
declared row-level pandera checks. A record fails with every code that fired; the
codes are sorted and joined with "; ".

Why checks are evaluated by applying each declared ``pa.Check`` rather than through
``Model.validate(lazy=True)``: measured at 1M sales rows, validate takes 0.2 s when
1% of rows fail but 12 s when half do (pandera serialises every failing row of a
frame-level check to JSON to build ``failure_cases``); a whole bad file must not
stall the nightly run. The same Check objects, applied by their pandera backend
(nulls mean what the check's ``ignore_na`` says), give one boolean column per check.
A cross-field failure is dropped when one of its inputs was unparseable or absent
(one fault, one reason); a null input makes the rule not applicable.

Why the valid rows are not validated by pandera again: they passed the same checks,
and ``_contract`` refuses a model declaring anything the rules do not enforce
(a non-nullable column missing from REQUIRED, uniqueness, coercion); what remains,
the dtypes, is compared schema to schema. A drop is small, so fixed costs dominate:
the rule expressions are built once per landing layout (``_rules``), and a drop
takes two queries (parse, then every rule at once) instead of one per check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from types import ModuleType

import pandera.polars as pa
import polars as pl

from csi.validation import casting
from csi.validation import rules as checks
from schemas import landing_complaints, landing_sales, landing_surveys
from schemas.reasons import DUPLICATE, FILE_MISSING_COLUMN

LINEAGE = ("source_file", "record_no", "raw_record", "drop_date")
QUARANTINE_SCHEMA = {
    "source": pl.String, "source_file": pl.String, "record_no": pl.Int64, "raw_record": pl.String,
    "drop_date": pl.Date, "reasons": pl.String, "reason_count": pl.Int64,
}  # fmt: skip
_SOURCES: dict[str, tuple[type[pa.DataFrameModel], ModuleType]] = {
    "sales": (landing_sales.LandingSales, landing_sales),
    "surveys": (landing_surveys.LandingSurveys, landing_surveys),
    "complaints": (landing_complaints.LandingComplaints, landing_complaints),
}
_BAD, _RUN = "__unparsed__", "__run_started_at__"  # helper columns
# The engine the eager API uses; "auto" may pick streaming, whose start-up cost
# dominates at drop size (~1,000 rows).
_ENGINE = "in-memory"
# The rule branches all scan one in-memory frame: looking for shared subplans
# among them costs more than it could save.
_NO_SHARED_PLANS = pl.QueryOptFlags(comm_subplan_elim=False)


@dataclass(frozen=True)
class Validated:
    valid: pl.DataFrame  # typed contract columns + source_file, record_no, drop_date
    quarantined: pl.DataFrame  # QUARANTINE_SCHEMA, one row per rejected record


def validate(source: str, landing: pl.DataFrame, catalog: pl.DataFrame, run_started_at: datetime) -> Validated:
    """Split ``landing`` (all-text contract columns + lineage) into valid and quarantined rows."""
    if source not in _SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {sorted(_SOURCES)}")
    if run_started_at.tzinfo is not None:
        raise ValueError("run_started_at must be naive local business time, like the data")
    lacking = [c for c in LINEAGE if c not in landing.columns]
    if lacking:
        raise ValueError(f"landing frame lacks lineage columns {lacking}")
    schema, dtypes = _contract(source)
    given = landing.schema
    absent = tuple(c for c in dtypes if c not in given)
    rules = _rules(source, absent, tuple((c, given.get(c, pl.String)) for c in dtypes))

    # 1. parse: typed values overwrite the text, flags mark present-but-unparseable text
    typed = landing.lazy().with_columns(pl.lit(None, pl.String).alias(c) for c in absent)
    for step in rules.parse:
        typed = typed.with_columns(step)
    if source == "surveys":
        typed = typed.with_columns(landing_surveys.catalog_columns(catalog))
    # every rule reads the typed frame: computed once, then all rules in a second query
    typed = typed.with_columns(pl.lit(run_started_at).alias(_RUN)).collect(engine=_ENGINE)
    key = checks.fault_key(rules, typed.lazy()).collect(engine=_ENGINE, optimizations=_NO_SHARED_PLANS)
    failed = key.to_series() != 0

    keep = [*dtypes, "source_file", "record_no", "drop_date"]
    valid = typed.filter(~failed).select(keep) if failed.any() else typed.select(keep)
    _assert_dtypes(valid.schema, dtypes)
    if valid.height == typed.height:
        return Validated(valid, pl.DataFrame(schema=QUARANTINE_SCHEMA))
    bad = typed.select(LINEAGE).hstack(key).filter(failed).lazy()
    quarantined = (
        bad.join(checks.reason_texts(rules, bad), on=checks.KEY, maintain_order="left")
        .with_columns(source=pl.lit(source))
        .select(list(QUARANTINE_SCHEMA))
        .cast(QUARANTINE_SCHEMA)
    )
    return Validated(valid, quarantined.collect(engine=_ENGINE))


def file_reason(source: str, columns: list[str]) -> str | None:
    """The reason a file of ``source`` with these (read, melted) columns is quarantined
    whole, e.g. ``file:missing_column (cost, revenue)``; None when it has every required
    column. Its rows would all fail the same way: one row says it once."""
    spec = _SOURCES[source][1]
    lacking = [c for c in spec.REQUIRED if c not in columns]
    return f"{FILE_MISSING_COLUMN} ({', '.join(lacking)})" if lacking else None


@lru_cache(maxsize=64)
def _rules(source: str, absent: tuple[str, ...], given: tuple[tuple[str, pl.DataType], ...]) -> checks.Rules:
    """The expressions of every rule for one landing layout (absent columns, text dtypes);
    the run's start is a column (_RUN), so they do not depend on the run either."""
    spec = _SOURCES[source][1]
    schema, dtypes = _contract(source)
    fails, bad_input = checks.parse_faults(dtypes, absent, spec.REQUIRED, _BAD)
    # batch rules
    if spec.KEY:
        complete = pl.all_horizontal(pl.col(k).is_not_null() for k in spec.KEY)
        fails["+".join(spec.KEY) + f":{DUPLICATE}"] = complete & (pl.len().over(spec.KEY) > 1)
    if source == "sales":
        fails["ordered_at:in_future"] = (pl.col("ordered_at") > pl.col(_RUN)).fill_null(False)
    if source == "surveys":
        fails.update(landing_surveys.catalog_rules(bad_input["answer"]))
    parse = casting.parse_steps(dict(given), dtypes, _BAD)
    return checks.build_rules(schema, parse, fails, bad_input, spec.CROSS_FIELD)


@cache
def _contract(source: str) -> tuple[pa.DataFrameSchema, dict[str, pl.DataType]]:
    """The model's schema and column dtypes, once it is known that ``validate`` enforces
    everything it declares (the valid rows are not re-validated by pandera)."""
    model, spec = _SOURCES[source]
    schema = model.to_schema()
    loose = [
        n for n, c in schema.columns.items() if (not c.nullable and n not in spec.REQUIRED) or c.unique or c.coerce
    ]
    if loose or schema.unique or schema.coerce or schema.ordered or schema.strict:
        raise TypeError(f"{model.__name__} declares rules csi.quarantine does not enforce: {loose or 'Config'}")
    return schema, {name: col.dtype.type for name, col in schema.columns.items()}


def _assert_dtypes(got: pl.Schema, dtypes: dict[str, pl.DataType]) -> None:
    """The schema's dtype check, for the price of comparing two schemas (no data pass)."""
    wrong = {c: str(got[c]) for c, t in dtypes.items() if got[c] != t}
    if wrong:
        raise TypeError(f"validated columns do not have the model's dtypes: {wrong}")
