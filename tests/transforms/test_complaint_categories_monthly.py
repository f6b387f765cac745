"""mart_complaint_categories_monthly (METRICS.md sections 13 and 6), numbers worked by hand."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
from polars.testing import assert_frame_equal

from transforms.complaint_categories_monthly import COLUMNS, build_complaint_categories_monthly

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)
SLA = {1: 4.0, 2: 24.0, 3: 72.0, 4: 168.0}
TS = pl.Datetime("us")
C_SCHEMA = {"complaint_id": pl.String, "site_id": pl.String, "opened_at": TS, "closed_at": TS,
            "category": pl.String, "channel": pl.String, "severity": pl.Int64, "compensation": pl.Float64}  # fmt: skip
COMPLAINTS = [
    ("k1", "A", datetime(2026, 1, 5, 8), datetime(2026, 1, 5, 10), "配送", "phone", 1, 10.0),  # 2 h <= 4: met
    ("k2", "A", datetime(2026, 1, 6), datetime(2026, 1, 7, 6), "配送", "phone", 2, 0.0),  # 30 h > 24
    ("k3", "A", datetime(2026, 1, 10), datetime(2026, 2, 2), "配送", "phone", 4, 5.0),  # 552 h > 168, closed Feb
    ("k4", "B", datetime(2026, 1, 12), None, "配送", "phone", 3, 20.0),  # open
    ("k5", "A", datetime(2026, 1, 15), datetime(2026, 1, 15, 4), None, "web", 1, 0.0),  # exactly 4 h: met
]
TEXTS = [
    ("k1", ["delivery", "waiting_time"]),
    ("k2", ["delivery"]),
    ("k3", ["staff_attitude", "delivery"]),
    ("k4", ["payment"]),
    ("k5", []),
    (None, ["delivery", "delivery"]),  # a survey comment: no complaint, ignored
]
N = None
EXPECTED = [
    # month, site, category, channel, opened, compensation, closed, median, met, met %, top 1..3 (topic, mentions)
    (JAN, "A", "配送", "phone", 3, 15.0, 2, 16.0, 1, 50.0, "delivery", 3, "staff_attitude", 1, "waiting_time", 1),
    (JAN, "A", N, "web", 1, 0.0, 1, 4.0, 1, 100.0, N, N, N, N, N, N),
    (JAN, "ALL", "配送", "phone", 4, 35.0, 2, 16.0, 1, 50.0, "delivery", 3, "payment", 1, "staff_attitude", 1),
    (JAN, "ALL", N, "web", 1, 0.0, 1, 4.0, 1, 100.0, N, N, N, N, N, N),
    (JAN, "B", "配送", "phone", 1, 20.0, 0, N, 0, N, "payment", 1, N, N, N, N),
    (FEB, "A", "配送", "phone", 0, 0.0, 1, 552.0, 0, 0.0, N, N, N, N, N, N),
    (FEB, "ALL", "配送", "phone", 0, 0.0, 1, 552.0, 0, 0.0, N, N, N, N, N, N),
]  # fmt: skip


def _mart(**kw) -> pl.DataFrame:
    complaints = pl.DataFrame(COMPLAINTS, schema=C_SCHEMA, orient="row").lazy()
    texts = pl.DataFrame(TEXTS, schema={"complaint_id": pl.String, "topics": pl.List(pl.String)}, orient="row")
    return build_complaint_categories_monthly(complaints, texts.lazy(), SLA, **kw).collect()


def test_complaint_categories_hand_worked():
    got = _mart()
    assert got.columns == COLUMNS
    keys = ["month", "site_id", "category", "channel"]
    got = got.sort(keys, nulls_last=True)
    want = pl.DataFrame(EXPECTED, schema=got.schema, orient="row").sort(keys, nulls_last=True)
    assert_frame_equal(got, want, check_exact=False, abs_tol=1e-9)


def test_months_filter():
    got = _mart(months=[date(2026, 2, 20)])
    assert got["month"].to_list() == [FEB, FEB]
