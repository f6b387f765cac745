"""An independent, minimal reading of the landing contract, used to check the generator.

`read_source` reads every file of a source as text (CSV in UTF-8, UTF-8 with BOM or
GB18030; JSONL; Parquet) with `source_file` and 1-based `record_no`, melting wide
survey exports. `quarantine` applies CONTRACT.md's rules (dependent cross-field
rules only when their inputs parse) and returns every failing record with its
sorted, '; '-joined reasons, so tests can compare it with the generator's manifest.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from csi.generate.writer import to_text

TS = "%Y-%m-%d %H:%M:%S"
ISO_CURRENCIES = ["CNY", "USD", "EUR", "HKD", "JPY", "GBP", "KRW", "SGD", "TWD", "XXX"]
WIDE_HEAD = ["response_id", "customer_id", "site_id", "submitted_at", "channel"]


def decode_csv(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_file(path: Path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return to_text(pl.read_parquet(path))
    text = path.read_bytes()
    if not text:
        return pl.DataFrame()
    if path.suffix == ".jsonl":
        frame = pl.read_ndjson(text, infer_schema_length=None)
        return frame.select(pl.all().cast(pl.String))
    return pl.read_csv(decode_csv(text).encode("utf-8"), infer_schema=False)


def read_source(out: Path, source: str, skip: set[str], catalog: pl.DataFrame) -> pl.DataFrame:
    """All records of a source (text), with source_file and record_no; wide melted."""
    frames = []
    for path in sorted((out / source).glob("dt=*/*")):
        rel = path.relative_to(out).as_posix()
        if rel in skip:
            continue
        frame = read_file(path)
        if frame.height == 0:
            continue
        frame = frame.with_row_index("record_no", offset=1).with_columns(
            pl.col("record_no").cast(pl.Int64),
            pl.lit(rel).alias("source_file"),
            pl.lit(rel.split("/")[1][3:]).alias("dt"),
        )
        if source == "surveys" and "question_id" not in frame.columns:
            frame = melt_wide(frame, catalog)
        frames.append(frame)
    return pl.concat(frames, how="diagonal")


def melt_wide(frame: pl.DataFrame, catalog: pl.DataFrame) -> pl.DataFrame:
    text_q = catalog.filter(pl.col("is_text"))["question_id"].to_list()
    keep = [*WIDE_HEAD, "record_no", "source_file", "dt"]
    long = frame.unpivot(index=keep, variable_name="question_id", value_name="v").filter(pl.col("v").is_not_null())
    is_text = pl.col("question_id").is_in(text_q)
    return long.with_columns(
        pl.when(is_text).then(None).otherwise(pl.col("v")).alias("answer"),
        pl.when(is_text).then(pl.col("v")).alias("answer_text"),
    ).drop("v")


def _ts(c: str) -> pl.Expr:
    return pl.col(c).str.strptime(pl.Datetime("us"), TS, strict=False)


def _num(c: str, dtype=pl.Float64) -> pl.Expr:
    return pl.col(c).cast(dtype, strict=False)


def _presence(c: str, parsed: pl.Expr, code: str) -> list[pl.Expr]:
    """missing when null, `<code>` when present but unparseable."""
    return [
        pl.when(pl.col(c).is_null()).then(pl.lit(f"{c}:missing")),
        pl.when(pl.col(c).is_not_null() & parsed.is_null()).then(pl.lit(f"{c}:{code}")),
    ]


def _rule(cond: pl.Expr, code: str) -> pl.Expr:
    return pl.when(cond.fill_null(False)).then(pl.lit(code))


def sales_reasons(df: pl.DataFrame, now) -> list[pl.Expr]:
    q, p, d, r, c = _num("quantity", pl.Int64), _num("unit_price"), _num("discount"), _num("revenue"), _num("cost")
    typ = pl.col("order_type")
    sign = pl.when(typ == "return").then(-1.0).otherwise(1.0)
    valid_type = typ.is_in(["sale", "return"])
    key = pl.struct("order_id", "line_no")
    both_keys = pl.col("order_id").is_not_null() & pl.col("line_no").is_not_null()
    return [
        _rule(pl.col("order_id").is_null(), "order_id:missing"),
        *_presence("line_no", _num("line_no", pl.Int64), "not_an_integer"),
        _rule(_num("line_no", pl.Int64) < 1, "line_no:less_than_1"),
        _rule(both_keys & key.is_duplicated().over("dt"), "order_id+line_no:duplicate"),
        _rule(typ.is_null(), "order_type:missing"),
        _rule(typ.is_not_null() & ~valid_type, "order_type:not_sale_or_return"),
        _rule(pl.col("customer_id").is_null(), "customer_id:missing"),
        _rule(pl.col("site_id").is_null(), "site_id:missing"),
        *_presence("ordered_at", _ts("ordered_at"), "not_a_timestamp"),
        _rule(_ts("ordered_at") > now, "ordered_at:in_future"),
        *_presence("quantity", q, "not_an_integer"),
        _rule(q <= 0, "quantity:not_positive"),
        *_presence("unit_price", p, "not_a_number"),
        _rule(p < 0, "unit_price:negative"),
        *_presence("discount", d, "not_a_number"),
        _rule((d < 0) | (d >= 1), "discount:out_of_range"),
        *_presence("revenue", r, "not_a_number"),
        _rule(valid_type & ((r - sign * q * p * (1 - d)).abs() > 0.01 + 1e-9), "revenue:mismatch"),
        *_presence("cost", c, "not_a_number"),
        _rule(valid_type & (sign * c < 0), "cost:wrong_sign"),
        _rule(pl.col("currency").is_null(), "currency:missing"),
        _rule(pl.col("currency").is_not_null() & ~pl.col("currency").is_in(ISO_CURRENCIES), "currency:not_iso4217"),
    ]


def survey_reasons(df: pl.DataFrame, catalog: pl.DataFrame) -> list[pl.Expr]:
    a = _num("answer")
    in_cat = pl.col("scale_min").is_not_null() | pl.col("is_text").fill_null(False)
    numeric = in_cat & ~pl.col("is_text").fill_null(False)
    text = pl.col("is_text").fill_null(False)
    key = pl.struct("response_id", "question_id")
    both_keys = pl.col("response_id").is_not_null() & pl.col("question_id").is_not_null()
    return [
        _rule(pl.col("response_id").is_null(), "response_id:missing"),
        _rule(pl.col("question_id").is_null(), "question_id:missing"),
        _rule(pl.col("question_id").is_not_null() & ~in_cat, "question_id:not_in_catalog"),
        _rule(both_keys & key.is_duplicated().over("dt"), "response_id+question_id:duplicate"),
        _rule(pl.col("site_id").is_null(), "site_id:missing"),
        *_presence("submitted_at", _ts("submitted_at"), "not_a_timestamp"),
        _rule(numeric & pl.col("answer").is_null(), "answer:missing"),
        _rule(numeric & pl.col("answer").is_not_null() & a.is_null(), "answer:not_a_number"),
        _rule(
            numeric & ((a < pl.col("scale_min")) | (a > pl.col("scale_max")) | (a != a.round())), "answer:out_of_scale"
        ),
        _rule(text & pl.col("answer").is_not_null(), "answer:not_null_for_text"),
        _rule(text & pl.col("answer_text").is_null(), "answer_text:missing"),
    ]


def complaint_reasons(df: pl.DataFrame) -> list[pl.Expr]:
    opened = _ts("opened_at")
    out = [_rule(pl.col(c).is_null(), f"{c}:missing") for c in ("complaint_id", "customer_id", "site_id")]
    out += _presence("opened_at", opened, "not_a_timestamp")
    for c in ("first_response_at", "closed_at"):
        out.append(_rule(pl.col(c).is_not_null() & _ts(c).is_null(), f"{c}:not_a_timestamp"))
    out += _presence("updated_at", _ts("updated_at"), "not_a_timestamp")
    for c in ("first_response_at", "closed_at", "updated_at"):
        out.append(_rule(_ts(c) < opened, f"{c}:before_opened_at"))
    status_ok = pl.col("status").is_in(["open", "in_progress", "resolved", "rejected", "closed"])
    res = pl.col("resolved")
    sev = _num("severity", pl.Int64)
    comp = _num("compensation")
    return out + [
        _rule(pl.col("status").is_null(), "status:missing"),
        _rule(pl.col("status").is_not_null() & ~status_ok, "status:not_allowed"),
        _rule(res.is_null(), "resolved:missing"),
        _rule(res.is_not_null() & ~res.is_in(["true", "false"]), "resolved:not_a_boolean"),
        _rule((res == "true") & pl.col("closed_at").is_null(), "resolved:without_closed_at"),
        _rule(~pl.col("channel").is_in(["phone", "email", "web", "store", "social"]), "channel:not_allowed"),
        *_presence("severity", sev, "not_an_integer"),
        _rule((sev < 1) | (sev > 4), "severity:out_of_range"),
        *_presence("compensation", comp, "not_a_number"),
        _rule(comp < 0, "compensation:negative"),
    ]


def quarantine(frame: pl.DataFrame, source: str, catalog: pl.DataFrame, now) -> pl.DataFrame:
    """source_file, record_no, reasons of every record failing at least one rule."""
    if source == "surveys":
        frame = frame.join(
            catalog.select("question_id", "scale_min", "scale_max", "is_text"), on="question_id", how="left"
        )
        rules = survey_reasons(frame, catalog)
    elif source == "sales":
        rules = sales_reasons(frame, now)
    else:
        rules = complaint_reasons(frame)
    reasons = frame.select("source_file", "record_no", pl.concat_list(rules).list.drop_nulls().alias("r"))
    return (
        reasons.explode("r")
        .drop_nulls("r")
        .group_by("source_file", "record_no")
        .agg(pl.col("r").unique().sort().str.join("; ").alias("reasons"))
        .with_columns(pl.lit(source).alias("source"))
        .select("source", "source_file", "record_no", "reasons")
        .sort("source_file", "record_no")
    )
