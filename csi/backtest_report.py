"""One readable line on how well the churn score predicted, from mart_churn_backtest.

Printed at the end of `csi demo` so the first look at the warehouse says whether the
risk score works on this data (docs/customer-value.md, "Tuning the weights").
"""

from __future__ import annotations

import polars as pl

from csi.warehouse.engine import Tx

BAND_ORDER = ("low", "medium", "high")


def backtest_line(tx: Tx) -> str:
    """AUC over the backtested snapshots and the churn rate per band (all snapshots pooled)."""
    rows = tx.read(
        "SELECT risk_band, count(*) AS snapshots, sum(customers) AS customers, sum(churned) AS churned, "
        "avg(auc) AS auc_mean, min(auc) AS auc_min, max(auc) AS auc_max FROM mart_churn_backtest GROUP BY 1",
        schema={"risk_band": pl.String, "snapshots": pl.Int64, "customers": pl.Int64, "churned": pl.Int64,
                "auc_mean": pl.Float64, "auc_min": pl.Float64, "auc_max": pl.Float64},
    )
    every = rows.filter(pl.col("risk_band") == "ALL")
    if every.height == 0:
        return "churn backtest: no snapshot is yet a whole horizon (CSI_CHURN__BACKTEST_HORIZON_DAYS) older than the newest data"
    a = every.row(0, named=True)
    bands = {r["risk_band"]: r for r in rows.iter_rows(named=True)}
    rates = ", ".join(
        f"{b} {100 * bands[b]['churned'] / bands[b]['customers']:.1f} %" if bands.get(b, {}).get("customers")
        else f"{b} -" for b in BAND_ORDER
    )
    auc = "n/a" if a["auc_mean"] is None else f"{a['auc_mean']:.3f} ({a['auc_min']:.3f}-{a['auc_max']:.3f})"
    return (f"churn backtest (mart_churn_backtest): {a['snapshots']} snapshot(s), AUC of risk_score {auc}; "
            f"no order within the horizon: {rates}")
