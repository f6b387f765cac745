"""The chunked refresh computes the same customer marts as one batch; the backtest of the
dates from backtest_start on equals a full recompute (docs/performance.md, issue 8)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.pipeline.marts_customers import backtest_start, date_chunks
from tests.transforms.customer_data import complaints, fake_models, responses, sales
from transforms import customer_snapshots as cs
from transforms.churn_backtest import build_churn_backtest
from transforms.churn_signals import churn_signals_from
from transforms.customer_value import customer_value_from
from transforms.whale_curve import build_whale_curve

START = date(2025, 1, 1)


def random_facts(seed: int = 7, customers: int = 30, orders: int = 260, days: int = 200):
    """Orders of 1-3 lines (some spanning two days or a second customer), returns, NPS answers
    (some at the same instant), complaints open and closed: the cases the streams distinguish."""
    rng = np.random.default_rng(seed)
    rows = []
    for o in range(orders):
        cust, day = f"c{rng.integers(customers):02d}", int(rng.integers(days))
        for line in range(int(rng.integers(1, 4))):
            shift = int(rng.integers(2)) if line else 0  # a later line of an order on the next day
            owner = cust if rng.random() < 0.95 else f"c{rng.integers(customers):02d}"
            kind = "return" if rng.random() < 0.08 else "sale"
            rev = round(float(rng.gamma(2.0, 30.0)), 2) * (-1 if kind == "return" else 1)
            rows.append((f"o{o:04d}", kind, owner, START + timedelta(days=day + shift), rev, round(rev * 0.6, 2)))
    answers = [
        (f"r{i:04d}", f"c{rng.integers(customers + 5):02d}" if rng.random() < 0.9 else None,
         datetime(2025, 1, 1) + timedelta(hours=int(rng.integers(days * 24)) // (1 + (i % 7 == 0))),
         int(rng.integers(11)) if rng.random() < 0.8 else None)
        for i in range(150)
    ]  # fmt: skip
    opened = [datetime(2025, 1, 1) + timedelta(hours=int(rng.integers(days * 24))) for _ in range(40)]
    cases = [
        (f"k{i:03d}", f"c{rng.integers(customers + 5):02d}", t,
         None if rng.random() < 0.3 else t + timedelta(hours=int(rng.integers(1, 24 * 60))), bool(rng.random() < 0.6))
        for i, t in enumerate(opened)
    ]  # fmt: skip
    return sales(rows), responses(answers), complaints(cases)


SALES, RESPONSES, COMPLAINTS = random_facts()
DATES = [START + timedelta(days=d) for d in range(0, 230, 3)]  # 77 dates, beyond the data too


def marts(hist: cs.History, dates: list[date]) -> tuple[pl.DataFrame, ...]:
    value, models = customer_value_from(hist, dates, models=fake_models())
    value = value.collect()
    signals = churn_signals_from(hist, dates, p_alive=value.lazy()).collect()
    return value, models.collect(), build_whale_curve(value.lazy()).collect(), signals


@pytest.mark.parametrize("chunk_rows", [1, 100, 400])
def test_chunked_equals_one_batch(chunk_rows):
    hist = cs.history(SALES, RESPONSES, COMPLAINTS).collect()
    batch = marts(hist, DATES)
    customers = hist.keys.collect().height
    chunks = list(date_chunks(DATES, customers, chunk_rows))
    assert [d for c in chunks for d in c] == DATES and (len(chunks) > 1)
    parts = [marts(hist, c) for c in chunks]
    for i, whole in enumerate(batch):
        assert_frame_equal(pl.concat([p[i] for p in parts]), whole, check_exact=True)
    assert batch[0].height > 1000 and batch[3]["risk_score"].max() > 0


def test_collected_history_equals_lazy_facts():
    lazy = marts(cs.history(SALES, RESPONSES, COMPLAINTS), DATES[:5])
    for got, want in zip(lazy, marts(cs.history(SALES, RESPONSES, COMPLAINTS).collect(), DATES[:5]), strict=True):
        assert_frame_equal(got, want, check_exact=True)


def test_backtest_from_start_equals_full_recompute():
    hist = cs.history(SALES, RESPONSES, COMPLAINTS).collect()
    signals = marts(hist, DATES)[3].select("as_of_date", "customer_id", "risk_score", "risk_band").lazy()
    data_end = SALES.select(pl.col("order_date").max()).collect().item()
    full = build_churn_backtest(signals, SALES, horizon_days=30).collect()
    done = full["as_of_date"].max()
    for since in (START, date(2025, 3, 10), date(2025, 6, 1), data_end):
        start = backtest_start(since, 30, data_end, done)
        part = build_churn_backtest(signals.filter(pl.col("as_of_date") >= start),
                                    SALES.filter(pl.col("order_date") > start), 30, data_end).collect()
        assert_frame_equal(part, full.filter(pl.col("as_of_date") >= start), check_exact=True)
        assert part.height > 0 or start > done


def test_backtest_start():
    d = date(2025, 6, 30)
    assert backtest_start(d, 90, d, None) is None  # nothing done yet: everything
    assert backtest_start(d, 90, d, date(2025, 4, 20)) == date(2025, 4, 1)  # outcome windows reaching since
    assert backtest_start(d, 90, d, date(2025, 1, 5)) == date(2025, 1, 6)  # rows new since the last done
    assert backtest_start(d, 90, date(2025, 5, 1), date(2025, 3, 30)) == date(2025, 2, 1)  # data_end moved back
    assert backtest_start(date(2026, 1, 1), 90, date(2026, 1, 1), date(2025, 10, 1)) == date(2025, 10, 2)


def test_date_chunks():
    days = [START + timedelta(days=i) for i in range(7)]
    assert list(date_chunks(days, 10, 25)) == [days[0:2], days[2:4], days[4:6], days[6:]]
    assert list(date_chunks(days, 1000, 25)) == [[d] for d in days]  # at least one date per chunk
    assert list(date_chunks(days, 0, 25)) == [days]
