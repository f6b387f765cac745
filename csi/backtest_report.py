"""One readable line on how well the churn score predicted, from mart_churn_backtest.

Printed at the end of `csi demo` so the first look at the warehouse says whether the
risk score works on this data (docs/customer-value.md, "Tuning the weights").
"""

from __future__ import annotations

import polars as pl

from csi.vocab import ALL_BANDS, RISK_BANDS
from csi.warehouse.engine import Tx
from csi.warehouse.report_reads import backtest_by_band


def backtest_line(tx: Tx) -> str:
    """AUC over the backtested snapshots and the churn rate per band (all snapshots pooled)."""
    rows = backtest_by_band(tx)
    every = rows.filter(pl.col("risk_band") == ALL_BANDS)
    if every.height == 0:
        return "churn backtest: no snapshot is yet a whole horizon (CSI_CHURN__BACKTEST_HORIZON_DAYS) older than the newest data"
    a = every.row(0, named=True)
    bands = {r["risk_band"]: r for r in rows.iter_rows(named=True)}
    rates = ", ".join(
        f"{b} {100 * bands[b]['churned'] / bands[b]['customers']:.1f} %" if bands.get(b, {}).get("customers")
        else f"{b} -" for b in RISK_BANDS
    )
    auc = "n/a" if a["auc_mean"] is None else f"{a['auc_mean']:.3f} ({a['auc_min']:.3f}-{a['auc_max']:.3f})"
    return (f"churn backtest (mart_churn_backtest): {a['snapshots']} snapshot(s), AUC of risk_score {auc}; "
            f"no order within the horizon: {rates}")
