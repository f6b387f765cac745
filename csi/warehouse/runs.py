"""Reads and writes of the run records (ops_pipeline_run): the one place that knows how a
date's runs are ordered and which of them holds the date's rows.

Ordering of a date's runs: newest `started_at` first; among runs started at the same
instant an unfinished one (no `finished_at`) first, then by run_id. A load retires every
earlier run that held the date's rows (csi.pipeline.steps), so at most one run per date
is in RUN_HOLDS_ROWS; `holding_runs` still windows, so a broken invariant cannot double a
date's counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from csi.vocab import RUN_HOLDS_ROWS, sql_values
from csi.warehouse.engine import Tx

_NEWEST_FIRST = "ORDER BY started_at DESC, finished_at DESC NULLS FIRST, run_id"


def latest_runs(tx: Tx) -> dict[date, tuple[str, str, str]]:
    """{business date: (status, input fingerprint, run_id)} of each date's latest run, skipped runs aside."""
    frame = tx.read(
        "SELECT business_date, status, input_fingerprint, run_id FROM (SELECT business_date, status, "
        f"input_fingerprint, run_id, row_number() OVER (PARTITION BY business_date {_NEWEST_FIRST}) AS rn "
        "FROM ops_pipeline_run WHERE status <> 'skipped') x WHERE rn = 1",
        schema={"business_date": pl.Date, "status": pl.String, "input_fingerprint": pl.String,
                "run_id": pl.String})
    return {d: (s, f, r) for d, s, f, r in frame.iter_rows()}


def holding_runs(tx: Tx, columns: Sequence[str]) -> pl.DataFrame:
    """`business_date` plus `columns` of the run whose rows each date holds (loaded, refreshed
    or success), one row per date, in date order."""
    cols = ", ".join(tx.q(c) for c in columns)
    return tx.read(
        f"SELECT business_date, {cols} FROM (SELECT business_date, {cols}, row_number() OVER ("
        f"PARTITION BY business_date {_NEWEST_FIRST}) AS rn FROM ops_pipeline_run "
        f"WHERE status IN ({sql_values(RUN_HOLDS_ROWS)})) x WHERE rn = 1 ORDER BY business_date"
    ).with_columns(pl.col("business_date").cast(pl.Date))
