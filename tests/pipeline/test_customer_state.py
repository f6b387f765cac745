"""The incremental customer refresh (persisted sales state) equals a full recompute: a generated
landing zone (late rows, corrections, complaint updates) loaded and refreshed date by date gives
the same customer marts, row by row, and the same state as one refresh of the same facts from an
empty state; a state that no longer matches the facts is rebuilt (docs/customer-value.md)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.generate import generate
from csi.ingest.dedup import plan_duplicates
from csi.ingest.discover import discover
from csi.pipeline.load import StagedDrop, load_drops, rebuild_pending_facts
from csi.pipeline.marts_customers import refresh_customers
from csi.pipeline.refresh import dirty_since
from csi.pipeline.stage import stage_drop
from csi.settings import load_settings
from csi.warehouse.ddl import create_schema
from csi.warehouse.engine import Warehouse
from csi.warehouse.tables_ops import OPS_PIPELINE_RUN
from csi.warehouse.tables_state import STATE_TABLES
from tests.conftest import write_csv
from tests.pipeline.landing import SALES_HEADER
from tests.transforms.customer_data import fake_models
from tests.warehouse.backends import BACKENDS, fresh_url

DAYS = 20
RUN_AT = datetime(2030, 1, 1, 3, 0)
MARTS = {"mart_customer_value": ("as_of_date", "customer_id"), "mart_clv_model": ("as_of_date", "model"),
         "mart_whale_curve": ("as_of_date", "rank_share_pct"), "mart_churn_signals": ("as_of_date", "customer_id"),
         "mart_churn_backtest": ("as_of_date", "risk_band")}  # fmt: skip
STATE = {t.name: t.key for t in STATE_TABLES}
NO_RECORDS = pl.DataFrame(schema={"drop_date": pl.Date, "file_sha256": pl.String, "file_path": pl.String,
                                  "status": pl.String})


@pytest.fixture(autouse=True)
def fake_clv(monkeypatch):
    monkeypatch.setattr("transforms.clv.default_models", fake_models)  # CLV fits are not under test here


@pytest.fixture(scope="module")
def drops(tmp_path_factory) -> list[StagedDrop]:
    """20 staged drops of the sample generator: late sales and answers, corrections, complaint versions."""
    root = tmp_path_factory.mktemp("generated")
    start = generate(root / "landing", customers=200, days=DAYS, seed=11).start_date
    plant_late_sales(root / "landing", start)
    dates = [start + timedelta(days=i) for i in range(DAYS)]
    settings = load_settings(landing_dir=root / "landing", work_dir=root / "work")
    files = {d: discover(root / "landing", d) for d in dates}
    duplicates = plan_duplicates(NO_RECORDS, files)
    return [StagedDrop(Path(stage_drop(settings, d, RUN_AT, duplicates[d], files[d]).stage_dir), d, f"r-{d}",
                       reject=False) for d in dates]


def plant_late_sales(landing: Path, start: date) -> None:
    """Besides the generator's own: an order of day 2 and one of day 3 arriving on day 4, the
    second corrected on day 12 (80 -> 60) together with a late order of day 6."""
    def line(order_id: str, customer_id: str, day: int, revenue: float) -> str:
        at = (start + timedelta(days=day)).isoformat()
        return f"{order_id},1,sale,{customer_id},SH01,store,{at} 10:00:00,food,1,{revenue},0,{revenue},{revenue / 2},CNY\n"

    for day, lines in ((4, [line("LATE1", "C0000004", 2, 50.0), line("LATE2", "C0000005", 3, 80.0)]),
                       (12, [line("LATE2", "C0000005", 3, 60.0), line("LATE3", "C0000004", 6, 40.0)])):
        write_csv(landing / f"sales/dt={start + timedelta(days=day)}/late.csv", SALES_HEADER + "".join(lines))


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    with fresh_url(request.param, tmp_path) as url:
        wh = Warehouse(url)
        create_schema(wh)
        wh.dispose()
        yield url


def run_row(d: date) -> pl.DataFrame:
    """The date's ops_pipeline_run row as `loaded` (the snapshot dates are the dates that hold rows)."""
    values = {"run_id": f"r-{d}", "business_date": d, "status": "loaded", "started_at": RUN_AT,
              "input_fingerprint": "x"}
    return pl.DataFrame({c: [values.get(c, 0 if t.is_numeric() else None)]
                         for c, t in OPS_PIPELINE_RUN.polars_schema.items()}, schema=OPS_PIPELINE_RUN.polars_schema)


def nightly(wh: Warehouse, settings, drop: StagedDrop) -> date:
    """Load one drop, then refresh the customer family from its stale snapshot date, as the
    refresh does; returns that date."""
    with wh.transaction() as tx:
        load_drops(tx, [drop])
        tx.insert(OPS_PIPELINE_RUN, run_row(drop.business_date))
    return refresh(wh, settings)


def refresh(wh: Warehouse, settings) -> date:
    with wh.transaction() as tx:
        rebuild_pending_facts(tx)
        since = dirty_since(tx, "snapshot")
        refresh_customers(tx, settings, since)
        tx.execute("DELETE FROM ops_dirty_period")
    return since


def read(wh: Warehouse, tables: dict[str, tuple[str, ...]]) -> dict[str, pl.DataFrame]:
    with wh.transaction() as tx:
        return {t: tx.read(f"SELECT * FROM {t}").sort(list(k)) for t, k in tables.items()}


def full_refresh(wh: Warehouse, settings, first: date) -> None:
    """The customer family recomputed from nothing: no state, no customer marts."""
    with wh.transaction() as tx:
        for table in (*STATE, *MARTS):
            tx.execute(f"DELETE FROM {table}")
        refresh_customers(tx, settings, first)


def assert_same(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    for table in a:
        try:
            # money in the state may differ in the last bit (sums of an order's lines, see
            # transforms.customer_state); the marts, rounded to 1e-6, must be equal to the digit
            assert_frame_equal(a[table], b[table], check_exact=table in MARTS, rel_tol=1e-12)
        except AssertionError as exc:
            raise AssertionError(f"{table}: {exc}") from None


def test_date_by_date_equals_a_full_recompute(drops, url):
    settings = load_settings(warehouse_url=url, customer_value={"snapshot_chunk_rows": 200})
    wh = Warehouse(url)
    stale = [nightly(wh, settings, drop) for drop in drops]
    # the generator's late rows and complaint updates make later nights restate earlier snapshots
    assert sum(since < drop.business_date for since, drop in zip(stale, drops, strict=True)) >= 3
    assert read(wh, {"fct_complaint": ("complaint_id",)})["fct_complaint"]["version_count"].max() > 1
    incremental = read(wh, {**MARTS, **STATE})
    assert incremental["mart_customer_value"]["as_of_date"].n_unique() == DAYS
    assert incremental["ops_customer_sales_stream"].height > 30
    full_refresh(wh, settings, drops[0].business_date)
    assert_same(incremental, read(wh, {**MARTS, **STATE}))
    wh.dispose()


def test_a_state_that_no_longer_matches_the_facts_is_rebuilt(drops, url):
    """A sales line changed behind the refresh's back (no dirty mark): the next refresh finds the
    date whose fingerprint differs and rebuilds the state and the snapshots from there."""
    settings = load_settings(warehouse_url=url)
    wh = Warehouse(url)
    for drop in drops[:6]:
        nightly(wh, settings, drop)
    with wh.transaction() as tx:
        changed = tx.scalar("SELECT order_date FROM fct_sales GROUP BY order_date ORDER BY 1 LIMIT 1 OFFSET 2")
        tx.execute("UPDATE fct_sales SET revenue = revenue + 1 WHERE order_date = :d", {"d": changed})
    assert nightly(wh, settings, drops[6]) > changed  # the dirty mark does not reach the change
    after = read(wh, {**MARTS, **STATE})
    assert after["ops_customer_state_day"].filter(pl.col("order_date") == changed)["sales_lines"].item() > 0
    full_refresh(wh, settings, drops[0].business_date)
    assert_same(after, read(wh, {**MARTS, **STATE}))
    wh.dispose()


def test_a_missing_state_is_built_without_restating_the_snapshots(drops, url):
    """An upgraded warehouse has marts but no state: the first refresh builds the state from
    every sale line and restates the snapshots only from its own stale date."""
    settings = load_settings(warehouse_url=url)
    wh = Warehouse(url)
    for drop in drops[:4]:
        nightly(wh, settings, drop)
    with wh.transaction() as tx:
        for table in STATE:
            tx.execute(f"DELETE FROM {table}")
        tx.execute("UPDATE mart_customer_value SET p_alive = -1 WHERE as_of_date = :d", {"d": drops[0].business_date})
    since = nightly(wh, settings, drops[4])
    after = read(wh, {**MARTS, **STATE})
    assert since > drops[0].business_date
    assert set(after["mart_customer_value"].filter(pl.col("p_alive") == -1)["as_of_date"]) == {drops[0].business_date}
    full_refresh(wh, settings, drops[0].business_date)
    assert_same({t: after[t] for t in STATE}, read(wh, STATE))
    wh.dispose()


def test_a_refresh_that_dies_after_writing_the_state_is_redone(drops, url, monkeypatch):
    """The state is written inside the refresh (on DuckDB the snapshot chunks' commit points
    commit it early): a refresh that fails at its end leaves the dirty periods in place, and
    the next refresh, from the same date, ends with the marts and state of a full recompute."""
    settings = load_settings(warehouse_url=url, customer_value={"snapshot_chunk_rows": 200})
    wh = Warehouse(url)
    for drop in drops[:5]:
        nightly(wh, settings, drop)

    def die(*args, **kwargs):
        raise RuntimeError("killed after the snapshots")

    with monkeypatch.context() as patch:
        patch.setattr("csi.pipeline.marts_customers.refresh_backtest", die)
        with pytest.raises(RuntimeError, match="killed"):
            nightly(wh, settings, drops[5])
    with wh.transaction() as tx:
        assert dirty_since(tx, "snapshot") is not None  # still stale: the next run redoes it
    refresh(wh, settings)
    redone = read(wh, {**MARTS, **STATE})
    full_refresh(wh, settings, drops[0].business_date)
    assert_same(redone, read(wh, {**MARTS, **STATE}))
    wh.dispose()


def fact_rows(decl, rows: list[dict]) -> pl.DataFrame:
    """Rows of a table with placeholders in the columns the customer marts do not read."""
    def placeholder(t: pl.DataType) -> object:
        if t.is_temporal():
            return RUN_AT.date() if t == pl.Date else RUN_AT
        return "x" if t == pl.String else False if t == pl.Boolean else 0

    return pl.DataFrame([{c: row.get(c, placeholder(t)) for c, t in decl.polars_schema.items()} for row in rows],
                        schema=decl.polars_schema)


def test_a_corrected_line_of_an_order_spanning_days_restates_from_the_order_s_first_date(url):
    """o2 has a line on day 5 (20) and one on day 6 (30 -> corrected to 50, stale from day 6).
    Its value counts as A's repeat revenue at its first date, day 5: the refresh from day 6
    moves back to day 5, where A's stream then reads revenue 10 + 20 = 30, 2 orders and repeat
    revenue 20 + 50 = 70; the marts equal a full recompute."""
    from csi.warehouse import tables_core as core

    day0 = date(2026, 3, 1)

    def sale(order_id: str, line_no: int, customer_id: str, day: int, revenue: float) -> dict:
        return {"order_id": order_id, "line_no": line_no, "order_type": "sale", "customer_id": customer_id,
                "order_date": day0 + timedelta(days=day), "revenue": revenue, "cost": revenue / 2}

    settings = load_settings(warehouse_url=url)
    wh = Warehouse(url)
    with wh.transaction() as tx:
        tx.insert(core.FCT_SALES, fact_rows(core.FCT_SALES, [
            sale("o1", 1, "A", 0, 10.0), sale("o2", 1, "A", 5, 20.0), sale("o2", 2, "A", 6, 30.0),
            sale("o3", 1, "B", 2, 8.0), sale("o4", 1, "B", 9, 12.0)]))
        tx.insert(OPS_PIPELINE_RUN, pl.concat([run_row(day0 + timedelta(days=i)) for i in range(10)]))
        refresh_customers(tx, settings, day0)
    with wh.transaction() as tx:
        tx.execute("UPDATE fct_sales SET revenue = 50, cost = 25 WHERE order_id = 'o2' AND line_no = 2")
        refresh_customers(tx, settings, day0 + timedelta(days=6))
    after = read(wh, {**MARTS, **STATE})
    a5 = after["ops_customer_sales_stream"].filter(pl.col("customer_id") == "A",
                                                   pl.col("event_date") == day0 + timedelta(days=5))
    assert a5.select("cum_revenue", "cum_orders", "cum_repeat_revenue").row(0) == (30.0, 2, 70.0)
    full_refresh(wh, settings, day0)
    assert_same(after, read(wh, {**MARTS, **STATE}))
    wh.dispose()
