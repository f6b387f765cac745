"""Publish a consistent read-only copy of the DuckDB warehouse for BI tools.

DuckDB allows one writing process per file, and while it writes no other process
can open the file even read-only, so a BI tool pointed at the working file would
be locked out for the whole run (and would lock a run out while it reads). The
run therefore writes to `CSI_WAREHOUSE_URL`, and after each successful run
`publish` copies it into a new file and atomically renames that over
`CSI_PUBLISH_PATH` (default `<warehouse>.read.duckdb`). A reader that has the old
file open keeps reading its snapshot (the rename only unlinks the name); the next
connection sees the new one. The copy is a logical `COPY FROM DATABASE` into a
file attached with `STORAGE_VERSION 'v1.0.0'`, so BI connectors bundling DuckDB
1.0 or later can open it; comments and views come along.

PostgreSQL needs none of this (MVCC: readers never wait for writers): `publish`
returns None there.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from csi.faults import crash_point
from csi.settings import Settings
from csi.warehouse.engine import Warehouse, WarehouseError

log = logging.getLogger(__name__)
STORAGE_VERSION = "v1.0.0"


def publish_target(settings: Settings) -> Path | None:
    """Where the read-only copy goes; None when the warehouse is not a DuckDB file."""
    url = make_url(settings.url)
    if url.get_backend_name() != "duckdb" or not url.database or url.database == ":memory:":
        return None
    if settings.publish_path:
        return Path(settings.publish_path)
    working = Path(url.database)
    return working.with_name(f"{working.stem}.read{working.suffix or '.duckdb'}")


def publish(settings: Settings) -> Path | None:
    """Copy the warehouse to its read-only BI file atomically; returns the file (None on PostgreSQL)."""
    target = publish_target(settings)
    if target is None:
        return None
    working = Path(make_url(settings.url).database).resolve()
    if target.resolve() == working:
        raise WarehouseError("CSI_PUBLISH_PATH must differ from the warehouse file")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in target.parent.glob(f".{target.name}.*.tmp*"):  # left by a killed run (we hold the lock)
            stale.unlink(missing_ok=True)
    except OSError as exc:
        raise PublishError(f"cannot publish the read-only copy {target}: {exc.strerror or exc}") from None
    wh = Warehouse(settings.url)
    try:
        # through the warehouse's own connection: no second handle on the working file
        with wh.engine.connect() as conn:
            duck = conn.connection.driver_connection
            source = duck.execute("SELECT current_database()").fetchone()[0]
            path = str(tmp).replace("'", "''")  # ATTACH takes no bound parameters
            duck.execute(f"ATTACH '{path}' AS csi_publish (STORAGE_VERSION '{STORAGE_VERSION}')")
            try:
                duck.execute(f'COPY FROM DATABASE "{source}" TO csi_publish')
            finally:
                duck.execute("DETACH csi_publish")
        crash_point("publish")
        os.replace(tmp, target)
    except Exception as exc:  # disk full, permissions, a read-only mount: one clear line
        _remove(tmp)
        raise PublishError(f"cannot publish the read-only copy {target}: {_first_line(exc)}") from None
    finally:
        wh.dispose()
    crash_point("published")
    log.info("published the warehouse for BI readers: %s", target)
    return target


class PublishError(WarehouseError):
    """The read-only copy could not be written: the run is failed, the previous copy stays."""


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "strerror", None) or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
