"""Read one landing file into an all-text frame with lineage columns.

Every value is kept as the text that was delivered (validation casts it), so a
bad value can be quarantined with the record exactly as it came. Text files
(CSV, JSONL, optionally gzip-compressed) are decoded per file: UTF-8 (with or
without BOM) whenever the bytes are valid UTF-8, GB18030 when most of the
records with non-ASCII bytes are not valid UTF-8 (docs/validation.md,
"Encodings"). A record that cannot be decoded or parsed is rejected on its own
(``LandingRead.rejected``); the rest of the file loads. Wide survey exports are
melted to long form.

Fast path: the whole text is read by polars once; Python touches records one by
one only when the file is not valid UTF-8, a quoted CSV field spans lines, or
polars cannot read it.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from dataclasses import dataclass
from datetime import date

import polars as pl

from csi.ingest.discover import LandingFile
from schemas.reasons import ENCODING_INVALID

BOM = b"\xef\xbb\xbf"
WIDE_ID_COLUMNS = ("response_id", "customer_id", "site_id", "submitted_at", "channel")
# surrogateescape keeps an undecodable byte b as the lone surrogate U+DC00+b
_SURROGATE = re.compile("[\udc80-\udcff]")
_QUOTED = r'"[^"]*"'  # a quoted CSV field on one line ("" escapes are two adjacent ones)
REJECTED_SCHEMA = {"source_file": pl.String, "record_no": pl.Int64, "raw_record": pl.String,
                   "drop_date": pl.Date, "reasons": pl.String, "reason_count": pl.Int64}

csv.field_size_limit(2**31 - 1)  # a long free-text cell is data, not an error


class UnreadableFile(Exception):
    """The file cannot be parsed at all; it is quarantined whole (``file:unreadable``)."""


class QuarantinedFile(Exception):
    """The file is readable but unusable as a whole; ``str(exc)`` is its reason, e.g.
    ``file:duplicate_column (revenue)``."""


@dataclass(frozen=True)
class LandingRead:
    frame: pl.DataFrame  # all-text records + source_file, record_no, raw_record, drop_date
    rejected: pl.DataFrame  # REJECTED_SCHEMA: records that could not be decoded or parsed
    encoding: str  # utf-8, utf-8-sig, gb18030, or "" for Parquet


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding). Undecodable bytes stay in the text as lone surrogates
    (surrogateescape), so the records holding them can be rejected with their bytes."""
    if data.startswith(BOM):
        return data[len(BOM):].decode("utf-8", "surrogateescape"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    encoding = "gb18030" if _mostly_gb18030(data) else "utf-8"
    return data.decode(encoding, "surrogateescape"), encoding


def _mostly_gb18030(data: bytes) -> bool:
    """True when more lines with non-ASCII bytes are GB18030-only than valid UTF-8.

    Neither encoding ever uses byte 0x0A inside a character, so lines split safely.
    A short GB18030 text can be valid UTF-8 by accident (食品 -> 'ʳƷ'): counting
    lines, not trusting one, keeps such a line from deciding a GB18030 file."""
    utf8 = gb = 0
    for line in data.split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
            continue
        except UnicodeDecodeError:
            pass
        try:
            line.decode("gb18030")
            gb += 1
        except UnicodeDecodeError:
            pass  # valid in neither: rejected whichever the file's encoding
    return gb > utf8


def escape_bytes(text: str, encoding: str) -> str:
    """The bytes ``text`` was decoded from (``encoding``, surrogateescape), ASCII as is and
    every other byte as ``\\xNN``: what was delivered, never decoded with a wrong codec."""
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    return text.encode(codec, "surrogateescape").decode("ascii", "backslashreplace")


def read_landing_file(file: LandingFile, drop_date: date, text_questions: set[str]) -> LandingRead:
    """All-text frame + source_file, record_no (1-based), raw_record (JSON), drop_date,
    and the records rejected while reading. Raises UnreadableFile or QuarantinedFile."""
    if file.fmt == "parquet":
        frame, rejected, encoding = _read_parquet(file), [], ""
    else:
        data = file.path.read_bytes()
        if file.is_gzip:
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as exc:
                raise UnreadableFile(f"not a valid gzip file: {exc}") from None
        text, encoding = decode_text(data)
        reader = _read_csv if file.fmt == "csv" else _read_jsonl
        try:
            frame, rejected = reader(text)
        except (UnreadableFile, QuarantinedFile):
            raise
        except Exception as exc:  # noqa: BLE001 - any other parser failure: the file is unreadable
            raise UnreadableFile(f"cannot read {file.fmt}: {_first_line(exc)}") from None
    columns = [c for c in frame.columns if c != "record_no"]
    frame = frame.with_columns(
        pl.lit(file.rel_path).alias("source_file"),
        (pl.struct(columns).struct.json_encode() if columns else pl.lit("{}")).alias("raw_record"),
        pl.lit(drop_date).alias("drop_date"),
    ).select(*columns, "source_file", "record_no", "raw_record", "drop_date")
    if file.source == "surveys" and "question_id" not in columns and "response_id" in columns:
        frame = melt_wide_survey(frame, columns, text_questions)
    rows = [{"source_file": file.rel_path, "drop_date": drop_date, "reason_count": 1, **r,
             "raw_record": escape_bytes(r["raw_record"], encoding) if r["reasons"] == ENCODING_INVALID
             else r["raw_record"]} for r in rejected]
    return LandingRead(frame, pl.DataFrame(rows, schema=REJECTED_SCHEMA), encoding)


def _read_parquet(file: LandingFile) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(file.path)
    except Exception as exc:  # noqa: BLE001 - any parser failure means the file is unreadable
        raise UnreadableFile(f"cannot read parquet: {_first_line(exc)}") from None
    return frame.select(pl.all().cast(pl.String)).with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("record_no"))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def _reject(record_no: int, raw: str, reason: str) -> dict:
    return {"record_no": record_no, "raw_record": raw, "reasons": reason}


def _lines(text: str) -> list[str]:
    """Physical lines without their line break ("\\n" or "\\r\\n")."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


# --- CSV -------------------------------------------------------------------------------

def _read_csv(text: str) -> tuple[pl.DataFrame, list[dict]]:
    """(records with record_no, rejected records). Blank lines are not records."""
    if not text.strip():
        raise UnreadableFile("empty file: no header")
    first = text.split("\n", 1)[0].removesuffix("\r")
    if _SURROGATE.search(first):
        raise UnreadableFile(f"the header is not valid text: {_SURROGATE.sub('?', first)[:200]}")
    try:
        [header] = list(csv.reader([first], strict=True))
    except (csv.Error, ValueError) as exc:
        raise UnreadableFile(f"cannot read the CSV header: {exc}") from None
    seen: set[str] = set()
    repeated = sorted({c for c in header if c in seen or seen.add(c)})
    if repeated:
        raise QuarantinedFile(f"file:duplicate_column ({', '.join(repeated)})")
    if not _SURROGATE.search(text):
        fast = _read_csv_fast(header, text)
        if fast is not None:
            return fast
    return _read_csv_slow(header, _lines(text)[1:])


def _read_csv_fast(header: list[str], text: str) -> tuple[pl.DataFrame, list[dict]] | None:
    """polars reads the records whose field count is right; None when a quoted field
    spans lines or polars cannot read them (the slow path decides record by record).
    Lines are split and counted by polars, so a clean file costs a few vectorised passes."""
    lines = pl.Series("line", [text]).str.split("\n").explode().str.strip_suffix("\r")
    if text.endswith("\n"):
        lines = lines.head(-1)
    lines = lines.slice(1).to_frame().with_columns(
        is_blank=pl.col("line").str.len_bytes() == 0,
        quotes=pl.col("line").str.count_matches('"', literal=True),
        fields=pl.col("line").str.replace_all(_QUOTED, "").str.count_matches(",", literal=True) + 1,
    ).with_columns(record_no=(~pl.col("is_blank")).cum_sum().cast(pl.Int64))
    if (lines["quotes"] % 2 == 1).any():
        return None
    records = lines.filter(~pl.col("is_blank"))
    ok = pl.col("fields") == len(header)
    good, bad = records.filter(ok), records.filter(~ok)
    if good.height == lines.height:  # nothing to drop: polars reads the text as it is
        body = text.split("\n", 1)[1] if "\n" in text else ""
    else:
        body = good["line"].str.join("\n").item() + "\n" if good.height else ""
    schema = {c: pl.String for c in header}
    try:
        frame = pl.read_csv(io.BytesIO(body.encode()), has_header=False, schema=schema) \
            if good.height else pl.DataFrame(schema=schema)
    except Exception:  # noqa: BLE001 - e.g. text after a closing quote: judged record by record
        return None
    if frame.height != good.height:
        return None
    rejected = [_reject(n, line, f"record:wrong_field_count ({f} fields, the header has {len(header)})")
                for n, line, f in bad.select("record_no", "line", "fields").iter_rows()]
    return _nulls_for_empty(frame).with_columns(good["record_no"]), rejected


def _nulls_for_empty(frame: pl.DataFrame) -> pl.DataFrame:
    """An empty cell is null whether it was quoted or not (the csv module cannot tell)."""
    return frame.with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in frame.columns)


class _Lines:
    """The body's lines for csv.reader, with a position that can be moved back."""

    def __init__(self, lines: list[str]) -> None:
        self.lines, self.pos = lines, 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1] + "\n"


def _read_csv_slow(header: list[str], body: list[str]) -> tuple[pl.DataFrame, list[dict]]:
    """Record by record with the csv module. A quoted field may span lines; when such a
    record does not come out right (no closing quote, wrong field count, text after
    the closing quote), only its first line is rejected as an unterminated quote and
    reading resumes on the next line, so one stray quote cannot swallow the file."""
    width = len(header)
    source = _Lines(body)
    reader = csv.reader(source, strict=True)
    rows: list[list[str]] = []
    record_nos: list[int] = []
    rejected: list[dict] = []
    record_no, pos = 0, 0
    while pos < len(body):
        if body[pos] == "":
            pos += 1
            continue
        record_no += 1
        source.pos = pos
        row, error = None, None
        try:
            row = next(reader)
        except csv.Error as exc:
            error = str(exc)
        end = max(source.pos, pos + 1)
        if end - pos > 1 and (error is not None or len(row) != width):
            end, reason = pos + 1, "record:unterminated_quote"
        elif error is not None:
            reason = "record:unterminated_quote" if "unexpected end of data" in error \
                else f"record:malformed_csv ({error})"
        elif len(row) != width:
            reason = f"record:wrong_field_count ({len(row)} fields, the header has {width})"
        else:
            reason = None
        raw = "\n".join(body[pos:end])
        if _SURROGATE.search(raw):
            reason = ENCODING_INVALID
        if reason is None:
            rows.append(row)
            record_nos.append(record_no)
        else:
            rejected.append(_reject(record_no, raw, reason))
        pos = end
    frame = pl.DataFrame({c: [r[i] or None for r in rows] for i, c in enumerate(header)},
                         schema={c: pl.String for c in header})
    return frame.with_columns(pl.Series("record_no", record_nos, dtype=pl.Int64)), rejected


# --- JSONL -----------------------------------------------------------------------------

def _read_jsonl(text: str) -> tuple[pl.DataFrame, list[dict]]:
    """(records with record_no, rejected records). Blank lines are not records."""
    lines = [line for line in _lines(text) if line.strip()]
    if not _SURROGATE.search(text):
        try:
            return _ndjson(lines, list(range(1, len(lines) + 1))), []
        except Exception:  # noqa: BLE001, S110 - a bad line: judged line by line below
            pass
    good, numbers, rejected = [], [], []
    for record_no, line in enumerate(lines, start=1):
        reason = None
        if _SURROGATE.search(line):
            reason = ENCODING_INVALID
        else:
            try:
                value = json.loads(line)
                if not isinstance(value, dict):
                    reason = f"record:not_a_json_object ({type(value).__name__})"
            except ValueError as exc:
                reason = f"record:malformed_json ({exc})"
        if reason is None:
            good.append(line)
            numbers.append(record_no)
        else:
            rejected.append(_reject(record_no, line, reason))
    try:
        return _ndjson(good, numbers), rejected
    except Exception as exc:  # noqa: BLE001 - valid JSON polars cannot take: the file is unreadable
        raise UnreadableFile(f"cannot read jsonl: {_first_line(exc)}") from None


def _ndjson(lines: list[str], record_nos: list[int]) -> pl.DataFrame:
    data = ("\n".join(lines) + "\n").encode()
    if not lines:
        frame = pl.DataFrame()
    else:
        names = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None).columns
        frame = pl.read_ndjson(io.BytesIO(data), schema={n: pl.String for n in names})
    if frame.height != len(record_nos):
        raise ValueError(f"read {frame.height} records from {len(record_nos)} lines")
    return frame.with_columns(pl.Series("record_no", record_nos, dtype=pl.Int64))


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

