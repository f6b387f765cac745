"""The warehouse handle of a process: one connection shared by the tasks of a run, closed at its end.

A DuckDB file admits one writing process; the run's steps (stage, load, refresh, checks)
reuse the handle the run opened (`open_warehouse`, which also creates or migrates the
schema once per run) and `release` closes it so another process can open the file.
"""

from __future__ import annotations

from csi.settings import Settings
from csi.warehouse.ddl import create_schema
from csi.warehouse.engine import Warehouse

_SHARED: dict[str, Warehouse] = {}


def connect(settings: Settings) -> Warehouse:
    """The process's shared warehouse handle, assuming its schema is current (the flow
    ran open_warehouse first). Tasks of one flow reuse its connection; `release` closes it."""
    if settings.url not in _SHARED:
        _SHARED[settings.url] = Warehouse(settings.url)
    return _SHARED[settings.url]


def release(settings: Settings) -> None:
    """Close the shared handle (end of a flow), so other processes can open a DuckDB file."""
    wh = _SHARED.pop(settings.url, None)
    if wh is not None:
        wh.dispose()


def open_warehouse(settings: Settings) -> Warehouse:
    """The warehouse with its schema created or migrated: once per flow, not per task."""
    wh = connect(settings)
    create_schema(wh)
    return wh
