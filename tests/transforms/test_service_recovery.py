"""mart_service_recovery_monthly (METRICS.md section 6, last bullet), worked by hand."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.warehouse.frame_schema import validate_frame
from csi.warehouse.tables_marts_satisfaction import MART_SERVICE_RECOVERY_MONTHLY
from transforms.service_recovery import build_service_recovery_monthly

JAN, MAR = date(2026, 1, 1), date(2026, 3, 1)
TS = pl.Datetime("us")
C_SCHEMA = {"complaint_id": pl.String, "customer_id": pl.String, "opened_at": TS, "closed_at": TS,
            "is_resolved": pl.Boolean}  # fmt: skip
S_SCHEMA = {"customer_id": pl.String, "order_type": pl.String, "order_date": pl.Date}
R_SCHEMA = {"response_id": pl.String, "customer_id": pl.String, "submitted_at": TS, "nps_answer": pl.Int64}

COMPLAINTS = [
    ("k1", "c1", datetime(2026, 1, 10, 10), datetime(2026, 1, 11), True),  # resolved, anchor Jan 10
    ("k2", "c2", datetime(2026, 1, 20), None, False),  # unresolved, anchor Jan 20
    ("k3", "c3", datetime(2026, 1, 5), datetime(2026, 1, 6), True),  # resolved, anchor Jan 5
    ("k4a", "c4", datetime(2026, 1, 3), datetime(2026, 1, 4), True),  # earlier complaint of c4: ignored
    ("k4b", "c4", datetime(2026, 1, 25), datetime(2026, 1, 26), False),  # latest of the month: unresolved
    ("k7", "c7", datetime(2026, 3, 2), None, False),  # March, unresolved
]
SALES = [
    ("c1", "sale", date(2026, 3, 15)),  # Jan 10 + 64 days: re-ordered
    ("c2", "sale", date(2026, 4, 20)),  # Jan 20 + 90 days exactly: re-ordered (window is inclusive)
    ("c3", "sale", date(2026, 1, 5)),  # same day as the complaint: not "after"
    ("c3", "return", date(2026, 1, 20)),  # a return is not an order
    ("c3", "sale", date(2026, 4, 6)),  # Jan 5 + 91 days: too late
    ("c4", "sale", date(2026, 1, 25)),  # same day: no
    ("c5", "sale", date(2026, 1, 2)),  # non-complainant, first order Jan 2
    ("c5", "sale", date(2026, 1, 2)),
    ("c5", "sale", date(2026, 1, 15)),  # +13 days: re-ordered
    ("c6", "sale", date(2026, 1, 8)),  # non-complainant, no re-order
    ("c7", "sale", date(2026, 1, 9)),  # complained later (March): never a non-complainant
]
RESPONSES = [
    ("r1", "c1", datetime(2026, 1, 1), 3),
    ("r2", "c1", datetime(2026, 2, 1), 9),  # c1 latest: 9
    ("ra", "c3", datetime(2026, 2, 2, 10), 2),
    ("rb", "c3", datetime(2026, 2, 2, 10), 8),  # same time: the larger response_id wins -> 8
    ("rc", "c3", datetime(2026, 3, 1), None),  # no NPS answer: ignored
    ("r5", "c5", datetime(2026, 1, 3), 10),
    ("rx", None, datetime(2026, 1, 3), 0),  # anonymous
]


def build(**kw) -> pl.DataFrame:
    out = build_service_recovery_monthly(
        pl.LazyFrame(COMPLAINTS, schema=C_SCHEMA, orient="row"),
        pl.LazyFrame(SALES, schema=S_SCHEMA, orient="row"),
        pl.LazyFrame(RESPONSES, schema=R_SCHEMA, orient="row"),
        **kw,
    ).collect()
    validate_frame(MART_SERVICE_RECOVERY_MONTHLY, out)
    return out


def test_groups_by_hand():
    # data end = Apr 20 (last sale); Jan 25 + 90 = Apr 25 and Mar 2 + 90 are past it -> incomplete windows
    expected = pl.DataFrame(
        {
            "month": [JAN, JAN, JAN, MAR],
            "customer_group": ["resolved", "unresolved", "non_complainant", "unresolved"],
            "customers": [2, 2, 2, 1],  # c1 c3 | c2 c4 | c5 c6 | c7
            "nps_n": [2, 0, 1, 0],
            "nps_sum": [17.0, 0.0, 10.0, 0.0],  # 9 + 8 | - | 10 | -
            "mean_latest_nps": [8.5, None, 10.0, None],
            "reorder_count": [1, 1, 1, 0],  # c1 | c2 | c5 | -
            "reorder_pct": [50.0, 50.0, 50.0, 0.0],
            "window_complete": [True, False, True, False],
        }
    )
    assert_frame_equal(build(), expected)


def test_window_days_and_months_filter():
    out = build(window_days=91, months=[JAN])
    assert out["month"].unique().to_list() == [JAN]
    assert out.filter(pl.col("customer_group") == "resolved")["reorder_count"].item() == 2  # c3 on day 91 now counts


def test_missing_column_raises():
    bad = pl.LazyFrame(schema={k: v for k, v in C_SCHEMA.items() if k != "is_resolved"})
    with pytest.raises(ValueError, match=r"fct_complaint: missing column\(s\) \['is_resolved'\]"):
        build_service_recovery_monthly(bad, pl.LazyFrame(schema=S_SCHEMA), pl.LazyFrame(schema=R_SCHEMA))
