"""Declarations of the operations tables: runs, ingested files, quarantine."""

from __future__ import annotations

from csi.vocab import FILE_STATUSES, RUN_STATUSES, SOURCES
from csi.warehouse.declare import NN, C, TableDecl


def _source_counts() -> tuple:
    cols = []
    for s in SOURCES:
        cols += [
            NN(f"{s}_rows_read", "bigint", f"{s} records read from the drop's files"),
            NN(f"{s}_rows_loaded", "bigint", f"{s} records that passed validation and were staged"),
            NN(f"{s}_rows_quarantined", "bigint", f"{s} records sent to ops_quarantine"),
        ]
    return tuple(cols)


OPS_PIPELINE_RUN = TableDecl(
    "ops_pipeline_run", "ops",
    "One row per run and business date: status, rows read / loaded / quarantined, timings.",
    (
        NN("run_id", "text", "identifier of the run (one per date processed)"),
        NN("business_date", "date", "the drop processed"),
        NN("status", "text", "loaded (rows in, marts pending), refreshed (marts in, checks and publish "
                             "pending), success (loaded, refreshed, checked and published; at most one per date), "
                             "failed, interrupted (the run was killed before it finished and a later run "
                             "replaced its rows: never count them) or replaced (completed, then a later run "
                             "loaded the date again)", values=RUN_STATUSES),
        NN("started_at", "timestamp", "when the date's work began, business time (CSI_TIMEZONE)"),
        C("finished_at", "timestamp", "when the date reached its last status, business time"),
        C("duration_seconds", "double", "wall time"),
        NN("input_fingerprint", "text", "sha256 over the drop's file hashes; unchanged input is skipped"),
        NN("files_read", "int", "files ingested"),
        NN("files_duplicate", "int", "files skipped as re-deliveries of earlier content"),
        NN("files_unreadable", "int", "files that could not be parsed at all (one ops_quarantine row each)"),
        NN("files_unsupported", "int", "files not read: unsupported extension or not a regular file"),
        NN("files_refused", "int", "files not read: a symlink or a path resolving outside the landing dir"),
        NN("files_quarantined", "int", "files quarantined whole: duplicated or missing header columns"),
    ) + _source_counts() + (
        C("stage_seconds", "double", "read and validate"),
        C("load_seconds", "double", "staging and fact load"),
        C("marts_seconds", "double", "mart refresh"),
        C("error", "text", "what failed and where (never a password)"),
    ),
    key=("run_id",),
)

OPS_INGESTED_FILE = TableDecl(
    "ops_ingested_file", "ops", "One row per landing file seen by a drop: its hash and fate.",
    (
        NN("drop_date", "date", "the drop (dt=) the file came in"),
        NN("source", "text", "sales, surveys or complaints", values=SOURCES),
        NN("file_path", "text", "path relative to the landing dir"),
        NN("file_sha256", "text", "sha256 of the file's bytes"),
        NN("file_bytes", "bigint", "size in bytes"),
        NN("status", "text", "ingested, duplicate (same content as an earlier file), unreadable, "
                             "unsupported (not read: extension), refused (not read: symlink or outside the "
                             "landing dir) or quarantined (whole file: bad header)", values=FILE_STATUSES),
        C("duplicate_of", "text", "the earlier file with the same sha256"),
        NN("rows", "bigint", "rows read: records, or answers of a wide survey export (0 if unread)"),
        NN("run_id", "text", "the run that recorded it"),
    ),
    key=("drop_date", "file_path"), partition="drop_date",
)

OPS_QUARANTINE = TableDecl(
    "ops_quarantine", "ops",
    "One row per rejected record (per rejected answer of a wide survey export; one row for a whole "
    "unreadable file), with every reason.",
    (
        NN("drop_date", "date", "the drop the record came in"),
        NN("source", "text", "sales, surveys or complaints", values=SOURCES),
        NN("source_file", "text", "landing file, relative to the landing dir"),
        C("record_no", "bigint", "1-based record number; null when the whole file is unreadable"),
        C("raw_record", "text", "the record as delivered, JSON"),
        NN("reasons", "text", "every reason code, sorted, joined by '; ' (docs/validation.md)"),
        NN("reason_count", "int", "number of reasons"),
        NN("run_id", "text", "the run that quarantined it"),
    ),
    key=(),  # a wide survey record can be rejected answer by answer
    partition="drop_date",
)

OPS_DIRTY = TableDecl(
    "ops_dirty_period", "ops",
    "Periods whose marts must be recomputed: written with a fact load, cleared by the mart refresh.",
    (
        NN("grain", "text", "'date': monthly and quarterly marts are stale from period_start (the earliest "
                            "touched event date); 'snapshot': the customer snapshot marts are"),
        NN("period_start", "date", "the first stale date of that grain"),
    ),
    key=("grain", "period_start"),
)


def _pending(source: str, keys: tuple) -> TableDecl:
    return TableDecl(
        f"ops_pending_{source}_key", "ops",
        f"Keys of {source} whose current fact row must be re-derived: written with each drop's load "
        "(the keys its old and new contribution touch), consumed by the next mart refresh, which "
        "rebuilds the facts of all of them in one set-based pass. A key may appear more than once.",
        keys,
        key=(),
    )


OPS_PENDING_SALES = _pending("sales", (
    NN("order_id", "text", "order of a touched sales line"),
    NN("line_no", "int", "line of a touched sales line")))
OPS_PENDING_SURVEYS = _pending("surveys", (
    NN("response_id", "text", "response of a touched survey answer"),
    NN("question_id", "text", "question of a touched survey answer")))
OPS_PENDING_COMPLAINTS = _pending("complaints", (
    NN("complaint_id", "text", "a complaint one of whose versions was touched"),))
