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

The sales are not re-read: a persisted state (csi.warehouse.customer_state, tables_state) holds
the per-customer running sales totals by event date; a refresh brings it up to date from
`since` with the sales dated from `since` on and the touched customers' earlier orders
(transforms.customer_state), then reads back only the state rows the stale dates can look up
(from the first date minus the longest look-back). Surveys and complaints are read whole (they
are a small part of the facts).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import polars as pl

from csi.settings import Settings
from csi.warehouse import customer_state as state
from csi.warehouse import tables_marts_customers as cm
from csi.warehouse.engine import Tx
from transforms import customer_snapshots as cs
from transforms.churn_backtest import build_churn_backtest
from transforms.churn_signals import ChurnParams, churn_signals_from
from transforms.customer_state import sales_state_since
from transforms.customer_value import CustomerValueParams, customer_value_from
from transforms.whale_curve import build_whale_curve

SNAPSHOT_MARTS = (cm.MART_CUSTOMER_VALUE, cm.MART_CLV_MODEL, cm.MART_WHALE_CURVE, cm.MART_CHURN_SIGNALS)


def snapshot_dates(tx: Tx, settings: Settings, since: date) -> list[date]:
    dates = state.snapshot_dates(tx, since)
    if settings.customer_value.snapshot_cadence == "weekly":
        dates = [d for d in dates if d.isoweekday() == 7]
    return dates


def date_chunks(dates: list[date], customers: int, chunk_rows: int) -> Iterator[list[date]]:
    """Consecutive runs of `dates` with about chunk_rows snapshot rows each (at least one date)."""
    size = max(1, chunk_rows // max(customers, 1))
    for i in range(0, len(dates), size):
        yield dates[i:i + size]


def restate_start(tx: Tx, since: date) -> date:
    """The first date whose stream rows can change: since, or the first date of an order that
    spans it (its value counts at that date), and so on."""
    start = since
    while (earlier := state.spanning_start(tx, start)) is not None:
        start = earlier
    return start


def refresh_sales_state(tx: Tx, since: date) -> date:
    """Bring the persisted sales state up to date for facts that changed from `since` on (from
    earlier where the state no longer matches the facts); returns the first snapshot date whose
    rows can have changed: since, earlier for an order spanning it, or the first date whose
    facts changed under a current state without a dirty mark."""
    start = restate_start(tx, since)
    lo = start
    untrusted = state.untrusted_since(tx, lo)
    if untrusted is not None:
        lo = restate_start(tx, untrusted)
        # no state yet (an upgrade) or of another version: the marts were built from these same
        # facts and stand; facts that moved under a current state make the marts stale too
        if state.state_is_current(tx):
            start = lo
    stream, orders = sales_state_since(state.sales_since(tx, lo).lazy(), state.opening_rows(tx, lo).lazy(),
                                       state.prior_orders(tx, lo).lazy(), lo)
    frames = pl.collect_all([stream, orders])
    state.write_state(tx, lo, *frames)
    return start


def read_history(tx: Tx, first_date: date, look_back_days: int) -> cs.History:
    """What the snapshots from first_date on read, reduced once for every chunk: the state rows
    an as-of lookup up to look_back_days before first_date can find, and the surveys and complaints."""
    stream = state.stream_from(tx, first_date - timedelta(days=look_back_days))
    return cs.history_from_state(state.first_sales(tx).lazy(), stream.lazy(), state.identified_responses(tx).lazy(),
                                 state.identified_complaints(tx).lazy()).collect()


def refresh_snapshots(tx: Tx, settings: Settings, dates: list[date], chunk_rows: int | None = None) -> None:
    """Replace the snapshot marts' rows from dates[0] on, one chunk of dates at a time (the sales
    state must be current: refresh_sales_state)."""
    value_params = CustomerValueParams.from_settings(settings.customer_value)
    churn_params = ChurnParams.from_settings(settings.churn)
    # the longest look-back of an as-of lookup: margin_365d, and spend_trend's (D-180, D-90]
    hist = read_history(tx, dates[0], max(value_params.tier_window_days, 2 * churn_params.window_days))
    customers = hist.keys.select(pl.len()).collect().item()
    for decl in SNAPSHOT_MARTS:
        tx.delete_partitions_from(decl, dates[0])
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
    data_end = state.sales_data_end(tx)
    start = backtest_start(since, horizon, data_end, state.backtest_done(tx))
    # outcomes only need the sales after the first D recomputed (data_end is passed, not re-derived)
    backtest = build_churn_backtest(state.signals_from(tx, start).lazy(), state.sale_lines_after(tx, start).lazy(),
                                    horizon, data_end)
    if start is None:
        tx.replace_table(cm.MART_CHURN_BACKTEST, backtest)
    else:
        tx.replace_partitions_from(cm.MART_CHURN_BACKTEST, backtest, start)


def refresh_customers(tx: Tx, settings: Settings, since: date, chunk_rows: int | None = None) -> None:
    start = refresh_sales_state(tx, since)
    dates = snapshot_dates(tx, settings, start)
    if dates:
        refresh_snapshots(tx, settings, dates, chunk_rows)
    refresh_backtest(tx, settings, start)
