"""mart_acsi_model (transforms.acsi_model) on a synthetic fct_survey_answer frame."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from csi.catalog import load_catalog, load_model
from csi.settings import CONFIG_DIR
from transforms.acsi_model import MART_SCHEMA, build_acsi_model, complete_responses, sat_weights
from transforms.pls_pm import estimate

MODEL = load_model("acsi")
CATALOG = load_catalog(CONFIG_DIR / "instruments.yaml").lazy()


def _answers(seed: int = 11) -> pl.DataFrame:
    """EXP -> PQ -> PV -> SAT -> (COMP, LOY) with 1-10 items; Q1 2026: sites S1 300, S2 250,
    S3 50 complete responses plus 40 incomplete; Q2 2026: 60 complete responses."""
    rng = np.random.default_rng(seed)
    rows = []
    plan = [(datetime(2026, 1, 5), "S1", 300), (datetime(2026, 2, 1), "S2", 250),
            (datetime(2026, 3, 1), "S3", 50), (datetime(2026, 4, 2), "S1", 60)]  # fmt: skip
    rid = 0
    for start, site, count in plan:
        n = count + (40 if site == "S1" and start.month == 1 else 0)
        exp = rng.normal(size=n)
        pq = 0.6 * exp + rng.normal(scale=0.8, size=n)
        pv = 0.2 * exp + 0.5 * pq + rng.normal(scale=0.8, size=n)
        sat = 0.1 * exp + 0.5 * pq + 0.3 * pv + rng.normal(scale=0.6, size=n)
        comp = (rng.normal(size=n) - 0.8 * sat > 0.8).astype(float)
        loy = 0.6 * sat - 0.2 * comp + rng.normal(scale=0.7, size=n)
        latent = {"EXP": exp, "PQ": pq, "PV": pv, "SAT": sat, "LOY": loy}
        for r in range(n):
            rid += 1
            ts = start + timedelta(hours=r)
            for construct, items in MODEL.constructs.items():
                for item in items:
                    if r >= count and item == "acsi_pv_q_price":
                        continue  # incomplete response
                    if construct == "COMP":
                        value = comp[r]
                    else:
                        raw = 7 + 1.3 * latent[construct][r] + rng.normal(0, 0.8)
                        value = float(np.clip(np.round(raw), 1, 10))
                    rows.append((f"r{rid}", item, site, ts, value))
            rows.append((f"r{rid}", "nps", site, ts, 9.0))
    return pl.DataFrame(
        rows, schema=["response_id", "question_id", "site_id", "submitted_at", "answer"], orient="row"
    ).with_columns(pl.col("submitted_at").dt.date().alias("submitted_date"))


@pytest.fixture(scope="module")
def answers() -> pl.DataFrame:
    return _answers()


@pytest.fixture(scope="module")
def mart(answers) -> pl.DataFrame:
    return build_acsi_model(
        answers.lazy(), MODEL, CATALOG, quarters=[date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)],
        resamples=50, seed=3,
    ).collect()  # fmt: skip


def test_schema_and_status_rows(mart):
    assert mart.schema == pl.Schema(MART_SCHEMA)
    status = mart.filter(pl.col("kind") == "status").sort("quarter", "site_id")
    assert status.select("quarter", "site_id", "n", "status").rows() == [
        (date(2026, 1, 1), "ALL", 600, "ok"),
        (date(2026, 1, 1), "S1", 300, "ok"),
        (date(2026, 1, 1), "S2", 250, "ok"),
        (date(2026, 4, 1), "ALL", 60, "too_few_responses: 60 < 100"),
        (date(2026, 7, 1), "ALL", 0, "too_few_responses: 0 < 100"),
    ]
    # a quarter that is not estimated has only its status row, and no NaN anywhere
    assert mart.filter(pl.col("quarter") == date(2026, 4, 1)).height == 1
    assert mart.filter(pl.col("estimate").is_nan() | pl.col("std_error").is_nan()).height == 0


def test_row_kinds_and_paths(mart, answers):
    ok = mart.filter((pl.col("quarter") == date(2026, 1, 1)) & (pl.col("site_id") == "ALL"))
    counts = dict(ok.group_by("kind").len().rows())
    assert counts == {"status": 1, "outer_weight": 14, "loading": 14, "index_weight": 14, "path": 9,
                      "r2": 5, "total_effect": 15, "index": 6}  # fmt: skip
    paths = ok.filter(pl.col("kind") == "path")
    assert paths["std_error"].null_count() == 0 and (paths["std_error"] > 0).all()
    main = paths.filter(pl.col("from_construct") != "COMP").filter(pl.col("to_construct") != "COMP")
    assert (main.filter(pl.col("from_construct") != "EXP")["estimate"] > 0).all()
    # matches a direct call on the complete responses of the quarter
    wide = complete_responses(answers.lazy(), MODEL.items).collect()
    wide = wide.filter(pl.col("quarter") == date(2026, 1, 1))
    x = wide.select(MODEL.items).to_numpy()
    lo = [0.0 if i == "acsi_complained" else 1.0 for i in MODEL.items]
    hi = [1.0 if i == "acsi_complained" else 10.0 for i in MODEL.items]
    direct = estimate(x, MODEL, MODEL.items, lo, hi)
    for row in paths.iter_rows(named=True):
        assert row["estimate"] == pytest.approx(direct.paths[(row["from_construct"], row["to_construct"])])
    sat_index = ok.filter((pl.col("kind") == "index") & (pl.col("construct") == "SAT"))["estimate"][0]
    assert sat_index == pytest.approx(direct.index["SAT"]) and 0 < sat_index < 100


def test_sat_weights(mart):
    assert sat_weights(mart.lazy()).collect()["site_id"].unique().to_list() == ["ALL"]
    w = sat_weights(mart.lazy(), site_id=None).collect()
    assert w.columns == ["quarter", "site_id", "item", "weight"]
    assert w.schema["quarter"] == pl.Date
    sums = w.group_by("quarter", "site_id").agg(pl.col("weight").sum()).sort("site_id")
    assert sums["weight"].to_list() == pytest.approx([1.0, 1.0, 1.0])
    assert set(w["item"]) == set(MODEL.constructs["SAT"])


def test_sat_weights_feed_apply_model_weights(mart, answers):
    """The colleague's apply_model_weights reproduces the mart's SAT index from these weights."""
    from transforms.satisfaction_monthly import apply_model_weights

    q1 = (
        complete_responses(answers.lazy(), MODEL.items)
        .collect()
        .filter(pl.col("quarter") == date(2026, 1, 1))
    )
    sat = MODEL.constructs["SAT"]
    cell = pl.LazyFrame(
        {"month": [date(2026, 1, 1)], "site_id": ["ALL"], "acsi_index_model": [None]},
        schema_overrides={"acsi_index_model": pl.Float64},
    ).with_columns(
        *[pl.lit(q1.height).alias(f"{i}_n") for i in sat],
        *[pl.lit(q1[i].sum()).alias(f"{i}_sum") for i in sat],
    )
    out = apply_model_weights(cell, sat_weights(mart.lazy()), items=sat).collect()
    index = mart.filter(
        (pl.col("kind") == "index") & (pl.col("construct") == "SAT") & (pl.col("site_id") == "ALL")
    )["estimate"][0]
    assert out["acsi_index_model"][0] == pytest.approx(index)


def test_all_quarters_when_none_given(answers):
    mart = build_acsi_model(answers.lazy(), MODEL, CATALOG, resamples=0).collect()
    status = mart.filter(pl.col("kind") == "status").sort("quarter", "site_id")
    assert status["quarter"].unique().to_list() == [date(2026, 1, 1), date(2026, 4, 1)]
    assert mart.filter(pl.col("kind") == "path")["std_error"].null_count() == 9 * 3
