"""Encodings: UTF-8 whenever the bytes are valid UTF-8, GB18030 only when most records are
not; a record undecodable in its file's encoding is rejected on its own (encoding:invalid)."""

from __future__ import annotations

import pytest

from csi.ingest.read import UnreadableFile
from tests.ingest.conftest import DROP, SALES_HEADER, read, sale

PATH = f"sales/{DROP}/a.csv"


def test_utf8_accents_without_chinese_stay_utf8(tmp_path, put):
    # the old "no CJK -> try GB18030" guess read this as 'Cr猫me br没l茅e'
    put(PATH, (SALES_HEADER + sale("O1", "Crème brûlée") + sale("O2", "Café")).encode("utf-8"))
    got = read(tmp_path, PATH)
    assert got.encoding == "utf-8"
    assert got.frame["product_category"].to_list() == ["Crème brûlée", "Café"]


def test_utf8_with_bom_and_accents(tmp_path, put):
    put(PATH, b"\xef\xbb\xbf" + (SALES_HEADER + sale("O1", "Crème brûlée")).encode("utf-8"))
    got = read(tmp_path, PATH)
    assert (got.encoding, got.frame.columns[0]) == ("utf-8-sig", "order_id")
    assert got.frame["product_category"].to_list() == ["Crème brûlée"]


def test_gb18030_file_with_a_line_that_is_valid_utf8_by_accident(tmp_path, put):
    # 食品 in GB18030 is CA B3 C6 B7, valid UTF-8 ('ʳƷ'); 饮料 and 服装 are not: 2 lines to 1
    put(PATH, (SALES_HEADER + sale("O1", "食品") + sale("O2", "饮料") + sale("O3", "服装")).encode("gb18030"))
    got = read(tmp_path, PATH)
    assert got.encoding == "gb18030"
    assert got.frame["product_category"].to_list() == ["食品", "饮料", "服装"]
    assert got.rejected.height == 0


def test_one_gb18030_record_in_a_utf8_file_is_rejected_alone(tmp_path, put):
    data = (SALES_HEADER + sale("O1", "Crème brûlée")).encode() + sale("O2", "蛋糕").encode("gb18030") \
        + sale("O3", "Café").encode()
    put(PATH, data)
    got = read(tmp_path, PATH)
    assert got.encoding == "utf-8"
    assert got.frame["product_category"].to_list() == ["Crème brûlée", "Café"]
    assert got.frame["record_no"].to_list() == [1, 3]
    assert got.rejected.select("record_no", "reasons", "raw_record").rows() == [
        (2, "encoding:invalid",
         r"O2,1,sale,C1,S1,store,2026-01-05 10:00:00,\xb5\xb0\xb8\xe2,2,10.00,0.1,18.00,9.00,CNY"),
    ]
    assert got.rejected["source_file"].to_list() == [PATH]


def test_record_invalid_in_both_encodings_is_rejected_in_a_utf8_file(tmp_path, put):
    data = (SALES_HEADER + sale("O1", "Café")).encode() + sale("O2", "x").encode().replace(b",x,", b",\xff\xfe,")
    put(PATH, data)
    got = read(tmp_path, PATH)
    assert got.frame["order_id"].to_list() == ["O1"]
    [(record_no, reasons, raw)] = got.rejected.select("record_no", "reasons", "raw_record").rows()
    assert (record_no, reasons) == (2, "encoding:invalid")
    assert r",\xff\xfe," in raw


def test_record_invalid_in_both_encodings_is_rejected_in_a_gb18030_file(tmp_path, put):
    data = (SALES_HEADER + sale("O1", "饮料")).encode("gb18030") + sale("O2", "x").encode().replace(b",x,", b",\xff,") \
        + sale("O3", "服装").encode("gb18030")
    put(PATH, data)
    got = read(tmp_path, PATH)
    assert got.encoding == "gb18030"
    assert got.frame["product_category"].to_list() == ["饮料", "服装"]
    assert got.rejected.select("record_no", "reasons").rows() == [(2, "encoding:invalid")]
    assert r",\xff," in got.rejected["raw_record"][0]


def test_jsonl_record_in_another_encoding_is_rejected_alone(tmp_path, put):
    path = f"complaints/{DROP}/a.jsonl"
    put(path, '{"complaint_id": "K1", "description": "Café"}\n'.encode()
        + '{"complaint_id": "K2", "description": "很好"}\n'.encode("gb18030")
        + b'{"complaint_id": "K3", "description": "ok"}\n')
    got = read(tmp_path, path)
    assert got.frame.select("complaint_id", "description", "record_no").rows() == [
        ("K1", "Café", 1), ("K3", "ok", 3)]
    assert got.rejected.select("record_no", "reasons", "raw_record").rows() == [
        (2, "encoding:invalid", r'{"complaint_id": "K2", "description": "\xba\xdc\xba\xc3"}')]


def test_undecodable_header_makes_the_file_unreadable(tmp_path, put):
    put(PATH, b"order_id,\xff\n" + sale("O1").encode())
    with pytest.raises(UnreadableFile, match=r"the header is not valid text: order_id,\?"):
        read(tmp_path, PATH)


def test_gb18030_text_that_is_valid_utf8_cannot_be_told_apart(tmp_path, put):
    # the documented limit: a file that is valid UTF-8 is UTF-8, here 食品's GB18030 bytes
    put(PATH, (SALES_HEADER + sale("O1", "Café")).encode() + sale("O2", "食品").encode("gb18030"))
    got = read(tmp_path, PATH)
    assert got.frame["product_category"].to_list() == ["Café", "\u02b3\u01b7"]
