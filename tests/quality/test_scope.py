"""The scope of a check run from the change journal, its one-line description, and the rows a
scoped batch reads (csi.warehouse.check_batches) on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from csi.quality.scope import Scope, check_scope, describe, from_journal, rows_covered, whole
from csi.warehouse.check_batches import changed_rows_query
from csi.warehouse.engine import Warehouse
from csi.warehouse.tables import table

FEB, MAR = date(2026, 2, 1), date(2026, 3, 1)
DECLS = tuple(table(n) for n in ("dim_site", "stg_sales_line", "mart_satisfaction_monthly", "mart_churn_signals",
                                 "ops_pending_sales_key", "ops_pipeline_run"))
CHECKED = {"dim_site", "stg_sales_line", "mart_satisfaction_monthly", "mart_churn_signals", "ops_pipeline_run"}


def test_the_journal_names_the_tables_in_declaration_order_with_their_partition_starts():
    scope = from_journal({"mart_churn_signals": MAR, "dim_site": None, "mart_satisfaction_monthly": FEB,
                          "ops_pending_sales_key": None,  # no checks: nothing to validate
                          "_csi_table_changes": None}, DECLS, CHECKED)
    assert scope == Scope({"dim_site": None, "mart_satisfaction_monthly": FEB, "mart_churn_signals": MAR})
    assert describe(scope) == "3 tables, 2 from 2026-02-01 or later"


def test_a_date_for_a_table_without_partition_means_whole_and_staging_means_reconcile():
    scope = from_journal({"dim_site": FEB, "stg_sales_line": FEB, "Mart_Satisfaction_Monthly": FEB}, DECLS, CHECKED)
    assert scope == Scope({"dim_site": None, "stg_sales_line": FEB, "mart_satisfaction_monthly": FEB},
                          reconcile=True)
    assert describe(scope) == "3 tables, 2 from 2026-02-01"


def test_an_unnamed_write_is_every_table_whole():
    scope = from_journal({"*": None}, DECLS, CHECKED)
    assert scope.tables == dict.fromkeys(["dim_site", "stg_sales_line", "mart_satisfaction_monthly",
                                          "mart_churn_signals", "ops_pipeline_run"])
    assert scope.reconcile and not scope.is_whole
    assert describe(scope) == "5 tables"


def test_descriptions_of_the_whole_and_of_nothing():
    assert describe(whole(DECLS, CHECKED)) == "all 5 tables whole"
    assert describe(from_journal({}, DECLS, CHECKED)) == "nothing changed"
    assert from_journal({}, DECLS, CHECKED).is_empty
    only_runs = from_journal({"ops_pipeline_run": None}, DECLS, {"dim_site"})
    assert (only_runs.tables, only_runs.reconcile, describe(only_runs)) == ({}, True, "reconciliation only")


def test_a_bad_scope_argument_is_refused_in_one_line():
    assert check_scope("changed") == "changed" and check_scope(None) is None
    with pytest.raises(ValueError, match=r"^run_checks: scope must be None, 'all' or 'changed', not 'some'$"):
        check_scope("some")


def test_rows_covered_in_words():
    signals = table("mart_churn_signals")
    assert rows_covered(signals, None) == "whole table"
    assert rows_covered(signals, MAR) == "as_of_date from 2026-03-01 on"
    once = replace(signals, key=("customer_id",))
    assert rows_covered(once, MAR) == "as_of_date from 2026-03-01 on and the older rows sharing their keys"


def test_the_batch_query_reads_the_changed_partitions_and_the_rows_sharing_their_keys(schema_url, rows):
    signals = table("mart_churn_signals")
    jan31, feb28 = date(2026, 1, 31), date(2026, 2, 28)
    data = rows(signals, [{"as_of_date": d, "customer_id": c, "risk_band": "low"}
                          for d, c in ((jan31, "C1"), (jan31, "C9"), (feb28, "C1"), (feb28, "C2"))])
    wh = Warehouse(schema_url)
    try:
        with wh.transaction() as tx:
            tx.insert(signals, data)
            by_snapshot = tx.read(changed_rows_query(tx, signals, feb28))
            by_customer = tx.read(changed_rows_query(tx, replace(signals, key=("customer_id",)), feb28))
            # a key of two columns (as fct_sales' order_id, line_no): a row value against the subquery's columns
            by_pair = tx.read(changed_rows_query(tx, replace(signals, key=("customer_id", "risk_band")), feb28))
            with pytest.raises(ValueError, match="^dim_site has no partition column: check it whole$"):
                changed_rows_query(tx, table("dim_site"), feb28)
    finally:
        wh.dispose()

    def pairs(frame):
        return sorted((str(d), c) for d, c in frame.select("as_of_date", "customer_id").iter_rows())

    assert pairs(by_snapshot) == [("2026-02-28", "C1"), ("2026-02-28", "C2")]
    # key customer_id: old C1 shares a changed row's key, old C9 does not
    assert pairs(by_customer) == [("2026-01-31", "C1"), ("2026-02-28", "C1"), ("2026-02-28", "C2")]
    assert pairs(by_pair) == [("2026-01-31", "C1"), ("2026-02-28", "C1"), ("2026-02-28", "C2")]
