"""A re-run gives exactly the same rows: every transform with float sums, run 20 times.

polars adds a group's floats in an order of its own (transforms/float_sums.py): partial sums
per thread or morsel, groups and join rows in no fixed order. Each test builds an input with
enough groups and non-integer values (0.1, 0.7, 1/3, ...) for a different order to change the
last bits, collects the transform 20 times (the engine the pipeline uses, "auto"), the input
rows shuffled from the 11th run on (the marts are defined on sets of records: the row order of
a fact table read without ORDER BY must not matter), and requires byte-identical CSV.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta

import polars as pl

from csi.catalog import load_catalog
from csi.settings import CONFIG_DIR
from transforms import alerts
from transforms._satisfaction_common import add_all_sites
from transforms.complaint_categories_monthly import build_complaint_categories_monthly
from transforms.customer_streams import K, sale_orders
from transforms.float_sums import stable_mean, stable_sum
from transforms.satisfaction_model_weights import apply_model_weights
from transforms.servqual import build_servqual_monthly
from transforms.topics_monthly import build_topics_monthly

CATALOG = load_catalog(CONFIG_DIR / "instruments.yaml")
RUNS, SHUFFLED_FROM = 20, 10
VALUES = (0.1, 0.7, 1 / 3, 0.2, 2.9, -0.35, 1.1, 2 / 3)
SITES = [f"S{i:03d}" for i in range(200)]
JAN = datetime(2026, 1, 5, 9)


def distinct_outputs(build: Callable[..., pl.LazyFrame | pl.DataFrame], *inputs: pl.DataFrame) -> int:
    """How many different CSV texts `build(*inputs)` gives over RUNS runs."""
    seen = set()
    for run in range(RUNS):
        frames = [f if run < SHUFFLED_FROM else f.sample(fraction=1.0, shuffle=True, seed=run) for f in inputs]
        out = build(*(f.lazy() for f in frames))
        seen.add((out.collect() if isinstance(out, pl.LazyFrame) else out).write_csv())
    return len(seen)


def test_stable_sum_and_mean_by_hand():
    # g1 no value: sum 0.0 (never -0.0, as the plain sum), mean null; g2 0.5 + 0.25 (null ignored); g3 0.5 - 0.5
    f = pl.LazyFrame({"g": [1, 1, 2, 2, 2, 3, 3], "v": [None, None, 0.5, None, 0.25, 0.5, -0.5]},
                     schema={"g": pl.Int64, "v": pl.Float64})  # fmt: skip
    out = f.group_by("g").agg(s=stable_sum(pl.col("v")), m=stable_mean(pl.col("v"))).sort("g").collect()
    assert out.write_csv() == "g,s,m\n1,0.0,\n2,0.75,0.375\n3,0.0,0.0\n"


def test_add_all_sites_float_totals():
    rnd = random.Random(1)
    rows = [(s, m, rnd.choice(VALUES), rnd.randrange(5)) for s in SITES for m in range(6)]
    cells = pl.DataFrame(rows, schema={"site_id": pl.String, "month": pl.Int64, "total": pl.Float64,
                                       "n": pl.Int64}, orient="row")  # fmt: skip
    assert distinct_outputs(lambda c: add_all_sites(c, ["month"]).sort("month", "site_id"), cells) == 1


def _servqual_answers() -> pl.DataFrame:
    rnd = random.Random(2)
    sq = CATALOG.filter(pl.col("instrument").is_in(["servqual", "servqual_weight"]))["question_id"].to_list()
    rows = []
    for r in range(600):
        site, when = SITES[r % 40], JAN + timedelta(days=31 * (r % 2), hours=r)
        # about a third of the items unanswered: per-response means of halves and thirds
        rows += [(f"r{r}", q, site, when, float(rnd.randint(1, 7))) for q in sq if rnd.random() < 0.65]
    return pl.DataFrame(rows, schema={"response_id": pl.String, "question_id": pl.String, "site_id": pl.String,
                                      "submitted_at": pl.Datetime("us"), "answer": pl.Float64}, orient="row")  # fmt: skip


def test_servqual_monthly():
    assert distinct_outputs(lambda a: build_servqual_monthly(a, CATALOG.lazy()), _servqual_answers()) == 1


def test_topics_monthly():
    rnd = random.Random(3)
    topics = [f"topic_{k}" for k in range(8)]
    texts, responses = [], []
    for t in range(3000):
        source = "survey" if t % 3 else "complaint"
        rid = f"r{t}" if source == "survey" else None
        texts.append(
            (
                f"t{t}",
                source,
                rid,
                rnd.choice(SITES),
                JAN + timedelta(days=t % 60),
                rnd.choice(VALUES),
                rnd.choice(["negative", "neutral", "positive"]),
                rnd.sample(topics, rnd.randint(0, 3)),
            )
        )
        if rid:
            responses.append((rid, rnd.randint(0, 10)))
    t_frame = pl.DataFrame(texts, schema={
        "text_id": pl.String, "source": pl.String, "response_id": pl.String, "site_id": pl.String,
        "written_at": pl.Datetime("us"), "sentiment": pl.Float64, "sentiment_label": pl.String,
        "topics": pl.List(pl.String)}, orient="row")  # fmt: skip
    r_frame = pl.DataFrame(responses, schema={"response_id": pl.String, "nps_answer": pl.Int64}, orient="row")
    assert distinct_outputs(lambda t, r: build_topics_monthly(t, r, topics), t_frame, r_frame) == 1


def test_complaint_categories_monthly():
    rnd = random.Random(4)
    complaints, texts = [], []
    for k in range(3000):
        opened = JAN + timedelta(days=k % 50, hours=k % 7)
        closed = opened + timedelta(hours=rnd.randint(1, 300)) if k % 4 else None
        complaints.append(
            (
                f"k{k}",
                rnd.choice(SITES),
                opened,
                closed,
                rnd.choice(["a", "b", None]),
                rnd.choice(["phone", "web"]),
                rnd.randint(1, 4),
                10 * rnd.choice(VALUES),
            )
        )
        texts.append((f"k{k}", rnd.sample(["delivery", "price", "staff", "wait"], rnd.randint(0, 2))))
    c_frame = pl.DataFrame(complaints, schema={
        "complaint_id": pl.String, "site_id": pl.String, "opened_at": pl.Datetime("us"),
        "closed_at": pl.Datetime("us"), "category": pl.String, "channel": pl.String, "severity": pl.Int64,
        "compensation": pl.Float64}, orient="row")  # fmt: skip
    t_frame = pl.DataFrame(texts, schema={"complaint_id": pl.String, "topics": pl.List(pl.String)}, orient="row")
    sla = {1: 4.0, 2: 24.0, 3: 72.0, 4: 168.0}
    assert distinct_outputs(lambda c, t: build_complaint_categories_monthly(c, t, sla), c_frame, t_frame) == 1


def test_satisfaction_model_weights():
    rnd = random.Random(5)
    items = CATALOG.filter((pl.col("instrument") == "acsi") & (pl.col("construct") == "SAT"))["question_id"]
    months = [date(2026, m, 1) for m in (1, 2, 3)]
    mart = pl.DataFrame([(m, s) for m in months for s in SITES], schema={"month": pl.Date, "site_id": pl.String},
                        orient="row").with_columns(acsi_index_model=pl.lit(None, pl.Float64))  # fmt: skip
    # own weights for half the sites, the pooled ones for the rest
    weights = pl.DataFrame(
        [(date(2026, 1, 1), s, i, rnd.choice(VALUES)) for s in [*SITES[::2], "ALL"] for i in items],
        schema={"quarter": pl.Date, "site_id": pl.String, "item": pl.String, "weight": pl.Float64},
        orient="row",
    )
    answers = pl.DataFrame(
        [(i, s, datetime(m.year, m.month, 3 + k), float(rnd.randint(1, 10)))
         for m in months for s in SITES for i in items for k in range(2)],
        schema={"question_id": pl.String, "site_id": pl.String, "submitted_at": pl.Datetime("us"),
                "answer": pl.Float64}, orient="row",
    )  # fmt: skip
    build = lambda m, w, a: apply_model_weights(m, w, a, CATALOG).sort("month", "site_id")  # noqa: E731
    assert distinct_outputs(build, mart, weights, answers) == 1


def test_valuable_at_risk_clv_sum():
    rnd = random.Random(6)
    dates = [date(2026, 3, 1) + timedelta(days=d) for d in range(20)]
    # each date a new half of the customers is high risk: many enter, with fractional CLVs
    rows = [
        (
            d,
            f"c{c}",
            "high" if (c + k) % 2 else "medium",
            rnd.choice(["platinum", "gold"]),
            None if c % 17 == 0 else 100 * rnd.choice(VALUES),
        )
        for k, d in enumerate(dates)
        for c in range(300)
    ]
    signals = pl.DataFrame(rows, schema={"as_of_date": pl.Date, "customer_id": pl.String, "risk_band": pl.String,
                                         "value_tier": pl.String, "clv_365d": pl.Float64}, orient="row")  # fmt: skip
    snapshots = pl.DataFrame({"as_of_date": dates})
    build = lambda s, d: alerts.valuable_at_risk(s, d, critical_count=10).sort("period")  # noqa: E731
    assert distinct_outputs(build, signals, snapshots) == 1


def test_sale_orders_values():
    """Orders of many lines with fractional revenues: each order's value is one sum, whatever the order."""
    rnd = random.Random(3)
    rows = [(c, date(2026, 1, 1) + timedelta(days=o % 5), f"O{c}-{o}", "sale", rnd.choice(VALUES) * 10)
            for c in range(300) for o in range(4) for _line in range(6)]
    lines = pl.DataFrame(rows, schema={K: pl.UInt32, "_d": pl.Date, "order_id": pl.String, "order_type": pl.String,
                                       "cum_revenue": pl.Float64}, orient="row")  # fmt: skip
    assert distinct_outputs(sale_orders, lines) == 1
