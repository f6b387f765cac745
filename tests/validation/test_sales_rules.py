"""Sales landing rules (CONTRACT.md sales): one bad record per reason code, and more."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.validation.validate import QUARANTINE_SCHEMA, validate
from tests.validation import cases
from tests.validation.helpers import CATALOG, DROP, landing, reasons_by_record, run


@pytest.mark.parametrize(("overrides", "reasons"), cases.SALES_CASES)
def test_one_fault_one_reason(overrides, reasons):
    result = run("sales", [{**cases.SALES_GOOD, **overrides}, {**cases.SALES_GOOD, "line_no": "2"}])
    assert reasons_by_record(result) == {1: reasons}
    assert result.quarantined["reason_count"].to_list() == [1]
    assert result.valid["line_no"].to_list() == [2]


@pytest.mark.parametrize(("overrides", "reasons"), cases.SALES_RETURN_CASES)
def test_return_rules(overrides, reasons):
    result = run("sales", [{**cases.SALES_RETURN, **overrides}, {**cases.SALES_RETURN, "line_no": "2"}])
    assert reasons_by_record(result) == {1: reasons}


def test_valid_record_is_typed_exactly():
    result = run("sales", [cases.SALES_GOOD, {**cases.SALES_RETURN, "line_no": "2", "ordered_at": "2026-01-05T10:30:00.250000"}])
    expected = pl.DataFrame(
        {
            "order_id": ["O1", "O1"],
            "line_no": [1, 2],
            "order_type": ["sale", "return"],
            "customer_id": ["C1", "C1"],
            "site_id": ["S1", "S1"],
            "channel": ["store", "store"],
            "ordered_at": [datetime(2026, 1, 5, 10, 30), datetime(2026, 1, 5, 10, 30, 0, 250000)],
            "product_category": ["grocery", "grocery"],
            "quantity": [2, 2],
            "unit_price": [10.5, 10.5],
            "discount": [0.1, 0.1],
            "revenue": [18.9, -18.9],
            "cost": [12.0, -12.0],
            "currency": ["CNY", "CNY"],
            "source_file": ["x/dt=2026-01-05/f.csv"] * 2,
            "record_no": [1, 2],
            "drop_date": [DROP, DROP],
        },  # fmt: skip
        schema_overrides={"ordered_at": pl.Datetime("us"), "line_no": pl.Int64, "quantity": pl.Int64},
    )
    assert_frame_equal(result.valid, expected)
    assert result.quarantined.height == 0
    assert result.quarantined.schema == pl.Schema(QUARANTINE_SCHEMA)


def test_several_faults_all_reported():
    bad = {**cases.SALES_GOOD, "line_no": "x", "quantity": "3.5", "currency": "XX", "customer_id": "", "cost": "-1"}
    result = run("sales", [bad])
    assert reasons_by_record(result) == {
        1: "cost:wrong_sign; currency:not_iso4217; customer_id:missing; line_no:not_an_integer; quantity:not_an_integer"
    }
    assert result.quarantined["reason_count"].to_list() == [5]
    row = result.quarantined.row(0, named=True)
    assert (row["source"], row["source_file"], row["drop_date"]) == ("sales", "x/dt=2026-01-05/f.csv", DROP)
    assert '"quantity": "3.5"' in row["raw_record"]


def test_unparseable_inputs_do_not_cascade_into_cross_field_rules():
    result = run("sales", [{**cases.SALES_GOOD, "quantity": "two", "revenue": "999"}, {**cases.SALES_GOOD, "line_no": "2", "order_type": "x"}])
    assert reasons_by_record(result) == {1: "quantity:not_an_integer", 2: "order_type:not_sale_or_return"}


def test_duplicate_key_quarantines_every_row_and_keeps_the_rest_of_the_order():
    rows = [cases.SALES_GOOD, {**cases.SALES_GOOD, "line_no": "2"}, {**cases.SALES_GOOD, "cost": "11"}, {**cases.SALES_GOOD, "line_no": "1.0"}]
    result = run("sales", rows)
    assert reasons_by_record(result) == {
        1: "order_id+line_no:duplicate",
        3: "order_id+line_no:duplicate",
        4: "order_id+line_no:duplicate",
    }
    assert result.valid["record_no"].to_list() == [2]


def test_key_with_null_part_is_not_a_duplicate():
    result = run("sales", [{**cases.SALES_GOOD, "line_no": ""}, {**cases.SALES_GOOD, "line_no": None}, {**cases.SALES_GOOD, "line_no": "x"}])
    assert reasons_by_record(result) == {1: "line_no:missing", 2: "line_no:missing", 3: "line_no:not_an_integer"}


@pytest.mark.parametrize(("revenue", "ok"), [("18.91", True), ("18.89", True), ("18.92", False), ("18.88", False)])
def test_revenue_tolerance_boundary(revenue, ok):
    result = run("sales", [{**cases.SALES_GOOD, "revenue": revenue}, {**cases.SALES_RETURN, "line_no": "2", "revenue": "-" + revenue}])
    expected = {} if ok else {1: "revenue:mismatch", 2: "revenue:mismatch"}
    assert reasons_by_record(result) == expected


def test_future_timestamp_is_relative_to_the_run_start():
    rows = [
        {**cases.SALES_GOOD, "ordered_at": "2026-01-06 02:00:00"},
        {**cases.SALES_GOOD, "line_no": "2", "ordered_at": "2027-01-01 00:00:00"},
    ]
    result = run("sales", rows)
    assert reasons_by_record(result) == {2: "ordered_at:in_future"}
    later = run("sales", rows, run_started_at=datetime(2027, 1, 1))
    assert later.quarantined.height == 0


def test_chinese_text_passes_untouched():
    row = {
        **cases.SALES_GOOD,
        "customer_id": "客户-001",
        "site_id": "上海徐汇店",
        "channel": "门店",
        "product_category": "生鲜 食品 ",
    }
    result = run("sales", [row])
    assert result.quarantined.height == 0
    got = result.valid.select("customer_id", "site_id", "channel", "product_category").row(0)
    assert got == ("客户-001", "上海徐汇店", "门店", "生鲜 食品 ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-05 10:30:00", datetime(2026, 1, 5, 10, 30)),
        ("2026-01-05T10:30:00", datetime(2026, 1, 5, 10, 30)),
        ("2026-01-05 10:30:00.5", datetime(2026, 1, 5, 10, 30, 0, 500000)),
        ("2026-01-05 10:30:00.123456", datetime(2026, 1, 5, 10, 30, 0, 123456)),
        (" 2026-01-05 10:30:00 ", datetime(2026, 1, 5, 10, 30)),
    ],
)
def test_timestamp_formats(text, expected):
    assert run("sales", [{**cases.SALES_GOOD, "ordered_at": text}]).valid["ordered_at"].to_list() == [expected]


def test_non_text_columns_are_read_as_their_text_form():
    frame = landing([cases.SALES_GOOD]).with_columns(
        pl.col("ordered_at").str.to_datetime().cast(pl.Datetime("ns")), pl.lit(2.0).alias("quantity")
    )
    result = validate("sales", frame, CATALOG, datetime(2026, 1, 6))
    assert result.valid.select("ordered_at", "quantity").row(0) == (datetime(2026, 1, 5, 10, 30), 2)


def test_missing_required_column_fails_every_row():
    rows = [{k: v for k, v in r.items() if k != "currency"} for r in (cases.SALES_GOOD, {**cases.SALES_GOOD, "line_no": "2", "cost": "-5"})]
    result = run("sales", rows)
    assert reasons_by_record(result) == {1: "currency:column_missing", 2: "cost:wrong_sign; currency:column_missing"}
    assert result.valid.height == 0


def test_missing_optional_column_is_null():
    rows = [{k: v for k, v in cases.SALES_GOOD.items() if k not in ("channel", "product_category")}]
    result = run("sales", rows)
    assert result.quarantined.height == 0
    assert result.valid.select("channel", "product_category").row(0) == (None, None)


def test_empty_landing_frame():
    result = run("sales", [cases.SALES_GOOD])
    empty = validate("sales", landing([cases.SALES_GOOD]).clear(), CATALOG, datetime(2026, 1, 6))
    assert empty.valid.schema == result.valid.schema and empty.valid.height == 0
    assert empty.quarantined.schema == pl.Schema(QUARANTINE_SCHEMA) and empty.quarantined.height == 0


def test_failure_paths():
    frame = landing([cases.SALES_GOOD])
    with pytest.raises(ValueError, match="unknown source"):
        validate("invoices", frame, CATALOG, datetime(2026, 1, 6))
    with pytest.raises(ValueError, match="naive"):
        validate("sales", frame, CATALOG, datetime.fromisoformat("2026-01-06T00:00:00+08:00"))
    with pytest.raises(ValueError, match="lineage"):
        validate("sales", frame.drop("raw_record"), CATALOG, datetime(2026, 1, 6))


def test_extra_columns_are_ignored():
    result = run("sales", [{**cases.SALES_GOOD, "note": "hello"}])
    assert "note" not in result.valid.columns and result.valid.height == 1
    assert result.valid["drop_date"].to_list() == [date(2026, 1, 5)]
