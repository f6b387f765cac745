"""Bulk loads (DuckDB Arrow scan, PostgreSQL COPY) keep every value exactly, on both databases."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from csi.warehouse.declare import NN, C, TableDecl, to_sqlalchemy
from csi.warehouse.engine import Warehouse

TRICKY = TableDecl("t_tricky", "ops", "bulk-load round trip", (
    NN("id", "int", "row"),
    C("txt", "text", "text: empty vs null, quotes, newlines, Chinese, SQL"),
    C("flag", "bool", "boolean"),
    C("at_ts", "timestamp", "timestamp with microseconds"),
    C("day", "date", "date"),
    C("amount", "double", "double"),
    C("big", "bigint", "bigint"),
))

FRAME = pl.DataFrame({
    "id": [1, 2, 3, 4, 5, 6, 7],
    "txt": ["", None, "'); DROP TABLE fct_sales; --", '他说"你好",\n再见', "\\.", "NULL", "a:b %s $1"],
    "flag": [True, False, None, True, False, None, True],
    "at_ts": [datetime(2026, 1, 30, 10, 0, 0, 123456), None, datetime(1999, 12, 31, 23, 59, 59),
           datetime(2026, 2, 1), None, datetime(2026, 1, 1, 0, 0, 0, 1), datetime(2030, 6, 1, 12)],
    "day": [date(2026, 1, 30), None, date(1970, 1, 1), date(2026, 2, 28), None, None, date(2000, 2, 29)],
    "amount": [0.1, None, -1e-7, 123456789.125, 1e300, 0.0, -0.5],
    "big": [2**40, None, -1, 0, 7, None, 2**62],
}, schema=TRICKY.polars_schema)


@pytest.fixture
def wh(warehouse_url):
    import sqlalchemy as sa

    wh = Warehouse(warehouse_url)
    md = sa.MetaData()
    to_sqlalchemy(TRICKY, md, with_keys=False)
    md.create_all(wh.engine)
    yield wh
    wh.dispose()


def test_insert_round_trips_every_value(wh):
    with wh.transaction() as tx:
        assert tx.insert(TRICKY, FRAME) == FRAME.height
    with wh.transaction() as tx:
        back = tx.read_table(TRICKY).sort("id")
        assert tx.scalar("SELECT count(*) FROM t_tricky WHERE txt = ''") == 1
        assert tx.scalar("SELECT count(*) FROM t_tricky WHERE txt IS NULL") == 1
        assert tx.scalar("SELECT txt FROM t_tricky WHERE id = :i", {"i": 3}) == "'); DROP TABLE fct_sales; --"
    assert back.equals(FRAME), (back, FRAME)


def test_bound_parameters_are_values_not_sql(wh):
    with wh.transaction() as tx:
        tx.insert(TRICKY, FRAME)
        tx.execute("DELETE FROM t_tricky WHERE txt = :t", {"t": "x' OR '1'='1"})
        assert tx.scalar("SELECT count(*) FROM t_tricky") == FRAME.height
        found = tx.read("SELECT id FROM t_tricky WHERE txt = :t", {"t": '他说"你好",\n再见'})
    assert found["id"].to_list() == [4]
