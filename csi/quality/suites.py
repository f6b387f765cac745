"""Which expectations each warehouse table gets, derived from the declarations.

Every table with a `key` gets "key columns not null" and "key unique" (a single
or a compound key); value rules come from `RULES`, a small registry matched by
`table.column` glob, so a new mart gets its checks by naming its columns in the
house style (`*_pct`, `nps`, `r_score`, `value_tier`). Other modules extend it
with `add_rule(...)`. The registry describes expectations as plain data;
csi.quality.checkpoint turns them into Great Expectations objects, so this module
stays importable without loading GX.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from csi.warehouse.declare import TableDecl


@dataclass(frozen=True)
class Rule:
    """`pattern` is a glob on "table.column"; kind is "between" or "in_set"."""

    pattern: str
    kind: str
    min: float | None = None
    max: float | None = None
    values: tuple[Any, ...] = ()
    strict_max: bool = False


@dataclass(frozen=True)
class Check:
    table: str
    column: str  # "a+b" for a compound key
    expectation: str  # GX expectation class name
    kwargs: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.table}.{self.column}: {self.expectation}"


RULES: list[Rule] = [
    Rule("*.nps", "between", -100, 100),
    Rule("*.*_pct", "between", 0, 100),
    Rule("*.nps_delta", "between", -200, 200),
    Rule("mart_*.[rfm]_score", "between", 1, 5),
    Rule("*.risk_score", "between", 0, 100),
    Rule("mart_churn_signals.risk_band", "in_set", values=("low", "medium", "high")),
    Rule("*.value_tier", "in_set", values=("platinum", "gold", "iron", "lead")),
    Rule("fct_survey_response.nps_answer", "between", 0, 10),
    Rule("fct_survey_response.nps_class", "in_set", values=("promoter", "passive", "detractor")),
    Rule("*.severity", "between", 1, 4),
    Rule("*.discount", "between", 0, 1, strict_max=True),
    Rule("*.quantity", "between", 1, None),
    Rule("*.order_type", "in_set", values=("sale", "return")),
    Rule("*complaint*.status", "in_set", values=("open", "in_progress", "resolved", "rejected", "closed")),
    Rule("ops_pipeline_run.status", "in_set", values=("running", "loaded", "success", "failed", "skipped")),
]


def add_rule(rule: Rule) -> Rule:
    RULES.append(rule)
    return rule


def checks_for(decl: TableDecl) -> list[Check]:
    checks: list[Check] = []
    for col in decl.key:
        checks.append(Check(decl.name, col, "ExpectColumnValuesToNotBeNull", {"column": col}))
    if len(decl.key) == 1:
        checks.append(Check(decl.name, decl.key[0], "ExpectColumnValuesToBeUnique", {"column": decl.key[0]}))
    elif decl.key:
        checks.append(Check(decl.name, "+".join(decl.key), "ExpectCompoundColumnsToBeUnique",
                            {"column_list": list(decl.key)}))
    for col in decl.column_names:
        for rule in RULES:
            if fnmatchcase(f"{decl.name}.{col}", rule.pattern):
                checks.append(_value_check(decl.name, col, rule))
    return checks


def _value_check(table: str, col: str, rule: Rule) -> Check:
    if rule.kind == "in_set":
        return Check(table, col, "ExpectColumnValuesToBeInSet", {"column": col, "value_set": list(rule.values)})
    kwargs: dict[str, Any] = {"column": col, "min_value": rule.min, "max_value": rule.max}
    if rule.strict_max:
        kwargs["strict_max"] = True
    return Check(table, col, "ExpectColumnValuesToBeBetween", kwargs)


def all_checks(tables: tuple[TableDecl, ...] | None = None) -> dict[str, list[Check]]:
    """{table: checks} for every declared table that has any check."""
    from csi.warehouse.tables import TABLES

    out = {d.name: checks_for(d) for d in (TABLES if tables is None else tables)}
    return {t: c for t, c in out.items() if c}
