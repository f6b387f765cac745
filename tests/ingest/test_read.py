"""Reading landing files: encodings, formats, wide surveys, lineage, unreadable files."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.ingest.discover import LandingError, discover, fingerprint
from csi.ingest.read import UnreadableFile, read_landing_file
from tests.conftest import write_csv

D = date(2026, 1, 5)
SALES_HEADER = ("order_id,line_no,order_type,customer_id,site_id,channel,ordered_at,product_category,"
                "quantity,unit_price,discount,revenue,cost,currency\n")
LINE = "O1,1,sale,C1,S1,store,2026-01-05 10:00:00,食品,2,10.00,0.1,18.00,9.00,CNY\n"


def _one(landing, name):
    [f] = [f for f in discover(landing, D) if f.rel_path.endswith(name)]
    return f


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_encodings_read_the_same_text(tmp_path, encoding):
    write_csv(tmp_path / "sales/dt=2026-01-05/a.csv", SALES_HEADER + LINE, encoding)
    frame = read_landing_file(_one(tmp_path, "a.csv"), D, set())
    assert frame["product_category"].to_list() == ["食品"]
    assert frame["order_id"].to_list() == ["O1"]  # the BOM is not part of the first column name
    assert frame["unit_price"].to_list() == ["10.00"]  # text exactly as delivered


def test_lineage_columns(tmp_path):
    write_csv(tmp_path / "sales/dt=2026-01-05/a.csv", SALES_HEADER + LINE + LINE.replace("O1,1", "O1,2"))
    frame = read_landing_file(_one(tmp_path, "a.csv"), D, set())
    assert frame["record_no"].to_list() == [1, 2]
    assert frame["source_file"].to_list() == ["sales/dt=2026-01-05/a.csv"] * 2
    assert frame["drop_date"].to_list() == [D, D]
    raw = json.loads(frame["raw_record"][1])
    assert list(raw)[:3] == ["order_id", "line_no", "order_type"]
    assert raw["line_no"] == "2" and raw["product_category"] == "食品"


def test_parquet_and_jsonl_become_text(tmp_path):
    folder = tmp_path / "complaints/dt=2026-01-05"
    folder.mkdir(parents=True)
    pl.DataFrame({"complaint_id": ["K1"], "severity": [2], "compensation": [5.5]}).write_parquet(
        folder / "a.parquet")
    (folder / "b.jsonl").write_text('{"complaint_id": "K2", "severity": "x", "compensation": 0}\n'
                                    '{"complaint_id": "K3", "severity": 4}\n', encoding="utf-8")
    a = read_landing_file(_one(tmp_path, "a.parquet"), D, set())
    b = read_landing_file(_one(tmp_path, "b.jsonl"), D, set())
    assert a.select("complaint_id", "severity", "compensation").row(0) == ("K1", "2", "5.5")
    assert b["severity"].to_list() == ["x", "4"]
    assert b["compensation"].to_list() == ["0", None]


def test_wide_survey_is_melted(tmp_path):
    write_csv(tmp_path / "surveys/dt=2026-01-05/wide.csv",
              "response_id,customer_id,site_id,submitted_at,channel,nps,csat,comment\n"
              "R1,C1,S1,2026-01-05 09:00:00,web,9,,很好\n"
              "R2,,S2,2026-01-05 10:00:00,kiosk,3,2,\n")
    frame = read_landing_file(_one(tmp_path, "wide.csv"), D, {"comment"})
    got = frame.select("response_id", "question_id", "answer", "answer_text", "record_no")
    expected = pl.DataFrame({
        "response_id": ["R1", "R1", "R2", "R2"],
        "question_id": ["nps", "comment", "nps", "csat"],
        "answer": ["9", None, "3", "2"],
        "answer_text": [None, "很好", None, None],
        "record_no": [1, 1, 2, 2],
    })
    assert_frame_equal(got, expected)


def test_corrupt_parquet_is_unreadable(tmp_path):
    folder = tmp_path / "sales/dt=2026-01-05"
    folder.mkdir(parents=True)
    (folder / "bad.parquet").write_bytes(b"PAR1 this is not a parquet file")
    with pytest.raises(UnreadableFile, match="cannot read parquet"):
        read_landing_file(_one(tmp_path, "bad.parquet"), D, set())


def test_missing_landing_dir_and_missing_drop(tmp_path):
    with pytest.raises(LandingError, match="does not exist"):
        discover(tmp_path / "nope", D)
    with pytest.raises(LandingError, match="no drop for 2026-01-05"):
        discover(tmp_path, D)


def test_fingerprint_changes_with_content(tmp_path):
    path = write_csv(tmp_path / "sales/dt=2026-01-05/a.csv", SALES_HEADER + LINE)
    before = fingerprint(discover(tmp_path, D))
    assert fingerprint(discover(tmp_path, D)) == before
    path.write_text(SALES_HEADER + LINE.replace("18.00", "18.01"), encoding="utf-8")
    assert fingerprint(discover(tmp_path, D)) != before
