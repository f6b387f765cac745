"""The sales stream continued from a persisted state (transforms.customer_state) equals one pass
over every line, and the snapshot marts built from the state equal those built from the facts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.transforms.customer_data import complaints, d, fake_models, responses, sales
from transforms import customer_snapshots as cs
from transforms.churn_signals import churn_signals_from
from transforms.customer_state import STREAM_COLUMNS, sales_state_since
from transforms.customer_value import customer_value_from

NO_ORDERS = pl.DataFrame(schema={"order_id": pl.String, "customer_id": pl.String, "order_date": pl.Date}).lazy()
NO_OPENING = pl.DataFrame(schema={c: t for c, t in zip(STREAM_COLUMNS, (
    pl.String, pl.Date, pl.Float64, pl.Float64, pl.Int64, pl.Float64, pl.Date, pl.Date, pl.Float64), strict=True)}).lazy()


def in_two_steps(lines: pl.LazyFrame, lo: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(stream, orders): the lines before lo from nothing, then the lines from lo on from that state."""
    first = lines.select(pl.col("order_date").min()).collect().item()
    stream, orders = (f.collect() for f in sales_state_since(lines.filter(pl.col("order_date") < lo), NO_OPENING,
                                                             NO_ORDERS, first))  # fmt: skip
    opening = stream.sort("event_date").group_by("customer_id").last()
    later, later_orders = (f.collect() for f in sales_state_since(
        lines.filter(pl.col("order_date") >= lo), opening.lazy(), orders.lazy(), lo))
    return pl.concat([stream, later]), pl.concat([orders, later_orders])


def test_a_customer_continued_from_the_state():
    """A: o1 day 1 (10, cost 4), o2 day 3 (20, cost 5), a return on day 4 (-5, cost -2), then from
    lo = day 5 on: o3 day 10 (30, cost 10). Day 10: revenue 10 + 20 - 5 + 30 = 55, margin
    6 + 15 - 3 + 20 = 38, 3 orders, repeat revenue 20 + 30 = 50, first order day 1, gaps 2 and 7:
    median 4.5. B's only line (a return) gives B a row with no order."""
    lines = sales([("o1", "sale", "A", d(1), 10.0, 4.0), ("o2", "sale", "A", d(3), 20.0, 5.0),
                   ("o2", "return", "A", d(4), -5.0, -2.0), ("r9", "return", "B", d(6), -8.0, -3.0),
                   ("o3", "sale", "A", d(10), 30.0, 10.0)])  # fmt: skip
    stream, orders = in_two_steps(lines, d(5))
    day10 = stream.filter(pl.col("customer_id") == "A", pl.col("event_date") == d(10)).row(0, named=True)
    assert day10 == {"customer_id": "A", "event_date": d(10), "cum_revenue": 55.0, "cum_margin": 38.0,
                     "cum_orders": 3, "cum_repeat_revenue": 50.0, "last_order_date": d(10),
                     "first_order_date": d(1), "median_gap": 4.5}  # fmt: skip
    b = stream.filter(pl.col("customer_id") == "B").row(0, named=True)
    assert (b["cum_revenue"], b["cum_margin"], b["cum_orders"], b["last_order_date"]) == (-8.0, -5.0, 0, None)
    assert orders.sort("order_id").rows() == [("o1", "A", d(1), d(1)), ("o2", "A", d(3), d(3)),
                                              ("o3", "A", d(10), d(10))]


def test_an_order_of_two_customers_belongs_to_its_first_line():
    """o7's first line by (date, customer_id) is C's: C owns it, with its whole revenue 7 + 3 = 10
    as C's repeat revenue; D's line only adds to D's revenue, and D's own order on day 9 is D's
    first (repeat revenue 0)."""
    lines = sales([("o1", "sale", "C", d(2), 5.0, 1.0), ("o7", "sale", "C", d(8), 7.0, 2.0),
                   ("o7", "sale", "D", d(8), 3.0, 1.0), ("o8", "sale", "D", d(9), 4.0, 1.0)])  # fmt: skip
    stream, orders = in_two_steps(lines, d(5))
    last = stream.sort("event_date").group_by("customer_id").last().sort("customer_id")
    assert last.select("customer_id", "cum_revenue", "cum_orders", "cum_repeat_revenue", "median_gap").rows() == [
        ("C", 12.0, 2, 10.0, 6.0), ("D", 7.0, 1, 0.0, None)]
    assert orders.filter(pl.col("order_id") == "o7")["customer_id"].to_list() == ["C"]


def random_lines(seed: int, customers: int = 25, orders: int = 220, days: int = 150) -> pl.LazyFrame:
    """Orders of 1-3 lines (some on the next day or of a second customer), returns, same-day orders."""
    rng = np.random.default_rng(seed)
    rows = []
    for o in range(orders):
        cust, day = f"c{rng.integers(customers):02d}", int(rng.integers(days))
        for line in range(int(rng.integers(1, 4))):
            shift = int(rng.integers(2)) if line else 0
            owner = cust if rng.random() < 0.9 else f"c{rng.integers(customers):02d}"
            kind = "return" if rng.random() < 0.1 else "sale"
            rev = round(float(rng.gamma(2.0, 30.0)), 2) * (-1 if kind == "return" else 1)
            rows.append((f"o{o:04d}", kind, owner, d(1) + timedelta(days=day + shift), rev, round(rev * 0.6, 2)))
    return sales(rows)


def unspanned(lines: pl.LazyFrame, lo: date) -> date:
    """lo moved back to the first date of any sale order with lines on both sides of it."""
    first = (lines.filter(pl.col("order_type") == "sale").group_by("order_id")
             .agg(first=pl.col("order_date").min(), last=pl.col("order_date").max())
             .filter(pl.col("first") < lo, pl.col("last") >= lo).select(pl.col("first").min()).collect().item())
    return lo if first is None else unspanned(lines, first)


@pytest.mark.parametrize("seed", [3, 7])
def test_two_steps_equal_one_pass(seed):
    lines = random_lines(seed)
    one_pass = cs.history(lines, responses(), complaints()).collect()
    keys = one_pass.keys.select(cs.CID, cs.K)
    expected = (one_pass.sales.join(keys, on=cs.K).rename({"_event_date": "event_date"}).select(STREAM_COLUMNS)
                .collect().sort("customer_id", "event_date"))
    for lo in (d(1) + timedelta(days=n) for n in (1, 40, 77, 149)):
        stream, _ = in_two_steps(lines, unspanned(lines, lo))
        # an order's value sums its lines in the order polars meets them, which differs between
        # frames by the last bit (as between two reads of the facts); the marts round money to 1e-6
        assert_frame_equal(stream.sort("customer_id", "event_date"), expected, check_exact=False, rel_tol=1e-12)


def test_marts_from_the_state_equal_marts_from_the_facts():
    lines = random_lines(11)
    rng = np.random.default_rng(5)
    answers = responses([(f"r{i:03d}", f"c{rng.integers(28):02d}", datetime(2025, 1, 1) + timedelta(
        hours=int(rng.integers(150 * 24))), int(rng.integers(11))) for i in range(80)])
    cases = complaints([(f"k{i}", f"c{rng.integers(28):02d}", datetime(2025, 2, 1) + timedelta(days=3 * i),
                         datetime(2025, 2, 9) + timedelta(days=3 * i) if i % 2 else None, i % 3 == 0)
                        for i in range(12)])  # fmt: skip
    stream, _ = in_two_steps(lines, unspanned(lines, d(1) + timedelta(days=60)))
    firsts = lines.filter(pl.col("order_type") == "sale").group_by("customer_id").agg(
        first_date=pl.col("order_date").min())
    dates = [d(1) + timedelta(days=n) for n in range(0, 170, 5)]
    from_facts = marts(cs.history(lines, answers, cases).collect(), dates)
    from_state = marts(cs.history_from_state(firsts, stream.lazy(), answers, cases).collect(), dates)
    for a, b in zip(from_facts, from_state, strict=True):
        assert_frame_equal(a, b, check_exact=True)
    assert from_facts[0].height > 500


def marts(hist: cs.History, dates: list[date]) -> tuple[pl.DataFrame, ...]:
    value, models = customer_value_from(hist, dates, models=fake_models())
    value = value.collect()
    return value, models.collect(), churn_signals_from(hist, dates, p_alive=value.lazy()).collect()
