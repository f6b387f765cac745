"""The quality suites come from the declarations only: one expectation per declared rule."""

from __future__ import annotations

import subprocess
import sys

import pytest

from csi.quality import suites
from csi.warehouse.declare import NN, C, Col, TableDecl
from csi.warehouse.tables import TABLES, table


def _value_checks(decl: TableDecl) -> list[suites.Check]:
    return [c for c in suites.checks_for(decl)
            if c.expectation in ("ExpectColumnValuesToBeBetween", "ExpectColumnValuesToBeInSet")]


@pytest.mark.parametrize("decl", TABLES, ids=[d.name for d in TABLES])
def test_every_declared_rule_becomes_exactly_one_expectation(decl):
    ruled = [c for c in decl.columns if c.values or c.min is not None or c.max is not None]
    checks = _value_checks(decl)
    assert sorted(c.column for c in checks) == sorted(c.name for c in ruled)
    for col in ruled:
        (check,) = [c for c in checks if c.column == col.name]
        if col.values:
            assert check.expectation == "ExpectColumnValuesToBeInSet"
            assert check.kwargs == {"column": col.name, "value_set": list(col.values)}
        else:
            assert check.expectation == "ExpectColumnValuesToBeBetween"
            assert check.kwargs["min_value"] == col.min and check.kwargs["max_value"] == col.max
            assert check.kwargs.get("strict_min", False) == col.strict_min
            assert check.kwargs.get("strict_max", False) == col.strict_max


def test_the_metrics_ranges_are_what_the_checks_ask():
    """Hand-copied from METRICS.md 2, 6, 7, 8 and CONTRACT.md."""
    def kw(t: str, c: str) -> dict:
        (check,) = [x for x in _value_checks(table(t)) if x.column == c]
        return {k: v for k, v in check.kwargs.items() if k != "column"}

    assert kw("mart_complaints_monthly", "complaint_rate_pct") == {"min_value": 0, "max_value": None}
    assert kw("mart_satisfaction_monthly", "nps") == {"min_value": -100, "max_value": 100}
    assert kw("mart_satisfaction_monthly", "csat_top2_pct") == {"min_value": 0, "max_value": 100}
    assert kw("mart_complaints_monthly", "sla_met_pct") == {"min_value": 0, "max_value": 100}
    assert kw("mart_customer_value", "r_score") == {"min_value": 1, "max_value": 5}
    assert kw("mart_customer_value", "rank_share") == {"min_value": 0, "max_value": 1, "strict_min": True}
    assert kw("mart_churn_signals", "risk_score") == {"min_value": 0, "max_value": 100}
    assert kw("mart_churn_signals", "risk_band") == {"value_set": ["low", "medium", "high"]}
    assert kw("mart_churn_backtest", "risk_band") == {"value_set": ["ALL", "low", "medium", "high"]}
    assert kw("mart_customer_value", "value_tier") == {"value_set": ["platinum", "gold", "iron", "lead"]}
    assert kw("fct_complaint", "severity") == {"min_value": 1, "max_value": 4}
    assert kw("fct_sales", "discount") == {"min_value": 0, "max_value": 1, "strict_max": True}
    assert kw("fct_sales", "quantity") == {"min_value": 1, "max_value": None}
    assert kw("mart_whale_curve", "rank_share_pct") == {"value_set": [5, 10, 15, 20, 25, 30, 35, 40, 45, 50,
                                                                      55, 60, 65, 70, 75, 80, 85, 90, 95, 100]}


def test_every_pct_column_has_a_rule_and_only_the_ones_metrics_allows_exceed_100():
    pct = [(d.name, c) for d in TABLES for c in d.columns if c.name.endswith("_pct")]
    assert pct and all(c.values or c.min == 0 for _, c in pct), [(t, c.name) for t, c in pct]
    not_0_100 = sorted(f"{t}.{c.name}" for t, c in pct if (c.min, c.max) != (0, 100))
    assert not_0_100 == ["mart_complaints_monthly.complaint_rate_pct", "mart_whale_curve.rank_share_pct"]


def test_keys_get_not_null_and_unique_and_nothing_else_is_invented():
    decl = TableDecl("t", "mart", "x", (
        NN("a", "text", "a"), NN("b", "int", "b"), NN("plain", "double", "no rule"),
        C("share", "double", "s", min=0, max=1), C("kind", "text", "k", values=("x", "y"))), key=("a", "b"))
    labels = [c.label() for c in suites.checks_for(decl)]
    assert labels == ["t.a: not null", "t.b: not null", "t.a+b: unique together",
                      "t.share: values between 0 and 1", "t.kind: values in (x, y)"]


def test_rule_words():
    assert Col("x", "double", "", min=0, max=1, strict_max=True).rule == ">= 0 and < 1"
    assert Col("x", "double", "", min=0, strict_min=True, max=1).rule == "> 0 and <= 1"
    assert Col("x", "double", "", min=-100, max=100).rule == "between -100 and 100"
    assert Col("x", "double", "", min=0.5).rule == ">= 0.5"
    assert Col("x", "double", "", max=2).rule == "<= 2"
    assert Col("x", "text", "", values=["a", "b"]).rule == "in (a, b)"
    assert Col("x", "text", "").rule == ""


@pytest.mark.parametrize("kwargs, message", [
    ({"type": "text", "min": 0}, "a range needs a numeric type, not text"),
    ({"type": "int", "min": 0, "values": (1,)}, "give either a range or allowed values, not both"),
    ({"type": "int", "min": 5, "max": 1}, "min 5 > max 1"),
    ({"type": "int", "strict_max": True}, "strict_max without max"),
    ({"type": "int", "strict_min": True}, "strict_min without min"),
    ({"type": "double", "values": (1.5,)}, "allowed values need a text or integer type, not double"),
])
def test_a_contradictory_declaration_is_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=f"^column x: {message}$"):
        Col("x", comment="", **kwargs)


def test_with_column_changes_one_rule():
    decl = table("fct_sales").with_column("quantity", max=1)
    assert decl.column("quantity").rule == "between 1 and 1"
    assert table("fct_sales").column("quantity").rule == ">= 1"
    with pytest.raises(KeyError, match="fct_sales has no column 'nope'"):
        table("fct_sales").with_column("nope", max=1)


def test_the_glob_registry_is_gone():
    assert not hasattr(suites, "RULES") and not hasattr(suites, "add_rule")


def test_importing_the_checkpoint_does_not_import_great_expectations():
    code = "import sys, csi.quality.checkpoint; print(any(m.startswith('great_expectations') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "False"
