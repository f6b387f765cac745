"""The mart families the refresh recomputes, in dependency order.

A family reads the facts it needs for the dirty periods, runs its pure
transforms, and replaces the rows of those periods in its mart tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from csi.settings import Settings
from csi.warehouse.engine import Tx


@dataclass(frozen=True)
class MartFamily:
    name: str
    refresh: Callable[[Tx, Settings, date], None]


MART_FAMILIES: list[MartFamily] = []
