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
from datetime import date, datetime

import polars as pl

from csi.vocab import RUN_HOLDS_ROWS, sql_values
from csi.warehouse.engine import Tx
from csi.warehouse.tables_ops import (
    OPS_DIRTY,
    OPS_PENDING_COMPLAINTS,
    OPS_PENDING_SALES,
    OPS_PENDING_SURVEYS,
    OPS_PIPELINE_RUN,
)

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


def record_run(tx: Tx, row: pl.DataFrame) -> None:
    """Insert run rows (ops_pipeline_run's columns)."""
    tx.insert(OPS_PIPELINE_RUN, row)


def retire_holding_runs(tx: Tx, business_date: date, by_run_id: str) -> None:
    """The date's rows are being replaced by run `by_run_id`: its unfinished runs become
    `interrupted`, its completed one `replaced`, each naming the run that replaced them."""
    tx.execute(
        "UPDATE ops_pipeline_run SET status = CASE WHEN status = 'success' THEN 'replaced' "
        "ELSE 'interrupted' END, error = COALESCE(error, :e) WHERE business_date = :d "
        f"AND status IN ({sql_values(RUN_HOLDS_ROWS)})",
        {"d": business_date, "e": f"its rows were replaced by run {by_run_id}"})


def set_status(tx: Tx, run_ids: Sequence[str], status: str, from_states: Sequence[str], now: datetime,
               marts_seconds: float | None = None, error: str | None = None) -> None:
    """Move the runs among `run_ids` that are in one of `from_states` to `status`, finished `now`."""
    if not run_ids:
        return
    ids = {f"r{i}": run_id for i, run_id in enumerate(run_ids)}
    states = {f"s{i}": s for i, s in enumerate(from_states)}
    tx.execute(
        "UPDATE ops_pipeline_run SET status = :status, finished_at = :now, "
        "duration_seconds = EXTRACT(EPOCH FROM (CAST(:now AS TIMESTAMP) - started_at)), "
        "marts_seconds = COALESCE(:m, marts_seconds), error = COALESCE(:e, error) "
        f"WHERE status IN ({', '.join(':' + k for k in states)}) AND run_id IN ({', '.join(':' + k for k in ids)})",
        {"status": status, "now": now, "m": marts_seconds, "e": error, **ids, **states})


def has_pending_refresh(tx: Tx) -> bool:
    """True when a refresh was cut short: dirty periods or pending keys are left."""
    tables = (OPS_DIRTY, OPS_PENDING_SALES, OPS_PENDING_SURVEYS, OPS_PENDING_COMPLAINTS)
    return any(tx.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {t.name} LIMIT 1) x") for t in tables)
