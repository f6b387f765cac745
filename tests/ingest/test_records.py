"""Record-level parse errors: the bad record is rejected with its 1-based number (the CSV
header and blank lines not counted) and its raw text; the rest of the file loads."""

from __future__ import annotations

import pytest

from tests.ingest.conftest import DROP, read

CSV = f"sales/{DROP}/a.csv"
JSONL = f"sales/{DROP}/a.jsonl"


def _csv(tmp_path, put, text: str):
    put(CSV, text.encode())
    got = read(tmp_path, CSV)
    return got.frame.select("a", "b", "c", "record_no").rows(), got.rejected.select(
        "record_no", "reasons", "raw_record").rows()


@pytest.mark.parametrize(("bad", "fields"), [("4,5,6,7", 4), ("4,5", 2)])
def test_ragged_row_is_rejected_alone(tmp_path, put, bad, fields):
    rows, rejected = _csv(tmp_path, put, f"a,b,c\n1,2,3\n{bad}\n8,9,10\n")
    assert rows == [("1", "2", "3", 1), ("8", "9", "10", 3)]
    assert rejected == [(2, f"record:wrong_field_count ({fields} fields, the header has 3)", bad)]


def test_crlf_lines_and_blank_lines(tmp_path, put):
    rows, rejected = _csv(tmp_path, put, "a,b,c\r\n1,2,3\r\n\r\n4,5\r\n6,7,8\r\n\r\n")
    assert rows == [("1", "2", "3", 1), ("6", "7", "8", 3)]
    assert rejected == [(2, "record:wrong_field_count (2 fields, the header has 3)", "4,5")]


def test_quoted_field_may_span_lines(tmp_path, put):
    rows, rejected = _csv(tmp_path, put, 'a,b,c\n1,"x\ny, z",3\n4,5\n6,7,8\n')
    assert rows == [("1", "x\ny, z", "3", 1), ("6", "7", "8", 3)]
    assert rejected == [(2, "record:wrong_field_count (2 fields, the header has 3)", "4,5")]


def test_unterminated_quote_rejects_its_line_only(tmp_path, put):
    rows, rejected = _csv(tmp_path, put, 'a,b,c\n1,2,3\n4,"5,6\n7,8,9\n10,11,12\n')
    assert rows == [("1", "2", "3", 1), ("7", "8", "9", 3), ("10", "11", "12", 4)]
    assert rejected == [(2, "record:unterminated_quote", '4,"5,6')]


def test_unterminated_quote_in_the_last_field(tmp_path, put):
    rows, rejected = _csv(tmp_path, put, 'a,b,c\n4,5,"6\n7,8,9\n')
    assert rows == [("7", "8", "9", 2)]
    assert rejected == [(1, "record:unterminated_quote", '4,5,"6')]


def test_stray_quote_closed_by_a_later_line_does_not_swallow_it(tmp_path, put):
    rows, rejected = _csv(tmp_path, put, 'a,b,c\n1,2,3\n4,"5,6\n7,8,9\n"x",y,z\n')
    assert rows == [("1", "2", "3", 1), ("7", "8", "9", 3), ("x", "y", "z", 4)]
    assert rejected == [(2, "record:unterminated_quote", '4,"5,6')]


def test_text_after_a_closing_quote(tmp_path, put):
    rows, rejected = _csv(tmp_path, put, 'a,b,c\n1,"ab"c,3\n4,5,6\n')
    assert rows == [("4", "5", "6", 2)]
    assert rejected == [(1, "record:malformed_csv (',' expected after '\"')", '1,"ab"c,3')]


def test_broken_jsonl_line_is_rejected_alone(tmp_path, put):
    put(JSONL, b'{"a": "1"}\n{"a": \n\n[1, 2]\n{"a": "4", "b": 5}\n')
    got = read(tmp_path, JSONL)
    assert got.frame.select("a", "b", "record_no").rows() == [("1", None, 1), ("4", "5", 4)]
    assert got.rejected.select("record_no", "reasons", "raw_record").rows() == [
        (2, "record:malformed_json (Expecting value: line 1 column 7 (char 6))", '{"a": '),
        (3, "record:not_a_json_object (list)", "[1, 2]"),
    ]
