"""Stage one drop: read and validate its files into Parquet files on disk.

Staging is pure on the landing files (no warehouse access), so drops can be
staged in parallel; loading is serialised in date order (csi.pipeline.load).
Outputs in `<work_dir>/stage/<date>/`: `<source>.parquet` (valid typed rows),
`quarantine.parquet`, `files.parquet`, and a small summary returned to the flow.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl

from csi.catalog import load_catalog
from csi.ingest.discover import SOURCES, LandingFile, discover, fingerprint
from csi.ingest.read import UnreadableFile, read_landing_file
from csi.quarantine import validate
from csi.settings import Settings
from schemas import reasons
from transforms import facts

FACT_ROWS = {"sales": facts.sales_rows, "surveys": facts.answer_rows, "complaints": facts.complaint_rows}


@dataclass
class StageSummary:
    business_date: str
    stage_dir: str
    input_fingerprint: str
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_valid: dict[str, int] = field(default_factory=dict)
    rows_quarantined: dict[str, int] = field(default_factory=dict)
    files: int = 0
    files_unreadable: int = 0
    top_reasons: list[tuple[str, int]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def stage_dir_for(settings: Settings, business_date: date) -> Path:
    return Path(settings.work_dir) / "stage" / business_date.isoformat()


def stage_drop(settings: Settings, business_date: date, run_started_at: datetime,
               duplicates: dict[str, str]) -> StageSummary:
    """Stage the drop; files in `duplicates` (path -> earlier path, csi.pipeline.dedup) are
    recorded but not read."""
    files = discover(settings.landing_dir, business_date)
    catalog = load_catalog(settings.instrument_catalog)
    text_questions = set(catalog.filter(pl.col("is_text"))["question_id"].to_list())
    out = stage_dir_for(settings, business_date)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)

    file_rows, quarantined, summary = [], [], StageSummary(
        business_date.isoformat(), str(out), fingerprint(files), files=len(files))
    for source in SOURCES:
        frames = []
        for f in (f for f in files if f.source == source):
            if f.rel_path in duplicates:
                file_rows.append(_file_row(f, "duplicate", 0, duplicates[f.rel_path]))
                continue
            try:
                frame = read_landing_file(f, business_date, text_questions)
            except UnreadableFile as exc:
                summary.files_unreadable += 1
                file_rows.append(_file_row(f, "unreadable", 0))
                quarantined.append(_unreadable(f, business_date, str(exc)))
                continue
            file_rows.append(_file_row(f, "ingested", frame.height))
            frames.append(frame)
        landing = pl.concat(frames, how="diagonal") if frames else None
        read = sum(r["rows"] for r in file_rows if r["source"] == source)
        summary.rows_read[source] = read
        if landing is None:
            summary.rows_valid[source] = summary.rows_quarantined[source] = 0
            pl.DataFrame().write_parquet(tmp / f"{source}.parquet")
            continue
        result = validate(source, landing, catalog, run_started_at)
        valid = FACT_ROWS[source](result.valid.lazy()).collect()
        valid.write_parquet(tmp / f"{source}.parquet")
        quarantined.append(result.quarantined)
        summary.rows_valid[source] = valid.height
        summary.rows_quarantined[source] = result.quarantined.height

    q = pl.concat(quarantined, how="diagonal_relaxed") if quarantined else _empty_quarantine()
    q.write_parquet(tmp / "quarantine.parquet")
    pl.DataFrame(file_rows, schema=FILE_SCHEMA).write_parquet(tmp / "files.parquet")
    summary.top_reasons = _top_reasons(q)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)  # a crash mid-staging never leaves a half-written stage dir behind
    return summary


FILE_SCHEMA = {"source": pl.String, "file_path": pl.String, "file_sha256": pl.String,
               "file_bytes": pl.Int64, "status": pl.String, "duplicate_of": pl.String, "rows": pl.Int64}


def _file_row(f: LandingFile, status: str, rows: int, duplicate_of: str | None = None) -> dict:
    return {"source": f.source, "file_path": f.rel_path, "file_sha256": f.sha256,
            "file_bytes": f.size_bytes, "status": status, "duplicate_of": duplicate_of, "rows": rows}


def _unreadable(f: LandingFile, business_date: date, why: str) -> pl.DataFrame:
    return pl.DataFrame({
        "source": [f.source], "source_file": [f.rel_path], "record_no": [None], "raw_record": [None],
        "drop_date": [business_date], "reasons": [f"file:unreadable ({why})"], "reason_count": [1],
    }, schema_overrides={"record_no": pl.Int64, "raw_record": pl.String, "reason_count": pl.Int32})


def _empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema={"source": pl.String, "source_file": pl.String, "record_no": pl.Int64,
                                "raw_record": pl.String, "drop_date": pl.Date, "reasons": pl.String,
                                "reason_count": pl.Int32})


def _top_reasons(q: pl.DataFrame, limit: int = 10) -> list[tuple[str, int]]:
    if q.height == 0:
        return []
    counts = (q.select(pl.col("reasons").str.split(reasons.SEPARATOR).alias("reason")).explode("reason")
              .with_columns(pl.col("reason").str.replace(r" \(.*$", ""))
              .group_by("reason").len().sort(["len", "reason"], descending=[True, False]).head(limit))
    return [(r, n) for r, n in counts.iter_rows()]
