"""Plant the fault catalog into text files of the drops, within the quarantine budget.

Bad rows are copies of good rows of the same file (mutated, with a fresh key unless
the fault is a duplicate) inserted at random positions. The pipeline fails a drop
when more than 5 % of >= 100 rows are quarantined, so each drop takes at most 4 %
of its rows (per source and overall), or a few when it stays below 100 rows even
with them. The whole catalog
is planted again every `ROUND_DAYS` days. Every planted row is recorded with its
final 1-based record number and its exact, sorted reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from csi.generate.faults import ALL_FAULTS, Fault
from csi.generate.writer import FileSpec, to_text
from schemas.reasons import join

ROUND_DAYS = 60
SMALL_CAP = 4  # bad rows per source in a drop with fewer than 100 rows of that source
KEYS = {"sales": "order_id", "surveys": "response_id"}
DUP_REASON = {"sales": "order_id+line_no:duplicate", "surveys": "response_id+question_id:duplicate"}


def _cap(good: int, small: int) -> int:
    """Bad rows allowed next to `good` rows: 4 % once good + bad could reach 100 rows
    (the pipeline's threshold counts the bad rows too), else up to `small`."""
    return int(0.04 * good) if good + small >= 100 else small


@dataclass
class Planter:
    rng: np.random.Generator
    pending: list[Fault] = field(default_factory=list)
    manifest: list[dict] = field(default_factory=list)
    fresh: int = 0  # counter for fresh keys of bad rows
    # Good text rows of an earlier drop per (source, wide): the base when a small drop
    # has none (the bad row then reads as a late-arriving record).
    memory: dict[tuple[str, bool], pl.DataFrame] = field(default_factory=dict)

    def plant_drop(self, day_idx: int, day: date, files: list[FileSpec], rows: dict[str, int]) -> None:
        """Append bad rows to this drop's text files and record them."""
        if day_idx % ROUND_DAYS == 0:
            self.pending.extend(ALL_FAULTS)
        left = {s: _cap(n, SMALL_CAP) for s, n in rows.items()}
        left_total = _cap(sum(rows.values()), SMALL_CAP * len(rows))
        added: dict[int, list[tuple[dict, str]]] = {}
        dup_of: dict[int, dict[int, str]] = {}
        still = []
        for fault in self.pending:
            cost = 2 if fault.dup else 1
            target = self._target(files, fault)
            if target is None or left[fault.source] < cost or left_total < cost:
                still.append(fault)
                continue
            spec = files[target]
            good = self._candidates(spec.frame, fault, dup_of.get(target, {}))
            if good.height == 0 and not fault.dup:
                good = self._candidates(self.memory.get((spec.source, spec.wide)), fault, {})
            if good.height == 0:
                still.append(fault)
                continue
            base = good.row(int(self.rng.integers(0, good.height)), named=True)
            i = base.pop("_i")
            row = {**base, **fault.mutate(base)}
            reasons = list(fault.reasons)
            if fault.dup:
                dup_of.setdefault(target, {})[i] = DUP_REASON[fault.source]
            elif fault.source in KEYS and row.get(KEYS[fault.source]) is not None:
                self.fresh += 1
                prefix = "SO" if fault.source == "sales" else "RS"
                row[KEYS[fault.source]] = f"{prefix}{day:%Y%m%d}9{self.fresh:05d}"
            added.setdefault(target, []).append((row, join(reasons)))
            left[fault.source] -= cost
            left_total -= cost
        self.pending = still
        for spec in files:
            if spec.frame.height:
                head = spec.frame.head(100)
                self.memory[(spec.source, spec.wide)] = head if spec.is_text else to_text(head)
        for target, new_rows in added.items():
            self._insert(files[target], new_rows, dup_of.get(target, {}), day)

    @staticmethod
    def _candidates(frame: pl.DataFrame | None, fault: Fault, taken: dict[int, str]) -> pl.DataFrame:
        """Good rows of `frame` that qualify as the base of `fault` (with their index `_i`)."""
        if frame is None:
            return pl.DataFrame()
        good = frame.with_row_index("_i").filter(~pl.col("_i").is_in(list(taken)))
        return good if fault.need is None else good.filter(fault.need)

    def _target(self, files: list[FileSpec], fault: Fault) -> int | None:
        """Index of the drop's text file that takes this fault (first match)."""
        for k, spec in enumerate(files):
            if spec.source == fault.source and spec.is_text and spec.wide == fault.wide:
                if fault.source == "sales" and not spec.name.startswith("store_"):
                    continue
                return k
        return None

    def _insert(self, spec: FileSpec, new_rows: list[tuple[dict, str]], dups: dict[int, str], day: date) -> None:
        """Insert the bad rows at random positions; record final record numbers."""
        n = spec.frame.height
        reasons = [None] * n
        for i, reason in dups.items():
            reasons[i] = reason
        bad = pl.DataFrame([r for r, _ in new_rows], schema=spec.frame.schema)
        frame = pl.concat([spec.frame, bad])
        # Good rows keep their order; bad rows slot in between them at random.
        pos = np.concatenate([np.arange(n, dtype=float), self.rng.integers(0, n + 1, len(new_rows)) - 0.5])
        order = np.argsort(pos, kind="stable")
        all_reasons = np.array(reasons + [r for _, r in new_rows], dtype=object)[order]
        spec.frame = frame[order]
        for record_no in np.flatnonzero(all_reasons != None) + 1:  # noqa: E711 (numpy elementwise)
            self.manifest.append(
                {
                    "source": spec.source,
                    "source_file": spec.rel_path(day),
                    "record_no": int(record_no),
                    "reasons": all_reasons[record_no - 1],
                }
            )
