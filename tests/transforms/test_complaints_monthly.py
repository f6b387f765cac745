"""mart_complaints_monthly (METRICS.md section 6), numbers worked by hand."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.warehouse.frame_schema import validate_frame
from csi.warehouse.tables_marts_satisfaction import MART_COMPLAINTS_MONTHLY
from transforms.complaints_monthly import build_complaints_monthly

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)
SLA = {1: 4.0, 2: 24.0, 3: 72.0, 4: 168.0}
TS = pl.Datetime("us")
C_SCHEMA = {"complaint_id": pl.String, "customer_id": pl.String, "site_id": pl.String, "severity": pl.Int64,
            "opened_at": TS, "first_response_at": TS, "closed_at": TS}  # fmt: skip
S_SCHEMA = {"customer_id": pl.String, "site_id": pl.String, "order_type": pl.String, "ordered_at": TS}
R_SCHEMA = {"customer_id": pl.String, "site_id": pl.String, "submitted_at": TS}


def d(day: int, hour: int = 0, month: int = 1, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, 0, second)


COMPLAINTS = [
    # site A, January: resolution hours 1, 4, 5, 30; first response hours 1, 2, 3, 10
    ("k1", "c1", "A", 1, d(5, 8), d(5, 9), d(5, 9)),  # 1 h <= 4 h: met
    ("k2", "c2", "A", 1, d(6), d(6, 2), d(6, 4)),  # exactly 4 h = SLA: met
    ("k3", "c2", "A", 1, d(7), d(7, 3), d(7, 5)),  # 5 h > 4 h
    ("k4", "c3", "A", 2, d(8), d(8, 10), d(9, 6)),  # 30 h > 24 h
    # site B: the same customer c1, never closed
    ("k5", "c1", "B", 3, d(10), d(10, 10), None),
    # site C: month-end boundaries. METRICS.md 6: open = closed_at null or NOT BEFORE the next month's
    # first day, so a complaint closed exactly at Feb 1 00:00:00 is still open at January's end.
    ("k6", "c9", "C", 4, d(20), None, d(1, month=2)),  # closed at Feb 1 00:00:00: open at Jan end
    ("k7", "c9", "C", 4, d(21), None, datetime(2026, 1, 31, 23, 59, 59)),  # closed 1 s earlier: not open
    ("k8", "c9", "C", 4, d(1, month=2), None, None),  # opened Feb 1 00:00: not open at Jan end
]
SALES = [
    ("c1", "A", "sale", d(3)), ("c4", "A", "sale", d(4)), ("c6", "A", "sale", d(4)),
    ("c5", "A", "return", d(4)),  # a return is not activity
    ("c1", "B", "sale", d(3)),
]  # fmt: skip
RESPONSES = [("c2", "A", d(12)), (None, "A", d(12))]  # the anonymous response does not count


def build(complaints=COMPLAINTS, sales=SALES, responses=RESPONSES, **kw) -> pl.DataFrame:
    out = build_complaints_monthly(
        pl.LazyFrame(complaints, schema=C_SCHEMA, orient="row"),
        pl.LazyFrame(sales, schema=S_SCHEMA, orient="row"),
        pl.LazyFrame(responses, schema=R_SCHEMA, orient="row"),
        SLA,
        **kw,
    ).collect()
    validate_frame(MART_COMPLAINTS_MONTHLY, out)
    return out


def cell(out: pl.DataFrame, month: date, site: str, *cols: str) -> tuple:
    return out.filter((pl.col("month") == month) & (pl.col("site_id") == site)).select(cols).row(0)


def test_site_row_by_hand():
    got = build().filter((pl.col("month") == JAN) & (pl.col("site_id") == "A"))
    expected = pl.DataFrame(
        {
            "month": [JAN],
            "site_id": ["A"],
            "complainants": [3],
            "active_customers": [4],
            "complaint_rate_pct": [75.0],
            "closed_count": [4],
            "resolution_hours_median": [4.5],  # (4 + 5) / 2
            "resolution_hours_p90": [22.5],  # h = 2.7: 5 + 0.7 * (30 - 5)
            "first_response_count": [4],
            "first_response_hours_median": [2.5],  # (2 + 3) / 2
            "sla_met_count": [2],
            "sla_met_pct": [50.0],
            "open_at_month_end": [0],
            "estimated_silent_dissatisfied": [75],
        }  # fmt: skip
    )
    assert_frame_equal(got, expected)


def test_all_sites_row_counts_distinct_customers():
    out = build()
    # A has c1, c2, c3; B has c1; C has c9 -> pooled 4 distinct, not 3 + 1 + 1 = 5
    assert cell(out, JAN, "ALL", "complainants", "active_customers", "complaint_rate_pct") == (4, 4, 100.0)
    # closed in January with a first response: 1, 2, 3, 10 (A); k5 (B, answered after 10 h) is not
    # closed and k7 (C) has no first response -> median (2 + 3) / 2 over 4
    assert cell(out, JAN, "ALL", "first_response_count", "first_response_hours_median",
                "estimated_silent_dissatisfied") == (4, 2.5, 100)  # fmt: skip
    assert cell(out, JAN, "B", "first_response_count", "first_response_hours_median") == (0, None)


def test_open_at_month_end_boundaries():
    out = build()
    assert cell(out, JAN, "C", "open_at_month_end", "closed_count") == (1, 1)  # k6 open; k7 closed
    assert cell(out, FEB, "C", "open_at_month_end", "closed_count") == (1, 1)  # k8 open; k6 closed
    assert cell(out, FEB, "B", "complainants", "open_at_month_end") == (0, 1)  # a backlog-only row
    assert cell(out, JAN, "ALL", "open_at_month_end") == (2,)  # k5 + k6
    assert out["month"].max() == FEB  # months run to the last month with data


def test_zero_denominators_give_null():
    out = build()
    assert cell(out, JAN, "C", "active_customers", "complaint_rate_pct") == (0, None)
    assert cell(out, JAN, "B", "closed_count", "sla_met_pct", "resolution_hours_median") == (0, None, None)
    assert cell(out, FEB, "C", "sla_met_count", "sla_met_pct") == (0, 0.0)  # k6: 288 h > 168 h


def test_first_response_counts_in_the_closing_month_and_months_filter():
    # METRICS 6: over the complaints closed in the month that have a first response.
    mar = date(2026, 3, 1)
    rows = [
        # answered Feb 1 02:00 (4 h after opening), closed in March -> counts in March only
        ("k9", "c7", "D", 2, datetime(2026, 1, 31, 22), d(1, 2, month=2), d(2, month=3)),
        # answered in March after 10 h but still open -> not counted
        ("k10", "c8", "D", 2, d(1, month=3), d(1, 10, month=3), None),
        # closed in March without a first response -> closed, not a first response
        ("k11", "c8", "D", 2, d(3, month=3), None, d(4, month=3)),
    ]  # fmt: skip
    out = build(rows, [], [])
    assert cell(out, FEB, "D", "first_response_count", "first_response_hours_median") == (0, None)
    assert cell(out, mar, "D", "closed_count", "first_response_count", "first_response_hours_median") == (2, 1, 4.0)
    assert build(rows, [], [], months=[FEB])["month"].unique().to_list() == [FEB]


def test_missing_column_raises():
    bad = pl.LazyFrame(schema={k: v for k, v in C_SCHEMA.items() if k != "severity"})
    with pytest.raises(ValueError, match=r"fct_complaint: missing column\(s\) \['severity'\]"):
        build_complaints_monthly(bad, pl.LazyFrame(schema=S_SCHEMA), pl.LazyFrame(schema=R_SCHEMA), SLA)
