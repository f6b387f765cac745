"""Reading landing files: formats, wide surveys, lineage, unreadable files."""

from __future__ import annotations

import gzip
import json

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.ingest.discover import LandingError, discover, fingerprint
from csi.ingest.read import UnreadableFile
from tests.ingest.conftest import DROP, SALES_HEADER, D, read, sale

LINE = "O1,1,sale,C1,S1,store,2026-01-05 10:00:00,饮料,2,10.00,0.1,18.00,9.00,CNY\n"


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_encodings_read_the_same_text(tmp_path, put, encoding):
    put(f"sales/{DROP}/a.csv", (SALES_HEADER + LINE).encode(encoding))
    got = read(tmp_path, f"sales/{DROP}/a.csv")
    assert got.frame["product_category"].to_list() == ["饮料"]
    assert got.frame["order_id"].to_list() == ["O1"]  # the BOM is not part of the first column name
    assert got.frame["unit_price"].to_list() == ["10.00"]  # text exactly as delivered
    assert got.encoding == encoding
    assert got.rejected.height == 0


def test_lineage_columns(tmp_path, put):
    put(f"sales/{DROP}/a.csv", (SALES_HEADER + LINE + LINE.replace("O1,1", "O1,2")).encode())
    frame = read(tmp_path, f"sales/{DROP}/a.csv").frame
    assert frame["record_no"].to_list() == [1, 2]
    assert frame["source_file"].to_list() == ["sales/dt=2026-01-05/a.csv"] * 2
    assert frame["drop_date"].to_list() == [D, D]
    raw = json.loads(frame["raw_record"][1])
    assert list(raw)[:3] == ["order_id", "line_no", "order_type"]
    assert raw["line_no"] == "2" and raw["product_category"] == "饮料"


def test_empty_cells_are_null_quoted_or_not(tmp_path, put):
    put(f"sales/{DROP}/a.csv", b'a,b,c\n1,,""\n')
    frame = read(tmp_path, f"sales/{DROP}/a.csv").frame
    assert frame.select("a", "b", "c").row(0) == ("1", None, None)


def test_parquet_and_jsonl_become_text(tmp_path, put):
    folder = tmp_path / f"complaints/{DROP}"
    folder.mkdir(parents=True)
    pl.DataFrame({"complaint_id": ["K1"], "severity": [2], "compensation": [5.5]}).write_parquet(
        folder / "a.parquet")
    put(f"complaints/{DROP}/b.jsonl", b'{"complaint_id": "K2", "severity": "x", "compensation": 0}\n'
                                      b'{"complaint_id": "K3", "severity": 4}\n')
    a = read(tmp_path, f"complaints/{DROP}/a.parquet").frame
    b = read(tmp_path, f"complaints/{DROP}/b.jsonl").frame
    assert a.select("complaint_id", "severity", "compensation").row(0) == ("K1", "2", "5.5")
    assert b["severity"].to_list() == ["x", "4"]
    assert b["compensation"].to_list() == ["0", None]
    assert b["record_no"].to_list() == [1, 2]


def test_gzip_csv_and_jsonl_are_read_like_the_plain_files(tmp_path, put):
    put(f"sales/{DROP}/a.csv.gz", gzip.compress((SALES_HEADER + LINE).encode("gb18030")))
    put(f"complaints/{DROP}/b.JSONL.GZ", gzip.compress(b'{"complaint_id": "K2"}\n{"complaint_id": "K3"}\n'))
    a = read(tmp_path, f"sales/{DROP}/a.csv.gz")
    assert (a.frame["product_category"].to_list(), a.encoding) == (["饮料"], "gb18030")
    b = read(tmp_path, f"complaints/{DROP}/b.JSONL.GZ")
    assert b.frame["complaint_id"].to_list() == ["K2", "K3"]


def test_corrupt_gzip_is_unreadable(tmp_path, put):
    put(f"sales/{DROP}/a.csv.gz", b"not gzip at all")
    with pytest.raises(UnreadableFile, match="not a valid gzip file"):
        read(tmp_path, f"sales/{DROP}/a.csv.gz")


def test_wide_survey_is_melted(tmp_path, put):
    put(f"surveys/{DROP}/wide.csv",
        "response_id,customer_id,site_id,submitted_at,channel,nps,csat,comment\n"
        "R1,C1,S1,2026-01-05 09:00:00,web,9,,很好\n"
        "R2,,S2,2026-01-05 10:00:00,kiosk,3,2,\n".encode())
    frame = read(tmp_path, f"surveys/{DROP}/wide.csv", {"comment"}).frame
    got = frame.select("response_id", "question_id", "answer", "answer_text", "record_no")
    expected = pl.DataFrame({
        "response_id": ["R1", "R1", "R2", "R2"],
        "question_id": ["nps", "comment", "nps", "csat"],
        "answer": ["9", None, "3", "2"],
        "answer_text": [None, "很好", None, None],
        "record_no": [1, 1, 2, 2],
    })
    assert_frame_equal(got, expected)


def test_corrupt_parquet_is_unreadable(tmp_path, put):
    put(f"sales/{DROP}/bad.parquet", b"PAR1 this is not a parquet file")
    with pytest.raises(UnreadableFile, match="cannot read parquet"):
        read(tmp_path, f"sales/{DROP}/bad.parquet")


def test_csv_without_header_is_unreadable(tmp_path, put):
    put(f"sales/{DROP}/empty.csv", b"\n\n")
    with pytest.raises(UnreadableFile, match="empty file: no header"):
        read(tmp_path, f"sales/{DROP}/empty.csv")


def test_missing_landing_dir_and_missing_drop(tmp_path):
    with pytest.raises(LandingError, match="does not exist"):
        discover(tmp_path / "nope", D)
    with pytest.raises(LandingError, match="no drop for 2026-01-05"):
        discover(tmp_path, D)


def test_fingerprint_changes_with_content(tmp_path, put):
    path = put(f"sales/{DROP}/a.csv", (SALES_HEADER + sale("O1")).encode())
    before = fingerprint(discover(tmp_path, D))
    assert fingerprint(discover(tmp_path, D)) == before
    path.write_text(SALES_HEADER + sale("O1").replace("18.00", "18.01"), encoding="utf-8")
    assert fingerprint(discover(tmp_path, D)) != before
