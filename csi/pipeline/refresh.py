"""Refresh the facts, dimensions and marts for what the loads since the last refresh touched.

Loads record the keys they touched in `ops_pending_<source>_key`; the refresh
first re-derives the current facts of those keys (one set-based pass however
many drops were loaded). Loads also record the earliest event date they
touched in `ops_dirty_period`; the refresh recomputes monthly marts from that
month on, quarterly marts from that quarter on, and snapshots from that date on,
all in one transaction (on DuckDB the snapshot chunks commit as they go, see
Tx.commit_point), then the caller marks the loaded runs `refreshed` (csi.pipeline.steps). Every mart family is a `MartFamily` registered in
`csi.pipeline.marts`.
"""

from __future__ import annotations

import time

from csi.faults import crash_point
from csi.pipeline.load import rebuild_pending_facts
from csi.pipeline.marts import MART_FAMILIES
from csi.pipeline.text import refresh_texts
from csi.settings import Settings
from csi.warehouse.dimensions import rebuild_dimensions
from csi.warehouse.dirty_periods import clear_dirty_periods, dirty_since
from csi.warehouse.engine import Tx
from csi.warehouse.text_io import capture_text_keys


def refresh(tx: Tx, settings: Settings) -> dict[str, float]:
    """Recompute dims and dirty mart periods; returns seconds per step."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    capture_text_keys(tx)  # the keys rebuild_pending_facts consumes name the texts to re-analyse
    rebuild_pending_facts(tx)  # may mark snapshots dirty (complaint changes): before reading `since`
    timings["facts"] = time.perf_counter() - started
    timings["texts"] = refresh_texts(tx, settings)["seconds"]  # fct_text of the rebuilt facts
    crash_point("refresh")
    started = time.perf_counter()
    rebuild_dimensions(tx)
    timings["dimensions"] = time.perf_counter() - started
    for family in MART_FAMILIES:
        since = dirty_since(tx, family.grain)
        if since is not None:
            started = time.perf_counter()
            family.refresh(tx, settings, since)
            timings[family.name] = time.perf_counter() - started
    clear_dirty_periods(tx)
    return timings
