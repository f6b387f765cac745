"""csi.warehouse.staging: a batch's deletes, the staging invariant, dirty periods, file counts."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from csi.warehouse.ddl import create_schema
from csi.warehouse.engine import Warehouse
from csi.warehouse.staging import (
    StagingInvariantError,
    check_replaced,
    delete_drops,
    drop_keys,
    files_by_status,
    mark_dirty,
)
from csi.warehouse.tables_core import STG_COMPLAINT
from csi.warehouse.tables_ops import OPS_INGESTED_FILE

D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


@pytest.fixture
def wh(warehouse_url):
    wh = Warehouse(warehouse_url)
    create_schema(wh)
    yield wh
    wh.dispose()


def complaints(*rows: tuple[date, str, int]) -> pl.DataFrame:
    """Staged complaint versions: (drop date, complaint id, record number)."""
    at = datetime(2026, 2, 20, 9, 0)
    return pl.DataFrame([{
        "complaint_id": k, "customer_id": "C1", "site_id": "S1", "opened_at": at,
        "first_response_at": None, "closed_at": None, "updated_at": at, "status": "open", "is_resolved": False,
        "channel": "phone", "category": "x", "severity": 1, "compensation": 0.0, "description": None,
        "drop_date": d, "source_file": "complaints/crm.csv", "record_no": n} for d, k, n in rows],
        schema=STG_COMPLAINT.polars_schema)


def test_invariant_counts_each_date_of_the_batch_and_ignores_the_others(wh):
    with wh.transaction() as tx:
        tx.insert(STG_COMPLAINT, complaints((D1, "K1", 1), (D1, "K2", 2), (D2, "K3", 1), (D3, "K4", 1)))
        check_replaced(tx, "complaints", {D1: 2, D2: 1})  # D3 is not in the batch: not counted
        check_replaced(tx, "complaints", {D1: 2, D2: 1, date(2026, 3, 4): 0})  # a drop without rows
        # a row the delete left behind: D2 holds 1 row although the load inserted none
        with pytest.raises(StagingInvariantError, match=r"stg_complaint_version: drop 2026-03-02 holds 1 rows "
                                                        r"after loading 0: old rows were not deleted"):
            check_replaced(tx, "complaints", {D1: 2, D2: 0})
        with pytest.raises(StagingInvariantError, match=r"drop 2026-03-01 holds 2 rows after loading 3 "
                                                        r"\(and 1 more drops of the batch\)"):
            check_replaced(tx, "complaints", {D1: 3, D2: 0})


def test_delete_drops_removes_only_the_batch(wh):
    with wh.transaction() as tx:
        tx.insert(STG_COMPLAINT, complaints((D1, "K1", 1), (D2, "K2", 1), (D3, "K3", 1)))
        assert drop_keys(tx, "complaints", [D1, D3]).sort("drop_date").rows() == [
            (D1, "K1", datetime(2026, 2, 20, 9, 0)), (D3, "K3", datetime(2026, 2, 20, 9, 0))]
        delete_drops(tx, [D1, D3])
        assert tx.read("SELECT complaint_id FROM stg_complaint_version").rows() == [("K2",)]


def test_dirty_periods_once_each(wh):
    with wh.transaction() as tx:
        mark_dirty(tx, [("date", D2)])
        # D2 is already marked, D1 twice in the batch, None marks nothing
        mark_dirty(tx, [("date", D2), ("date", D1), ("date", D1), ("snapshot", D1), ("snapshot", None)])
        mark_dirty(tx, [])
        rows = tx.read("SELECT grain, period_start FROM ops_dirty_period ORDER BY 1, 2").rows()
    assert rows == [("date", D1), ("date", D2), ("snapshot", D1)]


def test_files_by_status_per_drop(wh):
    def file(d: date, path: str, status: str) -> dict:
        return {"drop_date": d, "source": "sales", "file_path": path, "file_sha256": path, "file_bytes": 1,
                "status": status, "duplicate_of": None, "rows": 0, "run_id": "r"}

    with wh.transaction() as tx:
        tx.insert(OPS_INGESTED_FILE, pl.DataFrame(
            [file(D1, "a", "ingested"), file(D1, "b", "duplicate"), file(D1, "c", "ingested"),
             file(D3, "a", "unreadable")], schema=OPS_INGESTED_FILE.polars_schema))
        counts = files_by_status(tx, [D1, D2])
    assert counts == {D1: {"ingested": 2, "duplicate": 1}, D2: {}}
