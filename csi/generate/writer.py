"""Lay out a drop's records as files (CSV / JSONL / Parquet, encodings, wide export).

The file plan of a drop depends only on the day index, so it is deterministic and
covers every format early (a 3-day run already has CSV, JSONL, Parquet, GB18030,
a BOM and a wide file). Text formats hold plain text (timestamps
'YYYY-MM-DD HH:MM:SS'); Parquet keeps native types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

TS = "%Y-%m-%d %H:%M:%S"
WIDE_HEAD = ["response_id", "customer_id", "site_id", "submitted_at", "channel"]


@dataclass
class FileSpec:
    """One file of a drop. `frame` is typed for Parquet and all-text otherwise."""

    source: str
    name: str
    fmt: str  # csv | jsonl | parquet
    frame: pl.DataFrame
    encoding: str = "utf-8"  # utf-8 | utf-8-sig (BOM) | gb18030
    wide: bool = False

    def rel_path(self, day: date) -> str:
        return f"{self.source}/dt={day:%Y-%m-%d}/{self.name}"

    @property
    def is_text(self) -> bool:
        return self.fmt != "parquet"


def to_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as plain text, the way an export writes it."""
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Datetime("us"):
            col = col.dt.strftime(TS)
        elif dtype == pl.Boolean:
            col = pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false"))
        exprs.append(col.cast(pl.String).alias(name))
    return frame.select(exprs)


def to_wide(answers: pl.DataFrame, question_ids: list[str]) -> pl.DataFrame:
    """Pivot long text answers into one row per response, one column per question."""
    head = answers.select(WIDE_HEAD).unique("response_id", keep="first", maintain_order=True)
    value = pl.coalesce("answer", "answer_text").alias("value")
    if answers.height:
        cells = answers.select("response_id", "question_id", value).pivot(
            on="question_id", index="response_id", values="value"
        )
        head = head.join(cells, on="response_id", how="left", maintain_order="left")
    missing = [pl.lit(None, pl.String).alias(q) for q in question_ids if q not in head.columns]
    return head.with_columns(missing).select(WIDE_HEAD + question_ids)


def plan_files(
    day_idx: int,
    day: date,
    sales: pl.DataFrame,
    answers: pl.DataFrame,
    versions: pl.DataFrame,
    wide_question_ids: list[str],
) -> list[FileSpec]:
    """Split a drop's typed frames into files; formats rotate with the day index."""
    tag = f"{day:%Y%m%d}"
    store = sales.filter(pl.col("channel").is_in(["store", "phone"]))
    online = sales.filter(~pl.col("channel").is_in(["store", "phone"]))
    store_enc = {1: "gb18030", 4: "utf-8-sig"}.get(day_idx % 7, "utf-8")
    files = [FileSpec("sales", f"store_{tag}.csv", "csv", to_text(store), store_enc)]
    if day_idx % 3 == 2:
        files.append(FileSpec("sales", f"online_{tag}.jsonl", "jsonl", to_text(online)))
    else:
        files.append(FileSpec("sales", f"online_{tag}.parquet", "parquet", online))
    long = answers.filter(~pl.col("_wide")).drop("_wide")
    kiosk = to_text(answers.filter(pl.col("_wide")).drop("_wide"))
    fmt = ["parquet", "csv", "jsonl"][day_idx % 3]
    files.append(FileSpec("surveys", f"answers_{tag}.{fmt}", fmt, long if fmt == "parquet" else to_text(long)))
    files.append(
        FileSpec("surveys", f"kiosk_wide_{tag}.csv", "csv", to_wide(kiosk, wide_question_ids), "utf-8-sig", True)
    )
    fmt = ["csv", "jsonl", "parquet"][day_idx % 3]
    enc = "gb18030" if fmt == "csv" and day_idx % 2 == 0 else "utf-8"
    frame = versions if fmt == "parquet" else to_text(versions)
    files.append(FileSpec("complaints", f"complaints_{tag}.{fmt}", fmt, frame, enc))
    return files


def write_file(out_dir: Path, day: date, spec: FileSpec) -> Path:
    """Write one file; text encodings are applied to the whole CSV text."""
    path = out_dir / spec.rel_path(day)
    path.parent.mkdir(parents=True, exist_ok=True)
    if spec.fmt == "parquet":
        spec.frame.write_parquet(path, compression="zstd", statistics=True)
    elif spec.fmt == "jsonl":
        path.write_bytes(spec.frame.write_ndjson().encode("utf-8"))
    else:
        path.write_bytes(spec.frame.write_csv().encode(spec.encoding))
    return path
