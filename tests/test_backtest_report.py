"""The demo's one-line backtest report, on a hand-made mart_churn_backtest (both backends)."""

from __future__ import annotations

from datetime import date

import polars as pl

from csi.backtest_report import backtest_line
from csi.warehouse.ddl import create_schema
from csi.warehouse.engine import Warehouse
from csi.warehouse.tables_marts_customers import MART_CHURN_BACKTEST

D1, D2 = date(2026, 1, 1), date(2026, 1, 2)


def test_backtest_line(warehouse_url):
    wh = Warehouse(warehouse_url)
    create_schema(wh)
    with wh.transaction() as tx:
        assert backtest_line(tx) == ("churn backtest: no snapshot is yet a whole horizon "
                                     "(CSI_CHURN__BACKTEST_HORIZON_DAYS) older than the newest data")
        rows = pl.DataFrame(
            [(D1, "ALL", 10, 4, 40.0, 0.75), (D1, "low", 6, 1, 16.7, None), (D1, "medium", 3, 2, 66.7, None),
             (D1, "high", 1, 1, 100.0, None), (D2, "ALL", 10, 5, 50.0, 0.65), (D2, "low", 5, 1, 20.0, None),
             (D2, "medium", 5, 4, 80.0, None), (D2, "high", 0, 0, None, None)],
            schema=["as_of_date", "risk_band", "customers", "churned", "churn_rate_pct", "auc"], orient="row",
        )
        tx.insert(MART_CHURN_BACKTEST, rows)
        # AUC mean (0.75 + 0.65) / 2; bands pooled over both dates: low 2/11, medium 6/8, high 1/1
        assert backtest_line(tx) == (
            "churn backtest (mart_churn_backtest): 2 snapshot(s), AUC of risk_score 0.700 (0.650-0.750); "
            "no order within the horizon: low 18.2 %, medium 75.0 %, high 100.0 %"
        )
    wh.dispose()
