"""Which landing files are re-deliveries of content already ingested.

The same content (sha256) is ingested once: by the earliest drop that carries it,
and within a drop by its first path. Decided before staging, so duplicate files
are neither validated (their keys would collide with the originals) nor loaded.
"""

from __future__ import annotations

from datetime import date

from csi.ingest.discover import LandingFile
from csi.warehouse.engine import Warehouse


def plan_duplicates(wh: Warehouse, files_by_date: dict[date, list[LandingFile]]
                    ) -> dict[date, dict[str, str]]:
    """{date: {file path: path of the earlier file with the same content}} for the dates to run.

    Earlier content = files of drops not being (re)processed, as recorded in the
    warehouse, plus files of the processed drops that come earlier in date order.
    """
    todo = sorted(files_by_date)
    if not todo:
        return {}
    with wh.transaction() as tx:
        recorded = tx.read(
            "SELECT drop_date, file_sha256, file_path FROM ops_ingested_file "
            "WHERE status = 'ingested' AND drop_date < :last ORDER BY drop_date, file_path",
            {"last": todo[-1]})
    skip = set(todo)
    # every delivery in (date, path) order: recorded ones of untouched drops, then fresh ones
    deliveries = [(d, path, sha, False) for d, sha, path in recorded.iter_rows() if d not in skip]
    deliveries += [(d, f.rel_path, f.sha256, True) for d in todo for f in files_by_date[d]]
    plan: dict[date, dict[str, str]] = {d: {} for d in todo}
    seen: dict[str, str] = {}
    for d, path, sha, fresh in sorted(deliveries):
        if sha in seen:
            if fresh:
                plan[d][path] = seen[sha]
        else:
            seen[sha] = path
    return plan
