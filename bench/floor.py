"""The floor: read the same landing files with plain polars readers and nothing else."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import polars as pl

READERS = {
    ".csv": lambda p: pl.read_csv(p, infer_schema=False, encoding="utf8-lossy"),
    ".parquet": pl.read_parquet,
    ".jsonl": lambda p: pl.read_ndjson(p, infer_schema_length=None),
}


def landing_files(landing: Path, dates: list[date]) -> list[Path]:
    wanted = {f"dt={d.isoformat()}" for d in dates}
    return sorted(p for p in landing.glob("*/dt=*/*") if p.parent.name in wanted and p.suffix in READERS)


def read_floor(landing: Path, dates: list[date]) -> dict:
    """Seconds and rows to read every landing file of `dates` (unreadable files skipped)."""
    files = landing_files(landing, dates)
    rows, skipped = 0, 0
    t0 = time.perf_counter()
    for path in files:
        try:
            rows += READERS[path.suffix](path).height
        except Exception:  # noqa: BLE001 - the planted corrupt file
            skipped += 1
    return {"seconds": round(time.perf_counter() - t0, 3), "files": len(files), "rows": rows,
            "unreadable": skipped, "bytes": sum(p.stat().st_size for p in files)}
