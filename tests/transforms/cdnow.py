"""Reading the CDNOW transaction log (the file of the conftest fixture `cdnow_transactions`)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

CALIBRATION_END = date(1997, 9, 30)  # FHL (2005): 39 weeks from 1997-01-01
HOLDOUT_END = date(1998, 6, 30)  # 39 more weeks


def orders(path: Path) -> pl.DataFrame:
    """One row per customer and purchase day (customer_id, order_date): FHL (2005) count the
    transactions of one day as one (6,919 lines, 6,696 customer-days)."""
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    frame = pl.DataFrame(
        {"customer_id": [r[0] for r in rows], "order_date": [datetime.strptime(r[2], "%Y%m%d").date() for r in rows]}
    )
    return frame.unique().sort("customer_id", "order_date")


def calibration_weeks(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) in weeks at the calibration end, one entry per customer."""
    cal = orders(path).filter(pl.col("order_date") <= CALIBRATION_END)
    per = cal.group_by("customer_id").agg(
        (pl.len() - 1).alias("x"), pl.col("order_date").min().alias("first"), pl.col("order_date").max().alias("last")
    )
    x = per["x"].to_numpy().astype(float)
    tx = (per["last"] - per["first"]).dt.total_days().to_numpy() / 7.0
    t_age = np.array([(CALIBRATION_END - d).days for d in per["first"].to_list()]) / 7.0
    return x, tx, t_age
