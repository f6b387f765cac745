"""csi.warehouse.complaint_changes: the earliest snapshot date a complaint rebuild changes, on
hand-made current facts and re-derived rows (expected dates worked out by hand), both backends."""

from __future__ import annotations

from datetime import datetime

from csi.warehouse.complaint_changes import complaint_snapshot_change
from tests.hand_made import hand_made


def _c(cid, opened_day, closed_day=None, customer="C1", resolved=False, status="open"):
    return {"complaint_id": cid, "customer_id": customer, "site_id": "S1", "status": status,
            "opened_at": datetime(2026, 1, opened_day, 9), "updated_at": datetime(2026, 2, 1, 9),
            "closed_at": None if closed_day is None else datetime(2026, 1, closed_day, 17), "is_resolved": resolved}


def _earliest(wh, current: list[dict], rebuilt: list[dict], keys: list[str]):
    wh.put("fct_complaint", current)
    with wh.warehouse.transaction() as tx:
        tx.execute("CREATE TEMPORARY TABLE t_keys (complaint_id TEXT)")
        tx.execute("CREATE TEMPORARY TABLE t_new AS SELECT * FROM fct_complaint WHERE 1 = 0")
        for k in keys:
            tx.execute("INSERT INTO t_keys VALUES (:k)", {"k": k})
        for r in rebuilt:
            tx.execute("INSERT INTO t_new (complaint_id, customer_id, opened_at, closed_at, is_resolved) "
                       "VALUES (:complaint_id, :customer_id, :opened_at, :closed_at, :is_resolved)",
                       {k: r[k] for k in ("complaint_id", "customer_id", "opened_at", "closed_at", "is_resolved")})
        got = tx.scalar(complaint_snapshot_change("fct_complaint", "t_keys", "t_new"))
        tx.execute("DELETE FROM fct_complaint")
        tx.execute("DROP TABLE t_keys")
        tx.execute("DROP TABLE t_new")
    return None if got is None else str(got)[:10]


def test_the_bound_of_each_kind_of_change(warehouse_url):
    with hand_made(warehouse_url) as wh:
        # nothing a snapshot reads changed (the status text is not compared)
        assert _earliest(wh, [_c("K1", 5)], [_c("K1", 5, status="in_progress")], ["K1"]) is None
        # closed on the 20th, resolved: from the closed date (before it both versions are open)
        assert _earliest(wh, [_c("K1", 5)], [_c("K1", 5, 20, resolved=True)], ["K1"]) == "2026-01-20"
        # the closing moved from the 20th to the 18th: from the earlier of the two
        assert _earliest(wh, [_c("K1", 5, 20)], [_c("K1", 5, 18)], ["K1"]) == "2026-01-18"
        # the opened date moved from the 5th to the 3rd, K2 is new on the 9th: the earliest opened date
        assert _earliest(wh, [_c("K1", 5)], [_c("K1", 3), _c("K2", 9)], ["K1", "K2"]) == "2026-01-03"
        # another customer: from the opened date; a key not rebuilt (K3) is not compared
        assert _earliest(wh, [_c("K1", 7), _c("K3", 1)], [_c("K1", 7, customer="C2")], ["K1"]) == "2026-01-07"
