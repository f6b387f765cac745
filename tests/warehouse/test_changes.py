"""The change journal: which tables changed since a consumer looked, from which partition on."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest

from csi.warehouse import tables_marts_customers as cm
from csi.warehouse import tables_marts_satisfaction as sat
from csi.warehouse import tables_ops as ops
from csi.warehouse.changes import changes_since, mark_consumed
from csi.warehouse.ddl import create_schema
from csi.warehouse.engine import Warehouse

D = date.fromisoformat


def whale_rows(*days: str) -> pl.DataFrame:
    """mart_whale_curve rows, one per as_of_date (its partition)."""
    return pl.DataFrame({"as_of_date": [D(d) for d in days], "rank_share_pct": [10] * len(days),
                         "customers": [1] * len(days), "n_customers": [10] * len(days),
                         "cumulative_margin": [1.0] * len(days), "total_margin": [5.0] * len(days),
                         "cumulative_margin_share": [0.2] * len(days), "top20_margin_share": [None] * len(days),
                         "bottom30_margin_share": [None] * len(days)})


@pytest.fixture
def wh(warehouse_url):
    warehouse = Warehouse(warehouse_url)
    create_schema(warehouse)
    yield warehouse
    warehouse.dispose()


def seen(wh: Warehouse, consumer: str = "checks", mark: bool = True) -> dict:
    with wh.transaction() as tx:
        found = changes_since(tx, consumer)
        if mark:
            mark_consumed(tx, consumer)
    return found


def test_a_consumer_never_seen_gets_every_table_anywhere(wh):
    found = seen(wh)
    assert "mart_customer_value" in found and "ops_pipeline_run" in found and "dim_site" in found
    assert set(found.values()) == {None}
    assert "_csi_table_changes" not in found and "_csi_change_marks" not in found
    assert seen(wh) == {}  # marked: nothing since


def test_partition_writes_record_the_earliest_partition_and_other_writes_anywhere(wh):
    seen(wh)
    with wh.transaction() as tx:
        tx.insert(cm.MART_WHALE_CURVE, whale_rows("2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"))
    seen(wh, "publish.gen0")  # another consumer's mark does not move the checks' one
    with wh.transaction() as tx:
        tx.replace_partitions_from(cm.MART_WHALE_CURVE, whale_rows("2026-01-02", "2026-01-03", "2026-01-04"),
                                   D("2026-01-03"))
        tx.delete_partitions_from(cm.MART_CUSTOMER_VALUE, D("2026-01-10"))
        tx.execute("INSERT INTO ops_dirty_period VALUES ('month', DATE '2026-01-01')")
    with wh.transaction() as tx:
        tx.delete_partitions_from(cm.MART_CUSTOMER_VALUE, D("2026-01-07"))
        tx.replace_table(sat.MART_SERVICE_RECOVERY_MONTHLY,
                         pl.DataFrame(schema=sat.MART_SERVICE_RECOVERY_MONTHLY.polars_schema))
    # the checks last looked before the 4 inserted dates (earliest 01-01); publish.gen0 after them
    assert seen(wh, "checks", mark=False) == {
        "mart_whale_curve": D("2026-01-01"), "mart_customer_value": D("2026-01-07"),
        "ops_dirty_period": None, "mart_service_recovery_monthly": None}
    assert seen(wh, "publish.gen0") == {
        "mart_whale_curve": D("2026-01-03"), "mart_customer_value": D("2026-01-07"),
        "ops_dirty_period": None, "mart_service_recovery_monthly": None}
    with wh.transaction() as tx:
        rows = tx.read("SELECT as_of_date FROM mart_whale_curve ORDER BY 1")["as_of_date"].to_list()
    assert rows == [D("2026-01-01"), D("2026-01-02"), D("2026-01-03"), D("2026-01-04")]  # 01-02 kept, not re-inserted
    assert seen(wh, "publish.gen0") == {}


def test_a_partition_write_and_any_other_write_to_one_table_is_anywhere(wh):
    seen(wh)
    with wh.transaction() as tx:
        tx.insert(cm.MART_WHALE_CURVE, whale_rows("2026-02-01"))
        tx.execute("UPDATE mart_whale_curve SET customers = 2 WHERE as_of_date = DATE '2026-02-01'")
    assert seen(wh) == {"mart_whale_curve": None}


def test_a_rolled_back_transaction_and_a_write_nobody_can_name(wh):
    seen(wh)
    with pytest.raises(RuntimeError), wh.transaction() as tx:
        tx.delete_partitions_from(cm.MART_WHALE_CURVE, D("2026-01-01"))
        raise RuntimeError("the refresh failed")
    assert seen(wh) == {}
    with wh.transaction() as tx:
        tx.execute("ANALYZE")  # not a statement the journal can name: every table, anywhere
    found = seen(wh)
    assert "mart_whale_curve" in found and "dim_site" in found and set(found.values()) == {None}


def test_a_table_without_a_partition_cannot_be_replaced_by_partitions(wh):
    with pytest.raises(ValueError, match="ops_dirty_period has no partition column"), wh.transaction() as tx:
        tx.delete_partitions_from(ops.OPS_DIRTY, D("2026-01-01"))


def test_entries_every_marked_consumer_has_seen_are_pruned(wh):
    seen(wh, "checks")
    seen(wh, "publish.gen0")
    for day in ("2026-03-01", "2026-03-02", "2026-03-03"):
        with wh.transaction() as tx:
            tx.insert(cm.MART_WHALE_CURVE, whale_rows(day))
    seen(wh, "checks")  # publish.gen0 has not seen the three: all kept
    with wh.transaction() as tx:
        kept = tx.read("SELECT from_partition FROM _csi_table_changes WHERE table_name = 'mart_whale_curve' "
                       "ORDER BY 1")["from_partition"].to_list()
    assert kept == [D("2026-03-01"), D("2026-03-02"), D("2026-03-03")]
    assert seen(wh, "publish.gen0") == {"mart_whale_curve": D("2026-03-01")}
    with wh.transaction() as tx:  # both have seen all: only the newest entry stays (versions count on)
        left = tx.read("SELECT table_name, from_partition FROM _csi_table_changes WHERE table_name <> ''").rows()
    assert left == [("mart_whale_curve", D("2026-03-03"))]
    with wh.transaction() as tx:
        tx.insert(cm.MART_WHALE_CURVE, whale_rows("2026-03-04"))
    assert seen(wh, "checks") == seen(wh, "publish.gen0") == {"mart_whale_curve": D("2026-03-04")}


def test_a_journal_from_before_partitions_reads_as_rows_anywhere(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE dim_x (i INT)")
    con.execute("CREATE TABLE _csi_table_changes (table_name VARCHAR NOT NULL, version BIGINT NOT NULL)")
    con.execute("INSERT INTO _csi_table_changes VALUES ('', 42), ('dim_x', 3)")
    con.close()
    wh = Warehouse(f"duckdb:///{path}")
    with wh.transaction() as tx:
        mark_consumed(tx, "checks")  # sees version 3
    with wh.transaction() as tx:
        tx.execute("INSERT INTO dim_x VALUES (1)")
    with wh.transaction() as tx:
        assert changes_since(tx, "checks") == {"dim_x": None}
        journal = tx.read("SELECT table_name, version, from_partition FROM _csi_table_changes ORDER BY 2").rows()
    wh.dispose()
    assert journal == [("dim_x", 3, None), ("dim_x", 4, None), ("", 42, None)]
