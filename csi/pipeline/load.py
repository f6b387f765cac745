"""Load staged drops into the warehouse: a batch of dates in one transaction.

Each drop's previous contribution (staging rows, quarantine, file records) is
replaced, every key the old or new contribution touches is recorded in
`ops_pending_<source>_key`, and the earliest touched event date in
`ops_dirty_period`. The current facts of all pending keys are re-derived once,
by `rebuild_pending_facts` at the start of the next refresh, in the refresh's
transaction: a load costs O(rows of the drops), not O(history), so a backfill is
linear in its dates. A batch pays each statement's fixed cost once for all its
dates, and writes exactly what loading its dates one by one would (the pending
keys are de-duplicated per drop, the dirty periods recorded per drop). A crash
anywhere rolls the batch (or the refresh) back; the pending keys survive a failed
refresh, and a re-run replaces the drops: either way the result equals one clean
run. The SQL lives in csi.warehouse.staging and csi.warehouse.facts_rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from csi.warehouse import tables_ops as ops
from csi.warehouse.engine import Tx
from csi.warehouse.facts_rebuild import clear_pending, has_pending, rebuild_facts
from csi.warehouse.staging import EVENT, KEYS, check_replaced, delete_drops, drop_keys, mark_dirty, record_pending
from csi.warehouse.tables_core import STAGING_BY_SOURCE


@dataclass(frozen=True)
class StagedDrop:
    """One staged drop to load (csi.pipeline.stage): `reject` (over the quarantine threshold)
    loads its quarantine and file records but no rows."""

    stage_dir: Path
    business_date: date
    run_id: str
    reject: bool = False


def load_drops(tx: Tx, drops: Sequence[StagedDrop]) -> dict[date, dict[str, int]]:
    """Replace the contribution of every drop of the batch, one statement per table.

    Returns {business date: rows staged per source} (duplicate files were never staged)."""
    days = [d.business_date for d in drops]
    if len(set(days)) != len(days):
        raise ValueError(f"a batch loads each date once; got {sorted(days)}")
    if not drops:
        return {}
    old = {s: drop_keys(tx, s, days) for s in STAGING_BY_SOURCE}
    delete_drops(tx, days)
    tx.insert(ops.OPS_QUARANTINE, _read_all(drops, "quarantine.parquet"))  # its rows carry their drop_date
    tx.insert(ops.OPS_INGESTED_FILE, _read_all(drops, "files.parquet", with_date=True))

    staged: dict[date, dict[str, int]] = {d: {} for d in days}
    dirty: set[tuple[str, date | None]] = {("snapshot", d) for d in days}  # each date's own snapshot
    for source, decl in STAGING_BY_SOURCE.items():
        rows = [_staged_rows(d, source) for d in drops]
        for d, frame in zip(days, rows, strict=True):
            staged[d][source] = frame.height
        tx.insert(decl, pl.concat(rows))
        check_replaced(tx, source, {d: staged[d][source] for d in days})
        new = pl.concat([frame.select(pl.lit(d).alias("drop_date"), *KEYS[source],
                                      pl.col(EVENT[source]).cast(pl.Datetime("us")).alias("event_at"))
                         for d, frame in zip(days, rows, strict=True)])
        # per drop, as loading the dates one by one would record them
        touched = pl.concat([old[source], new], how="vertical_relaxed")
        record_pending(tx, source, touched.select("drop_date", *KEYS[source]).unique().drop("drop_date"))
        earliest = touched.group_by("drop_date").agg(pl.col("event_at").min().dt.date())["event_at"]
        grains = ("date",) if source == "complaints" else ("date", "snapshot")
        dirty |= {(g, e) for e in earliest.to_list() for g in grains}
    mark_dirty(tx, dirty)
    return staged


def load_drop(tx: Tx, stage_dir: Path, business_date: date, run_id: str, reject: bool) -> dict[str, int]:
    """One drop: `load_drops` of a batch of one."""
    return load_drops(tx, [StagedDrop(stage_dir, business_date, run_id, reject)])[business_date]


def _read_all(drops: Sequence[StagedDrop], name: str, with_date: bool = False) -> pl.DataFrame:
    """The drops' `name` files (one schema for all, csi.pipeline.stage) in one read, each row
    stamped with its drop's run (and date): reading the small files one by one cost 4x as much."""
    paths = {str(d.stage_dir / name): d for d in drops}
    path = pl.col("staged_from")
    stamps = [path.replace_strict({p: d.run_id for p, d in paths.items()}, return_dtype=pl.String).alias("run_id")]
    if with_date:
        stamps.append(path.replace_strict({p: d.business_date for p, d in paths.items()}, return_dtype=pl.Date)
                      .alias("drop_date"))
    return pl.read_parquet(list(paths), include_file_paths="staged_from").with_columns(stamps)


def _staged_rows(drop: StagedDrop, source: str) -> pl.DataFrame:
    decl = STAGING_BY_SOURCE[source]
    rows = pl.read_parquet(drop.stage_dir / f"{source}.parquet")
    if drop.reject or rows.width == 0:  # a source without rows is staged as a frame without columns
        return pl.DataFrame(schema=decl.polars_schema)
    return decl.conform(rows)


def rebuild_pending_facts(tx: Tx) -> None:
    """Re-derive the current fact rows of every pending key, in one pass per source; a complaint
    change marks the customer snapshots stale from the first date it moves."""
    for source in STAGING_BY_SOURCE:
        if has_pending(tx, source):
            changed = rebuild_facts(tx, source)
            if source == "complaints":
                mark_dirty(tx, [("snapshot", changed)])
            clear_pending(tx, source)

