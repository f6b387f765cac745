"""Read one landing file into an all-text frame with lineage columns.

Every value is kept as the text that was delivered (validation casts it), so a
bad value can be quarantined with the record exactly as it came. CSV may be UTF-8
(with or without BOM) or GB18030/GBK; wide survey exports are melted to long form.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

from csi.ingest.discover import LandingFile

BOM = b"\xef\xbb\xbf"
_CJK = re.compile("[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
WIDE_ID_COLUMNS = ("response_id", "customer_id", "site_id", "submitted_at", "channel")


class UnreadableFile(Exception):
    """The file cannot be parsed at all; it is quarantined whole."""


def decode_csv(data: bytes) -> tuple[str, str]:
    """Return (text, encoding): BOM -> utf-8-sig, else UTF-8 or GB18030.

    A short GB18030 text can also be valid UTF-8 (食品 reads as 'ʳƷ'): valid UTF-8
    without a single CJK character is read as GB18030 when that gives CJK text.
    """
    if data.startswith(BOM):
        return data[len(BOM):].decode("utf-8"), "utf-8-sig"
    try:
        utf8 = data.decode("utf-8")
    except UnicodeDecodeError:
        utf8 = None
    try:
        gb = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        if utf8 is None:
            raise UnreadableFile(f"neither UTF-8 nor GB18030 text (byte {exc.start})") from None
        gb = None
    if utf8 is not None and (gb is None or _cjk(utf8) > 0 or _cjk(gb) == 0):
        return utf8, "utf-8"
    return gb, "gb18030"


def _cjk(text: str) -> int:
    return len(_CJK.findall(text))


def _read_text_frame(file: LandingFile) -> pl.DataFrame:
    try:
        if file.fmt == "csv":
            text, _ = decode_csv(file.path.read_bytes())
            return pl.read_csv(text.encode("utf-8"), infer_schema=False)
        if file.fmt == "parquet":
            frame = pl.read_parquet(file.path)
            return frame.select(pl.all().cast(pl.String))
        names = pl.scan_ndjson(file.path, infer_schema_length=None).collect_schema().names()
        return pl.read_ndjson(file.path, schema={n: pl.String for n in names})
    except UnreadableFile:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure means the file is unreadable
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnreadableFile(f"cannot read {file.fmt}: {first[:300]}") from None


def read_landing_file(file: LandingFile, drop_date: date, text_questions: set[str]) -> pl.DataFrame:
    """All-text frame + source_file, record_no (1-based), raw_record (JSON), drop_date."""
    frame = _read_text_frame(file)
    columns = frame.columns
    frame = frame.with_columns(
        pl.lit(file.rel_path).alias("source_file"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("record_no"),
        (pl.struct(columns).struct.json_encode() if columns else pl.lit("{}")).alias("raw_record"),
        pl.lit(drop_date).alias("drop_date"),
    )
    if file.source == "surveys" and "question_id" not in columns and "response_id" in columns:
        frame = melt_wide_survey(frame, columns, text_questions)
    return frame


def melt_wide_survey(frame: pl.DataFrame, columns: list[str], text_questions: set[str]) -> pl.DataFrame:
    """One row per (response, question) with a non-empty cell; text questions go to answer_text."""
    ids = [c for c in WIDE_ID_COLUMNS if c in columns]
    lineage = ["source_file", "record_no", "raw_record", "drop_date"]
    questions = [c for c in columns if c not in ids]
    long = frame.unpivot(on=questions, index=ids + lineage, variable_name="question_id", value_name="_value")
    long = long.filter(pl.col("_value").is_not_null() & (pl.col("_value").str.strip_chars() != ""))
    is_text = pl.col("question_id").is_in(list(text_questions))
    return long.with_columns(
        pl.when(is_text).then(None).otherwise(pl.col("_value")).alias("answer"),
        pl.when(is_text).then(pl.col("_value")).otherwise(None).alias("answer_text"),
    ).drop("_value").sort("record_no", maintain_order=True)
