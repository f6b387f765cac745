"""Stage one drop: read and validate its files into Parquet files on disk.

Staging is pure on the landing files (no warehouse access), so drops can be
staged in parallel; loading is serialised in date order, in batches of dates
(csi.pipeline.load.load_drops reads these files).
Outputs in `<work_dir>/stage/<date>/`: `<source>.parquet` (valid typed rows),
`quarantine.parquet`, `files.parquet`, and a small summary returned to the flow.
"""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl

from csi.catalog import load_catalog
from csi.ingest.discover import FORMATS, SOURCES, LandingFile, discover, fingerprint
from csi.ingest.read import QuarantinedFile, UnreadableFile, read_landing_file
from csi.settings import Settings
from csi.validation.validate import QUARANTINE_SCHEMA, file_reason, validate
from schemas import reasons
from transforms import staging_rows

log = logging.getLogger(__name__)
FACT_ROWS = {"sales": staging_rows.sales_rows, "surveys": staging_rows.answer_rows, "complaints": staging_rows.complaint_rows}


@dataclass
class StageSummary:
    business_date: date
    stage_dir: str
    input_fingerprint: str
    # a file quarantined whole (unreadable, bad header) counts one row read and one
    # quarantined in its source, as ops_quarantine holds one row for it
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_valid: dict[str, int] = field(default_factory=dict)
    rows_quarantined: dict[str, int] = field(default_factory=dict)
    files: int = 0  # every entry of the drop folders
    files_unreadable: int = 0
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    # ingested | duplicate | unreadable | quarantined | unsupported | refused -> files
    files_by_status: dict[str, int] = field(default_factory=dict)
    # {"path", "status", "why"} of every file not ingested for a fault: unreadable,
    # quarantined, unsupported, refused (duplicates are not faults)
    problem_files: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def stage_dir_for(settings: Settings, business_date: date) -> Path:
    return Path(settings.work_dir) / "stage" / business_date.isoformat()


def stage_drop(settings: Settings, business_date: date, run_started_at: datetime,
               duplicates: dict[str, str], files: list[LandingFile] | None = None) -> StageSummary:
    """Stage the drop; files in `duplicates` (path -> earlier path, csi.ingest.dedup) are
    recorded but not read. `files`: the drop's entries as discovered (discover()), so a
    caller that planned with them is not made to list and hash the drop again."""
    if files is None:
        files = discover(settings.landing_dir, business_date)
    catalog = load_catalog(settings.instrument_catalog)
    text_questions = set(catalog.filter(pl.col("is_text"))["question_id"].to_list())
    out = stage_dir_for(settings, business_date)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)

    file_rows, quarantined, summary = [], [], StageSummary(
        business_date, str(out), fingerprint(files), files=len(files))
    unread = {f.rel_path for f in files if not f.is_read}

    def problem(f: LandingFile, status: str, why: str) -> None:
        summary.problem_files.append({"path": f.rel_path, "status": status, "why": why})
        log.warning("%s: %s, %s", f.rel_path, status, why)

    def whole_file(f: LandingFile, status: str, reason: str) -> None:
        file_rows.append(_file_row(f, status, 0))
        quarantined.append(_whole_file(f, business_date, reason))
        problem(f, status, reason)

    for source in SOURCES:
        frames, whole, rejected = [], 0, 0
        for f in (f for f in files if f.source == source):
            earlier = duplicates.get(f.rel_path)
            if not f.is_read:
                file_rows.append(_file_row(f, f.status, 0))
                problem(f, f.status, f.why)
                continue
            # content first seen in a file that is not read (a .txt twin) was never ingested
            if earlier is not None and earlier not in unread and _is_supported(earlier):
                file_rows.append(_file_row(f, "duplicate", 0, earlier))
                continue
            try:
                got = read_landing_file(f, business_date, text_questions)
                # JSONL has no header: its columns are its records' keys, none without records
                has_columns = f.fmt != "jsonl" or got.frame.height > 0
                reason = file_reason(source, got.frame.columns) if has_columns else None
            except UnreadableFile as exc:
                whole_file(f, "unreadable", f"{reasons.FILE_UNREADABLE} ({exc})")
                whole, rejected = whole + 1, rejected + 1
                continue
            except QuarantinedFile as exc:
                reason = str(exc)
            if reason is not None:
                whole_file(f, "quarantined", reason)
                whole, rejected = whole + 1, rejected + 1
                continue
            file_rows.append(_file_row(f, "ingested", got.frame.height + got.rejected.height))
            frames.append(got.frame)
            if got.rejected.height:
                quarantined.append(got.rejected.with_columns(source=pl.lit(source)))
                rejected += got.rejected.height
        read = sum(r["rows"] for r in file_rows if r["source"] == source) + whole
        summary.rows_read[source] = read
        landing = pl.concat(frames, how="diagonal") if frames else None
        if landing is None or landing.height == 0:  # nothing to validate (a frame may lack every column)
            summary.rows_valid[source], summary.rows_quarantined[source] = 0, rejected
            pl.DataFrame().write_parquet(tmp / f"{source}.parquet")
            continue
        result = validate(source, landing, catalog, run_started_at)
        valid = FACT_ROWS[source](result.valid.lazy()).collect()
        valid.write_parquet(tmp / f"{source}.parquet")
        quarantined.append(result.quarantined)
        summary.rows_valid[source] = valid.height
        summary.rows_quarantined[source] = rejected + result.quarantined.height

    q = pl.concat([_conform(x) for x in quarantined]) if quarantined else _empty_quarantine()
    q.write_parquet(tmp / "quarantine.parquet")
    pl.DataFrame(file_rows, schema=FILE_SCHEMA).write_parquet(tmp / "files.parquet")
    counts = Counter(r["status"] for r in file_rows)
    summary.files_by_status = dict(sorted(counts.items()))
    summary.files_unreadable = counts.get("unreadable", 0)
    summary.top_reasons = _top_reasons(q)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)  # a crash mid-staging never leaves a half-written stage dir behind
    return summary


FILE_SCHEMA = {"source": pl.String, "file_path": pl.String, "file_sha256": pl.String,
               "file_bytes": pl.Int64, "status": pl.String, "duplicate_of": pl.String, "rows": pl.Int64}


def _is_supported(rel_path: str) -> bool:
    return any(rel_path.lower().endswith(e) for e in FORMATS)


def _file_row(f: LandingFile, status: str, rows: int, duplicate_of: str | None = None) -> dict:
    return {"source": f.source, "file_path": f.rel_path, "file_sha256": f.sha256,
            "file_bytes": f.size_bytes, "status": status, "duplicate_of": duplicate_of, "rows": rows}


def _whole_file(f: LandingFile, business_date: date, reason: str) -> pl.DataFrame:
    return pl.DataFrame({
        "source": [f.source], "source_file": [f.rel_path], "record_no": [None], "raw_record": [None],
        "drop_date": [business_date], "reasons": [reason], "reason_count": [1],
    }, schema=QUARANTINE_SCHEMA)


def _conform(q: pl.DataFrame) -> pl.DataFrame:
    return q.select(list(QUARANTINE_SCHEMA)).cast(QUARANTINE_SCHEMA)


def _empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


def _top_reasons(q: pl.DataFrame, limit: int = 10) -> list[tuple[str, int]]:
    if q.height == 0:
        return []
    counts = (q.select(pl.col("reasons").str.split(reasons.SEPARATOR).alias("reason")).explode("reason")
              .with_columns(pl.col("reason").str.replace(r" \(.*$", ""))
              .group_by("reason").len().sort(["len", "reason"], descending=[True, False]).head(limit))
    return [(r, n) for r, n in counts.iter_rows()]
