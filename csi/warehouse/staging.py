"""What a load writes: the staged drops' rows (stg_*), their quarantine and file records,
the pending keys (ops_pending_<source>_key) and the dirty periods (ops_dirty_period).

Every function takes a batch of drop dates, so a backfill pays each statement's fixed
cost once per batch instead of once per date (csi.pipeline.load decides what to write).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import polars as pl

from csi.warehouse import tables_ops as ops
from csi.warehouse.engine import Tx
from csi.warehouse.tables_core import STAGING_BY_SOURCE

PENDING_BY_SOURCE = {"sales": ops.OPS_PENDING_SALES, "surveys": ops.OPS_PENDING_SURVEYS,
                     "complaints": ops.OPS_PENDING_COMPLAINTS}
# the natural key of a source's rows: a fact holds one row per key
KEYS = {"sales": ("order_id", "line_no"), "surveys": ("response_id", "question_id"),
        "complaints": ("complaint_id",)}
# the event time of a source's rows, which dates the monthly marts
EVENT = {"sales": "ordered_at", "surveys": "submitted_at", "complaints": "opened_at"}
# tables holding a drop's contribution, replaced whole by its next load
DROP_TABLES = (*STAGING_BY_SOURCE.values(), ops.OPS_QUARANTINE, ops.OPS_INGESTED_FILE)


class StagingInvariantError(RuntimeError):
    """A drop's rows did not replace its old ones exactly: the load is rolled back."""


def _in_list(days: Sequence[date]) -> tuple[str, dict[str, date]]:
    params = {f"d{i}": d for i, d in enumerate(days)}
    return ", ".join(f":{k}" for k in params), params


def drop_keys(tx: Tx, source: str, days: Sequence[date]) -> pl.DataFrame:
    """drop_date, the key columns and `event_at` of every staged row of those drops."""
    stg, keys = STAGING_BY_SOURCE[source], KEYS[source]
    marks, params = _in_list(days)
    return tx.read(
        f"SELECT drop_date, {', '.join(keys)}, {EVENT[source]} AS event_at FROM {tx.q(stg.name)} "
        f"WHERE drop_date IN ({marks})", params,
        {"drop_date": pl.Date, **{k: stg.polars_schema[k] for k in keys}, "event_at": pl.Datetime("us")})


def delete_drops(tx: Tx, days: Sequence[date]) -> None:
    """Remove everything those drops contributed: staging rows, quarantine and file records."""
    marks, params = _in_list(days)
    for decl in DROP_TABLES:
        tx.execute_from(decl, min(days), f"DELETE FROM {tx.q(decl.name)} WHERE drop_date IN ({marks})", params)


def check_replaced(tx: Tx, source: str, inserted: Mapping[date, int]) -> None:
    """After DELETE + INSERT of a batch of drops, the staging table must hold exactly the rows just
    inserted for each of them.

    It would have caught the doubled staging rows: an index that missed old rows let the DELETE
    leave them behind, and a `WHERE drop_date IN (...)` count through the same index would miss
    them too. So the batch's dates are picked by a CASE inside one GROUP BY scan of the one
    column (no index can answer it; the other dates fall into one NULL group)."""
    table = STAGING_BY_SOURCE[source].name
    marks, params = _in_list(list(inserted))
    held = tx.read(
        f"SELECT CASE WHEN drop_date IN ({marks}) THEN drop_date END AS drop_date, count(*) AS n "
        f"FROM {tx.q(table)} GROUP BY 1", params, {"drop_date": pl.Date, "n": pl.Int64})
    counts = {d: n for d, n in held.iter_rows() if d is not None}
    wrong = [(d, counts.get(d, 0), n) for d, n in sorted(inserted.items()) if counts.get(d, 0) != n]
    if wrong:
        d, got, n = wrong[0]
        raise StagingInvariantError(
            f"{table}: drop {d} holds {got} rows after loading {n}"
            f"{f' (and {len(wrong) - 1} more drops of the batch)' if len(wrong) > 1 else ''}: old rows were "
            "not deleted; nothing was loaded (check the warehouse file, docs/operations.md 'Crash safety')")


def record_pending(tx: Tx, source: str, keys: pl.DataFrame) -> None:
    """Keys whose current fact row the next refresh re-derives (a key may repeat)."""
    tx.insert(PENDING_BY_SOURCE[source], keys)


def mark_dirty(tx: Tx, marks: Iterable[tuple[str, date | None]]) -> None:
    """Record (grain, first stale date) pairs in ops_dirty_period, once each, in one statement
    ('date': monthly and quarterly marts are stale from that date on; 'snapshot': the customer
    snapshot marts). A None date marks nothing."""
    pairs = sorted({(g, d) for g, d in marks if d is not None})
    if not pairs:
        return
    params: dict[str, object] = {}
    rows = []
    for i, (grain, day) in enumerate(pairs):
        params |= {f"g{i}": grain, f"p{i}": day}
        rows.append(f"(CAST(:g{i} AS VARCHAR), CAST(:p{i} AS DATE))")
    tx.execute(
        f"INSERT INTO ops_dirty_period (grain, period_start) SELECT v.g, v.p FROM (VALUES {', '.join(rows)}) "
        "AS v (g, p) WHERE NOT EXISTS (SELECT 1 FROM ops_dirty_period o WHERE o.grain = v.g "
        "AND o.period_start = v.p)", params)


def files_by_status(tx: Tx, days: Sequence[date]) -> dict[date, dict[str, int]]:
    """{drop date: {file status: files}} as recorded for those drops (every date present)."""
    marks, params = _in_list(days)
    frame = tx.read(
        f"SELECT drop_date, status, count(*) AS n FROM ops_ingested_file WHERE drop_date IN ({marks}) "
        "GROUP BY drop_date, status", params, {"drop_date": pl.Date, "status": pl.String, "n": pl.Int64})
    counts: dict[date, dict[str, int]] = {d: {} for d in days}
    for d, status, n in frame.iter_rows():
        counts[d][status] = n
    return counts
