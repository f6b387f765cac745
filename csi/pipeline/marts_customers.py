"""The customer snapshot family: customer value + CLV, whale curve, churn signals, backtest.

Snapshots are keyed by `as_of_date`: every loaded business date (or every Sunday
with cadence 'weekly'). A load whose earliest touched event date is `since`
makes every snapshot on or after `since` stale. The facts are reduced once
(transforms.customer_snapshots.history: customer keys and running totals), then
the stale dates are computed, inserted and committed in chunks of about
`CSI_CUSTOMER_VALUE__SNAPSHOT_CHUNK_ROWS` snapshot rows (on DuckDB a commit after each, see
Tx.commit_point), so memory grows with customers x chunk, not customers x dates;
every date is computed on its own, so the rows are the same as in one batch.
The backtest is recomputed from the first snapshot whose outcome window
(D, D + horizon] reaches a changed date (see backtest_start).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import polars as pl

from csi.pipeline.mart_writes import delete_from, replace_all, replace_from
from csi.settings import Settings
from csi.vocab import RUN_HOLDS_ROWS, sql_values
from csi.warehouse import tables_core as core
from csi.warehouse import tables_marts_customers as cm
from csi.warehouse.engine import Tx
from transforms import customer_snapshots as cs
from transforms.churn_backtest import build_churn_backtest
from transforms.churn_signals import ChurnParams, churn_signals_from
from transforms.customer_value import CustomerValueParams, customer_value_from
from transforms.whale_curve import build_whale_curve

SNAPSHOT_MARTS = (cm.MART_CUSTOMER_VALUE, cm.MART_CLV_MODEL, cm.MART_WHALE_CURVE, cm.MART_CHURN_SIGNALS)


def snapshot_dates(tx: Tx, settings: Settings, since: date) -> list[date]:
    # every date whose drop is in the warehouse: loaded, refreshed (checks or publish pending) or done
    loaded = tx.read("SELECT DISTINCT business_date FROM ops_pipeline_run WHERE status IN "
                     f"({sql_values(RUN_HOLDS_ROWS)}) AND business_date >= :s ORDER BY 1", {"s": since},
                     {"business_date": pl.Date})
    dates = loaded["business_date"].to_list()
    if settings.customer_value.snapshot_cadence == "weekly":
        dates = [d for d in dates if d.isoweekday() == 7]
    return dates


def date_chunks(dates: list[date], customers: int, chunk_rows: int) -> Iterator[list[date]]:
    """Consecutive runs of `dates` with about chunk_rows snapshot rows each (at least one date)."""
    size = max(1, chunk_rows // max(customers, 1))
    for i in range(0, len(dates), size):
        yield dates[i:i + size]


def read_history(tx: Tx) -> cs.History:
    """The facts reduced once for every chunk (anonymous responses can never be attached)."""
    # only the columns the transforms use: the whole fact tables would dominate the memory
    sales = tx.read_table(core.FCT_SALES, columns=("order_id", "order_type", "customer_id", "order_date",
                                                   "revenue", "cost"))
    responses = tx.read_table(core.FCT_RESPONSE, "customer_id IS NOT NULL",
                              columns=("response_id", "customer_id", "submitted_at", "nps_answer"))
    complaints = tx.read_table(core.FCT_COMPLAINT, "customer_id IS NOT NULL",
                               columns=("customer_id", "opened_at", "closed_at", "is_resolved"))
    return cs.history(sales.lazy(), responses.lazy(), complaints.lazy()).collect()


def refresh_snapshots(tx: Tx, settings: Settings, dates: list[date], chunk_rows: int | None = None) -> None:
    """Replace the snapshot marts' rows from dates[0] on, one chunk of dates at a time."""
    hist = read_history(tx)
    customers = hist.keys.select(pl.len()).collect().item()
    value_params = CustomerValueParams.from_settings(settings.customer_value)
    churn_params = ChurnParams.from_settings(settings.churn)
    for decl in SNAPSHOT_MARTS:
        delete_from(tx, decl, dates[0])
    for chunk in date_chunks(dates, customers, chunk_rows or settings.customer_value.snapshot_chunk_rows):
        value, models = customer_value_from(hist, chunk, value_params)
        value = value.collect()
        signals = churn_signals_from(hist, chunk, p_alive=value.lazy(), params=churn_params)
        for decl, frame in ((cm.MART_CUSTOMER_VALUE, value.lazy()), (cm.MART_CLV_MODEL, models),
                            (cm.MART_WHALE_CURVE, build_whale_curve(value.lazy())), (cm.MART_CHURN_SIGNALS, signals)):
            tx.insert(decl, frame.collect())
        del value, models, signals  # before the next chunk is computed
        # DuckDB holds a transaction's inserted rows in memory until commit (~200 B/row: GiBs at
        # scale 5). Redoing is safe: ops_dirty_period and the runs' status change only at the
        # end of the refresh, so a crash here leaves the snapshots stale-marked and re-run.
        tx.commit_point()


def backtest_start(since: date, horizon_days: int, data_end: date | None, done: date | None) -> date | None:
    """The first as_of_date D whose backtest row can change (None: recompute every row).

    A row reads the signals at D (recomputed from `since` on), the sales in (D, D + horizon]
    (changed from `since` on, so D >= since - horizon) and exists while D + horizon <= data_end:
    rows after the newest row already done (`done`) may appear, rows after data_end - horizon
    must go if data_end moved back.
    """
    if done is None:
        return None
    start = min(since - timedelta(days=horizon_days), done + timedelta(days=1))
    if data_end is not None:
        start = min(start, data_end - timedelta(days=horizon_days - 1))
    return start


def refresh_backtest(tx: Tx, settings: Settings, since: date) -> None:
    horizon = settings.churn.backtest_horizon_days
    data_end = tx.scalar("SELECT max(order_date) FROM fct_sales")
    start = backtest_start(since, horizon, data_end, tx.scalar("SELECT max(as_of_date) FROM mart_churn_backtest"))
    params = None if start is None else {"s": start}
    since_start = "" if start is None else " AND {} :s"  # the first D recomputed, in each table's terms
    signals = tx.read_table(cm.MART_CHURN_SIGNALS, "TRUE" + since_start.format("as_of_date >="), params,
                            columns=("as_of_date", "customer_id", "risk_score", "risk_band"))
    # outcomes only need the sales after that D (data_end is passed, not re-derived from them)
    sales = tx.read_table(core.FCT_SALES, "order_type = 'sale'" + since_start.format("order_date >"), params,
                          columns=("customer_id", "order_date", "order_type"))
    backtest = build_churn_backtest(signals.lazy(), sales.lazy(), horizon, data_end)
    if start is None:
        replace_all(tx, cm.MART_CHURN_BACKTEST, backtest)
    else:
        replace_from(tx, cm.MART_CHURN_BACKTEST, backtest, start)


def refresh_customers(tx: Tx, settings: Settings, since: date, chunk_rows: int | None = None) -> None:
    dates = snapshot_dates(tx, settings, since)
    if dates:
        refresh_snapshots(tx, settings, dates, chunk_rows)
    refresh_backtest(tx, settings, since)
