"""Staging accounts for every entry of a drop: files.parquet, quarantine.parquet and the
StageSummary agree (file-level quarantine counts one row)."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from csi.ingest.discover import discover
from csi.pipeline.stage import stage_drop
from csi.settings import load_settings
from tests.ingest.conftest import DROP, SALES_HEADER, sale

D = date(2026, 1, 5)
RUN_AT = datetime(2026, 1, 6, 3, 0)
SALES = f"sales/{DROP}"
COMPLAINT = {
    "complaint_id": "K1", "customer_id": "C1", "site_id": "S1", "opened_at": "2026-01-04 08:00:00",
    "updated_at": "2026-01-04 09:00:00", "status": "open", "resolved": "false", "severity": "2",
    "compensation": "0",
}  # fmt: skip


def _write(landing: Path, rel: str, data: bytes) -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def drop(env):
    landing = env["landing"]
    ragged = "O3,1,sale,C1,S1,store,2026-01-05 10:00:00,x,2,10.00,0.1,18.00,9.00\n"  # no currency
    _write(landing, f"{SALES}/good.csv", (SALES_HEADER + sale("O1", "Crème brûlée")).encode()
           + sale("O2", "蛋糕").encode("gb18030") + (ragged + sale("O4").replace(",S1,", ",ALL,")).encode())
    _write(landing, f"{SALES}/dupcol.csv", (SALES_HEADER.replace("cost", "revenue") + sale("O6")).encode())
    _write(landing, f"{SALES}/nocost.csv", SALES_HEADER.replace(",cost", "").encode())
    _write(landing, f"{SALES}/bad.parquet", b"PAR1 not parquet")
    twin = (SALES_HEADER + sale("O5")).encode()
    _write(landing, f"{SALES}/notes.txt", twin)
    _write(landing, f"{SALES}/twin.csv", twin)
    _write(landing, f"{SALES}/copy.csv", b"whatever")
    os.symlink("good.csv", landing / f"{SALES}/link.csv")
    lines = [json.dumps(COMPLAINT), '{"complaint_id": "K2", ', json.dumps({**COMPLAINT, "complaint_id": "K3",
                                                                           "site_id": " all"})]
    _write(landing, f"complaints/{DROP}/crm.jsonl", ("\n".join(lines) + "\n").encode())
    return env


def test_every_entry_is_accounted_for(drop):
    # copy.csv is a re-delivery; twin.csv's content was first seen in notes.txt, which is not read
    duplicates = {f"{SALES}/copy.csv": "sales/dt=2026-01-04/x.csv", f"{SALES}/twin.csv": f"{SALES}/notes.txt"}
    summary = stage_drop(load_settings(), D, RUN_AT, duplicates)
    out = Path(summary.stage_dir)
    files = pl.read_parquet(out / "files.parquet")
    assert files.select("file_path", "status", "rows", "duplicate_of").rows() == [
        (f"{SALES}/bad.parquet", "unreadable", 0, None),
        (f"{SALES}/copy.csv", "duplicate", 0, "sales/dt=2026-01-04/x.csv"),
        (f"{SALES}/dupcol.csv", "quarantined", 0, None),
        (f"{SALES}/good.csv", "ingested", 4, None),
        (f"{SALES}/link.csv", "refused", 0, None),
        (f"{SALES}/nocost.csv", "quarantined", 0, None),
        (f"{SALES}/notes.txt", "unsupported", 0, None),
        (f"{SALES}/twin.csv", "ingested", 1, None),
        (f"complaints/{DROP}/crm.jsonl", "ingested", 3, None),
    ]
    link = files.filter(pl.col("status") != "ingested").select("file_path", "file_sha256", "file_bytes")
    assert link.row(3) == (f"{SALES}/link.csv", "", 0)
    assert link.row(5)[2] == len(SALES_HEADER + sale("O5"))  # notes.txt: hashed and sized, never parsed

    q = pl.read_parquet(out / "quarantine.parquet").sort("source", "source_file", "record_no", nulls_last=True)
    got = [(s, f.rsplit("/", 1)[1], n, r if not r.startswith("file:unreadable") else r[:36])
           for s, f, n, r in q.select("source", "source_file", "record_no", "reasons").iter_rows()]
    assert got == [
        ("complaints", "crm.jsonl", 2, "record:malformed_json (Expecting property name enclosed in double quotes: line 1 column 24 (char 23))"),
        ("complaints", "crm.jsonl", 3, "site_id:reserved"),
        ("sales", "bad.parquet", None, "file:unreadable (cannot read parquet"),
        ("sales", "dupcol.csv", None, "file:duplicate_column (revenue)"),
        ("sales", "good.csv", 2, "encoding:invalid"),
        ("sales", "good.csv", 3, "record:wrong_field_count (13 fields, the header has 14)"),
        ("sales", "good.csv", 4, "site_id:reserved"),
        ("sales", "nocost.csv", None, "file:missing_column (cost)"),
    ]
    assert pl.read_parquet(out / "sales.parquet").select("order_id", "product_category").rows() == [
        ("O1", "Crème brûlée"), ("O5", "grocery")]

    # a file quarantined whole counts one row read and one quarantined: read = valid + quarantined
    assert summary.rows_read == {"sales": 8, "surveys": 0, "complaints": 3}
    assert summary.rows_valid == {"sales": 2, "surveys": 0, "complaints": 1}
    assert summary.rows_quarantined == {"sales": 6, "surveys": 0, "complaints": 2}
    assert summary.files == 9 and summary.files_unreadable == 1
    assert summary.files_by_status == {"duplicate": 1, "ingested": 3, "quarantined": 2, "refused": 1,
                                       "unreadable": 1, "unsupported": 1}
    problems = [(p["path"].rsplit("/", 1)[1], p["status"], p["why"][:36]) for p in summary.problem_files]
    assert problems == [
        ("bad.parquet", "unreadable", "file:unreadable (cannot read parquet"),
        ("dupcol.csv", "quarantined", "file:duplicate_column (revenue)"),
        ("link.csv", "refused", "a symbolic link to good.csv: links a"),
        ("nocost.csv", "quarantined", "file:missing_column (cost)"),
        ("notes.txt", "unsupported", "unsupported file type .txt (supporte"),
    ]
    assert ("encoding:invalid", 1) in summary.top_reasons
    assert dict(summary.top_reasons)["file:unreadable"] == 1  # the detail is not part of the code


def test_staging_uses_the_files_it_is_given(drop):
    files = [f for f in discover(drop["landing"], D) if not f.rel_path.endswith("good.csv")]
    summary = stage_drop(load_settings(), D, RUN_AT, {}, files=files)
    paths = pl.read_parquet(Path(summary.stage_dir) / "files.parquet")["file_path"].to_list()
    assert f"{SALES}/good.csv" not in paths and len(paths) == summary.files == 8


def test_jsonl_without_records_has_no_columns_to_miss(env, caplog):
    landing = env["landing"]
    _write(landing, f"complaints/{DROP}/empty.jsonl", b"\n")
    _write(landing, f"complaints/{DROP}/broken.jsonl", b"{\n[]\n")
    _write(landing, f"surveys/{DROP}/wide.csv", b"response_id,customer_id,submitted_at,nps\nR1,C1,2026-01-05 09:00:00,9\n")
    _write(landing, f"surveys/{DROP}/wide_ok.csv",
           b"response_id,customer_id,site_id,submitted_at,nps\nR2,C1,S1,2026-01-05 09:00:00,9\n")
    with caplog.at_level("WARNING", logger="csi.pipeline.stage"):
        summary = stage_drop(load_settings(), D, RUN_AT, {})
    files = pl.read_parquet(Path(summary.stage_dir) / "files.parquet")
    assert files.select("file_path", "status", "rows").rows() == [
        (f"surveys/{DROP}/wide.csv", "quarantined", 0),  # a wide export needs site_id too
        (f"surveys/{DROP}/wide_ok.csv", "ingested", 1),
        (f"complaints/{DROP}/broken.jsonl", "ingested", 2),
        (f"complaints/{DROP}/empty.jsonl", "ingested", 0),
    ]
    q = pl.read_parquet(Path(summary.stage_dir) / "quarantine.parquet")
    assert q.select("source_file", "record_no", "reasons").sort("source_file", "record_no").rows() == [
        (f"complaints/{DROP}/broken.jsonl", 1,
         "record:malformed_json (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"),
        (f"complaints/{DROP}/broken.jsonl", 2, "record:not_a_json_object (list)"),
        (f"surveys/{DROP}/wide.csv", None, "file:missing_column (site_id)"),
    ]
    assert summary.rows_read == {"sales": 0, "surveys": 2, "complaints": 2}
    assert summary.rows_quarantined == {"sales": 0, "surveys": 1, "complaints": 2}
    assert [r.getMessage() for r in caplog.records] == [
        f"surveys/{DROP}/wide.csv: quarantined, file:missing_column (site_id)"]
