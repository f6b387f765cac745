"""refresh_customers on a DuckDB warehouse: chunked = one batch, and an incremental refresh
(snapshots from `since`, backtest from backtest_start) = a full one (issue 8)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.pipeline import marts_customers as mc
from csi.settings import load_settings
from csi.warehouse import tables_core as core
from csi.warehouse.ddl import create_schema
from csi.warehouse.declare import TableDecl
from csi.warehouse.engine import Warehouse
from csi.warehouse.tables_ops import OPS_PIPELINE_RUN
from tests.transforms.customer_data import fake_models
from tests.transforms.test_customer_chunks import COMPLAINTS, RESPONSES, SALES, START

MARTS = {"mart_customer_value": ("as_of_date", "customer_id"), "mart_clv_model": ("as_of_date", "model"),
         "mart_whale_curve": ("as_of_date", "rank_share_pct"), "mart_churn_signals": ("as_of_date", "customer_id"),
         "mart_churn_backtest": ("as_of_date", "risk_band")}  # fmt: skip
LAST = START + timedelta(days=199)


@pytest.fixture(autouse=True)
def fake_clv(monkeypatch):
    monkeypatch.setattr("transforms.clv.default_models", fake_models)  # CLV fits are not under test here


def full(decl: TableDecl, frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every column of the table (placeholders for those the marts do not read)."""
    def placeholder(t: pl.DataType) -> object:
        return "x" if t == pl.String else False if t == pl.Boolean else START if t.is_temporal() else 0

    return frame.with_columns(pl.lit(placeholder(t)).cast(t).alias(c) for c, t in decl.polars_schema.items()
                              if c not in frame.columns)


def warehouse(tmp_path, name: str, sales: pl.DataFrame) -> Warehouse:
    wh = Warehouse(f"duckdb:///{tmp_path / name}.duckdb")
    create_schema(wh)
    days = pl.date_range(START, LAST, eager=True)
    runs = pl.DataFrame({"run_id": [str(d) for d in days], "business_date": days, "status": "success"})
    with wh.transaction() as tx:
        responses = RESPONSES.collect().with_columns(submitted_date=pl.col("submitted_at").dt.date())
        for decl, frame in ((core.FCT_SALES, sales.with_columns(line_no=pl.int_range(pl.len()))),
                            (core.FCT_RESPONSE, responses), (core.FCT_COMPLAINT, COMPLAINTS.collect()),
                            (OPS_PIPELINE_RUN, runs)):
            tx.insert(decl, full(decl, frame))
    return wh


def refresh(wh: Warehouse, since: date, chunk_rows: int, cadence: str = "daily") -> dict[str, pl.DataFrame]:
    settings = load_settings(warehouse_url=wh.url, customer_value={"snapshot_cadence": cadence})
    with wh.transaction() as tx:
        mc.refresh_customers(tx, settings, since, chunk_rows=chunk_rows)
        return {t: tx.read(f"SELECT * FROM {t}").sort(k) for t, k in MARTS.items()}


def assert_same(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    for table in MARTS:
        assert_frame_equal(a[table], b[table], check_exact=True)


@pytest.mark.parametrize("cadence", ["daily", "weekly"])
def test_chunked_refresh_equals_one_batch(tmp_path, cadence):
    sales = SALES.collect()
    one = refresh(warehouse(tmp_path, "one", sales), START, 10**9, cadence)
    chunked = refresh(warehouse(tmp_path, "chunked", sales), START, 150, cadence)  # ~4 dates a chunk
    assert_same(one, chunked)
    dates = [START + timedelta(days=i) for i in range(200)]
    expected = len(dates) if cadence == "daily" else sum(d.isoweekday() == 7 for d in dates)
    assert one["mart_customer_value"]["as_of_date"].n_unique() >= expected - 1  # day 1 may have no one yet
    assert one["mart_churn_backtest"].height > 0


def test_incremental_refresh_equals_full(tmp_path):
    """A late sale dated day 120 arrives after a full refresh: refreshing from that day on
    (snapshots >= since, backtest from since - horizon) gives the tables of a full refresh.
    Customer zz ordered on day 10 only, so the late sale turns zz from churned to retained in
    the backtest of days 30-119, before `since`."""
    def order(order_id: str, day: int) -> pl.DataFrame:
        return SALES.collect().head(1).with_columns(order_id=pl.lit(order_id), customer_id=pl.lit("zz"),
                                                    order_date=pl.lit(START + timedelta(days=day)))

    sales, late = pl.concat([SALES.collect(), order("early", 10)]), order("late", 120)
    wh = warehouse(tmp_path, "incremental", sales)
    refresh(wh, START, 400)
    with wh.transaction() as tx:
        tx.insert(core.FCT_SALES, full(core.FCT_SALES, late.with_columns(line_no=pl.lit(-1))))
    incremental = refresh(wh, START + timedelta(days=120), 400)
    fresh = refresh(warehouse(tmp_path, "fresh", pl.concat([sales, late], how="diagonal")), START, 10**9)
    assert_same(incremental, fresh)
