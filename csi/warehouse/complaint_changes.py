"""How far back a rebuild of complaint facts can change the customer snapshots.

A complaint's status updates arrive for weeks after it was opened. Dirtying the
snapshots from its `opened_at` (its event date, right for the monthly complaint
marts) made every nightly run recompute weeks of snapshots. The snapshot marts
read only `customer_id`, the opened date, the closed date and `is_resolved` of
the current version (transforms.customer_snapshots.history,
transforms.churn_signals.complaint_stream), so comparing the current fact row
(the state the snapshots were computed from: facts change only in the refresh)
with the new winning version bounds the change:

- a new or vanished complaint, or one whose customer or opened date changed:
  from the earlier opened date;
- a changed closed date or resolution: from the earlier closed date (before it,
  both versions count the complaint as open and unresolved);
- anything else (status text, first response, channel...): no snapshot changes.
"""

from __future__ import annotations


def complaint_snapshot_change(fact: str, keys: str, new: str) -> str:
    """SQL for the earliest date whose snapshots differ between `fact` and `new` (NULL: none).

    `keys` holds the complaint_ids being rebuilt, `new` their re-derived rows."""
    moved = "o_id IS NULL OR n_id IS NULL OR o_cust IS DISTINCT FROM n_cust OR o_open <> n_open"
    closed = "o_closed IS DISTINCT FROM n_closed OR o_res IS DISTINCT FROM n_res"
    return (
        "WITH o AS (SELECT f.complaint_id, f.customer_id, f.opened_at, f.closed_at, f.is_resolved "
        f"FROM {fact} f JOIN {keys} k ON f.complaint_id = k.complaint_id), "
        "p AS (SELECT o.complaint_id AS o_id, n.complaint_id AS n_id, o.customer_id AS o_cust, "
        "n.customer_id AS n_cust, CAST(o.opened_at AS DATE) AS o_open, CAST(n.opened_at AS DATE) AS n_open, "
        "CAST(o.closed_at AS DATE) AS o_closed, CAST(n.closed_at AS DATE) AS n_closed, "
        f"o.is_resolved AS o_res, n.is_resolved AS n_res FROM o FULL JOIN {new} n ON o.complaint_id = n.complaint_id) "
        f"SELECT min(d) FROM (SELECT o_open AS d FROM p WHERE {moved} UNION ALL SELECT n_open FROM p WHERE {moved} "
        f"UNION ALL SELECT o_closed FROM p WHERE {closed} UNION ALL SELECT n_closed FROM p WHERE {closed}) x")
