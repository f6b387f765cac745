"""Inline landing frames for the validation tests (all-text contract columns + lineage)."""

from __future__ import annotations

import json
from datetime import date, datetime

import polars as pl

from csi.validation.validate import Validated, validate

RUN_STARTED_AT = datetime(2026, 1, 6, 2, 0, 0)
DROP = date(2026, 1, 5)
CATALOG = pl.DataFrame(
    {
        "question_id": ["nps", "csat", "acsi_complained", "comment"],
        "scale_min": [0.0, 1.0, 0.0, None],
        "scale_max": [10.0, 5.0, 1.0, None],
        "is_text": [False, False, False, True],
    }
)


def landing(rows: list[dict[str, str | None]], source_file: str = "x/dt=2026-01-05/f.csv") -> pl.DataFrame:
    """All-text landing frame of ``rows`` (columns: union of the rows' keys, in order)."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    frame = pl.DataFrame({c: [row.get(c) for row in rows] for c in columns}, schema=dict.fromkeys(columns, pl.String))
    return frame.with_columns(
        source_file=pl.lit(source_file),
        record_no=pl.int_range(1, len(rows) + 1, dtype=pl.Int64),
        raw_record=pl.Series([json.dumps(row, ensure_ascii=False) for row in rows], dtype=pl.String),
        drop_date=pl.lit(DROP),
    )


def run(source: str, rows: list[dict[str, str | None]], run_started_at: datetime = RUN_STARTED_AT) -> Validated:
    return validate(source, landing(rows), CATALOG, run_started_at)


def reasons_by_record(result: Validated) -> dict[int, str]:
    return dict(zip(result.quarantined["record_no"], result.quarantined["reasons"], strict=True))
