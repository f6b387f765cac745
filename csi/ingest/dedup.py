"""Which landing files are re-deliveries of content already ingested.

Pure decisions on the files discovered and the deliveries the warehouse recorded
(csi.warehouse.deliveries.recorded_files reads those).

The same content (sha256) is ingested once: by the earliest drop that carries it,
and within a drop by its first path. Decided before staging, so duplicate files
are neither validated (their keys would collide with the originals) nor loaded.

Whatever order dates are run in, the result must be that of one clean run in date
order. So when (re)running dates changes which drop first delivered some content,
the other drops holding that content are run again too (`redelivered_dates`): a
file re-delivered into an earlier drop turns the later copy into a duplicate, and
a file that left an earlier drop turns the later duplicate into the original.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polars as pl

from csi.ingest.discover import LandingFile
from csi.ingest.discover import readable as _readable


def redelivered_dates(recorded: pl.DataFrame, files_by_date: dict[date, list[LandingFile]],
                      discover: Callable[[date], list[LandingFile] | None]) -> dict[date, list[LandingFile]]:
    """Recorded drops that must run again because running `files_by_date` changes who first
    delivered some content.

    For each sha256, the first delivery is the smallest (drop date, path) that carries it.
    When running the dates changes it (a copy arrives in an earlier drop, the original
    leaves, or is renamed), every other recorded drop holding that content must run again:
    its copy changes from original to duplicate or back, or its `duplicate_of` changes.
    Repeated until no drop is added. `discover(d)` gives an added drop's files now (None:
    it has no drop any more; it is then left as recorded)."""
    if not files_by_date:
        return {}
    by_date: dict[date, list[tuple[str, str]]] = {}
    for d, sha, path, _status in recorded.iter_rows():
        by_date.setdefault(d, []).append((path, sha))
    current = {d: [(f.rel_path, f.sha256) for f in _readable(files)] for d, files in files_by_date.items()}

    def first_deliveries(deliveries: dict[date, list[tuple[str, str]]]) -> dict[str, tuple[date, str]]:
        first: dict[str, tuple[date, str]] = {}
        for d, items in deliveries.items():
            for path, sha in items:
                if sha not in first or (d, path) < first[sha]:
                    first[sha] = (d, path)
        return first

    before = first_deliveries(by_date)
    added: dict[date, list[LandingFile]] = {}
    while True:
        after = first_deliveries({**{d: v for d, v in by_date.items() if d not in current}, **current})
        changed = {sha for sha in before.keys() | after.keys() if before.get(sha) != after.get(sha)}
        new = sorted(d for d, items in by_date.items()
                     if d not in current and any(sha in changed for _path, sha in items))
        if not new:
            return added
        for d in new:
            files = discover(d)
            if files is None:
                current[d] = by_date[d]
            else:
                current[d] = [(f.rel_path, f.sha256) for f in _readable(files)]
                added[d] = files


def plan_duplicates(recorded: pl.DataFrame, files_by_date: dict[date, list[LandingFile]]
                    ) -> dict[date, dict[str, str]]:
    """{date: {file path: path of the earlier file with the same content}} for the dates to run.

    Earlier content = files of drops not being (re)processed, as recorded in the
    warehouse, plus files of the processed drops that come earlier in date order.
    """
    todo = sorted(files_by_date)
    if not todo:
        return {}
    recorded = recorded.filter((pl.col("status") == "ingested") & (pl.col("drop_date") < todo[-1]))
    skip = set(todo)
    # every delivery in (date, path) order: recorded ones of untouched drops, then fresh ones
    deliveries = [(d, path, sha, False) for d, sha, path, _status in recorded.iter_rows() if d not in skip]
    deliveries += [(d, f.rel_path, f.sha256, True) for d in todo for f in _readable(files_by_date[d])]
    plan: dict[date, dict[str, str]] = {d: {} for d in todo}
    seen: dict[str, str] = {}
    for d, path, sha, fresh in sorted(deliveries):
        if sha in seen:
            if fresh:
                plan[d][path] = seen[sha]
        else:
            seen[sha] = path
    return plan
