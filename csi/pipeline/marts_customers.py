"""The customer snapshot family: customer value + CLV, whale curve, churn signals, backtest.

Snapshots are keyed by `as_of_date`: every loaded business date (or every Sunday
with cadence 'weekly'). A load whose earliest touched event date is `since`
makes every snapshot on or after `since` stale; they are recomputed together in
one batched pass (transforms.customer_snapshots), never one date at a time. The
backtest is recomputed whole: new sales change the outcome window of old
snapshots.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from csi.settings import Settings
from csi.warehouse import tables_core as core
from csi.warehouse import tables_marts_customers as cm
from csi.warehouse.engine import Tx
from transforms.churn_backtest import build_churn_backtest
from transforms.churn_signals import ChurnParams, build_churn_signals
from transforms.customer_value import CustomerValueParams, customer_value_with_models
from transforms.whale_curve import build_whale_curve


def snapshot_dates(tx: Tx, settings: Settings, since: date) -> list[date]:
    loaded = tx.read("SELECT DISTINCT business_date FROM ops_pipeline_run WHERE status IN ('loaded', 'success') "
                     "AND business_date >= :s ORDER BY 1", {"s": since}, {"business_date": pl.Date})
    dates = loaded["business_date"].to_list()
    if settings.customer_value.snapshot_cadence == "weekly":
        dates = [d for d in dates if d.isoweekday() == 7]
    return dates


def refresh_customers(tx: Tx, settings: Settings, since: date) -> None:
    from csi.pipeline.marts import replace_all, replace_from

    dates = snapshot_dates(tx, settings, since)
    sales = tx.read_table(core.FCT_SALES).lazy()
    if dates:
        responses = tx.read_table(core.FCT_RESPONSE).lazy()
        complaints = tx.read_table(core.FCT_COMPLAINT).lazy()
        value, models = customer_value_with_models(
            sales, responses, complaints, dates, CustomerValueParams.from_settings(settings.customer_value))
        value = value.collect().lazy()  # used three times below
        signals = build_churn_signals(sales, responses, complaints, dates, p_alive=value,
                                      params=ChurnParams.from_settings(settings.churn))
        for decl, frame in ((cm.MART_CUSTOMER_VALUE, value), (cm.MART_CLV_MODEL, models),
                            (cm.MART_WHALE_CURVE, build_whale_curve(value)), (cm.MART_CHURN_SIGNALS, signals)):
            replace_from(tx, decl, frame, dates[0])
    scored = tx.read("SELECT as_of_date, customer_id, risk_score, risk_band FROM mart_churn_signals",
                     schema={"as_of_date": pl.Date, "customer_id": pl.String, "risk_score": pl.Float64,
                             "risk_band": pl.String})
    backtest = build_churn_backtest(scored.lazy(), sales, settings.churn.backtest_horizon_days)
    replace_all(tx, cm.MART_CHURN_BACKTEST, backtest)
