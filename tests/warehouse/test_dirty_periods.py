"""csi.warehouse.dirty_periods: the earliest dirty date per grain, and the reset."""

from __future__ import annotations

from datetime import date

from csi.warehouse.dirty_periods import clear_dirty_periods, dirty_since
from tests.hand_made import hand_made


def test_dirty_since_per_grain_then_cleared(warehouse_url):
    with hand_made(warehouse_url) as wh:
        wh.put("ops_dirty_period", [
            {"grain": "date", "period_start": date(2026, 3, 4)},
            {"grain": "date", "period_start": date(2026, 2, 27)},
            {"grain": "snapshot", "period_start": date(2026, 3, 9)}])
        with wh.warehouse.transaction() as tx:
            assert dirty_since(tx) == date(2026, 2, 27)  # 'date' is the default grain
            assert dirty_since(tx, "snapshot") == date(2026, 3, 9)
            clear_dirty_periods(tx)
            assert dirty_since(tx, "date") is None and dirty_since(tx, "snapshot") is None
