"""Which expectations each warehouse table gets: generated from its declaration only.

- a table with a `key`: its key columns not null and the key unique (single or
  compound);
- a column with a declared range (`min` / `max`, strict or not) or allowed
  `values` (csi/warehouse/declare.py, vocabularies from csi/vocab.py): exactly one
  "values between" or "values in set" expectation.

Nothing else, so a check can never say more than the declaration, which says what
METRICS.md makes true by definition (`complaint_rate_pct` has a floor and no
ceiling, `nps` lies in [-100, 100]). Not-null of the other non-nullable columns is
not repeated here: the DDL from the same declaration makes them NOT NULL, so the
database already refuses such a row, and each expectation costs a table scan.

The checks are plain data; csi.quality.checkpoint turns them into Great
Expectations objects, so this module stays importable without loading GX.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from csi.warehouse.declare import Col, TableDecl


@dataclass(frozen=True)
class Check:
    table: str
    column: str  # "a+b" for a compound key
    expectation: str  # GX expectation class name
    kwargs: dict[str, Any]
    rule: str  # in words, for the failure label: "values between -100 and 100"

    def label(self, detail: str = "") -> str:
        """E.g. `mart_satisfaction_monthly.nps: values between -100 and 100 (2 rows, e.g. 101.0, 130.0)`."""
        return f"{self.table}.{self.column}: {self.rule}" + (f" ({detail})" if detail else "")


def checks_for(decl: TableDecl) -> list[Check]:
    checks = [Check(decl.name, col, "ExpectColumnValuesToNotBeNull", {"column": col}, "not null")
              for col in decl.key]
    if len(decl.key) == 1:
        checks.append(Check(decl.name, decl.key[0], "ExpectColumnValuesToBeUnique", {"column": decl.key[0]},
                            "unique"))
    elif decl.key:
        checks.append(Check(decl.name, "+".join(decl.key), "ExpectCompoundColumnsToBeUnique",
                            {"column_list": list(decl.key)}, "unique together"))
    checks += [_value_check(decl.name, col) for col in decl.columns if col.has_rule]
    return checks


def _value_check(table: str, col: Col) -> Check:
    if col.values:
        return Check(table, col.name, "ExpectColumnValuesToBeInSet",
                     {"column": col.name, "value_set": list(col.values)}, f"values {col.rule}")
    kwargs: dict[str, Any] = {"column": col.name, "min_value": col.min, "max_value": col.max}
    if col.strict_min:
        kwargs["strict_min"] = True
    if col.strict_max:
        kwargs["strict_max"] = True
    return Check(table, col.name, "ExpectColumnValuesToBeBetween", kwargs, f"values {col.rule}")


def all_checks(tables: tuple[TableDecl, ...] | None = None) -> dict[str, list[Check]]:
    """{table: checks} for every declared table (or `tables`) that has any check."""
    from csi.warehouse.tables import TABLES

    out = {d.name: checks_for(d) for d in (TABLES if tables is None else tables)}
    return {t: c for t, c in out.items() if c}
