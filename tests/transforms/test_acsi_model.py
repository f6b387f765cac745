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
ECSI = load_model("ecsi")
CATALOG = load_catalog(CONFIG_DIR / "instruments.yaml").lazy()


def _answers(seed: int = 11, model=MODEL) -> pl.DataFrame:
    """EXP -> PQ -> PV -> SAT -> (COMP, LOY) with 1-10 items (ECSI: and an IMG); Q1 2026: sites
    S1 300, S2 250, S3 50 complete responses plus 40 incomplete; Q2 2026: 60 complete responses."""
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
        if "IMG" in model.constructs:  # ECSI (drawn only then: the ACSI data stay as they were)
            latent |= {"IMG": 0.5 * exp + rng.normal(scale=0.8, size=n), "COMP": -0.8 * sat + rng.normal(size=n)}
        incomplete = model.constructs["PV"][-1]
        for r in range(n):
            rid += 1
            ts = start + timedelta(hours=r)
            for construct, items in model.constructs.items():
                for item in items:
                    if r >= count and item == incomplete:
                        continue  # incomplete response
                    if item == "acsi_complained":  # 0/1
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
    assert sat_weights(mart.lazy(), "SAT", site_id="ALL").collect()["site_id"].unique().to_list() == ["ALL"]
    assert sat_weights(mart.lazy(), "SAT", model_name="ecsi").collect().is_empty()  # another model's rows
    w = sat_weights(mart.lazy(), MODEL.index_construct, MODEL.name).collect()
    assert w.columns == ["quarter", "site_id", "item", "weight"]
    assert w.schema["quarter"] == pl.Date
    sums = w.group_by("quarter", "site_id").agg(pl.col("weight").sum()).sort("site_id")
    assert sums["weight"].to_list() == pytest.approx([1.0, 1.0, 1.0])
    assert set(w["item"]) == set(MODEL.constructs["SAT"])


def _one_month(answers: pl.DataFrame, model, quarter: date) -> pl.DataFrame:
    """The quarter's complete responses (long), all dated on the quarter's first day, so that one
    month's cells hold exactly the responses of the quarter's model."""
    wide = complete_responses(answers.lazy(), model.items).collect().filter(pl.col("quarter") == quarter)
    keep = answers.filter(pl.col("response_id").is_in(wide["response_id"].implode()))
    return keep.with_columns(submitted_at=pl.lit(datetime(quarter.year, quarter.month, 1)))


@pytest.mark.parametrize("model", [MODEL, ECSI], ids=["acsi", "ecsi"])
def test_sat_weights_feed_apply_model_weights(model, answers):
    """apply_model_weights reproduces the model's own index of its index construct, per site where
    the site model is estimated (S1, S2), with the pooled weights elsewhere (S3: 50 responses)."""
    from transforms.satisfaction_monthly import apply_model_weights

    data = answers if model is MODEL else _answers(model=ECSI)
    q1 = date(2026, 1, 1)
    mart = build_acsi_model(data.lazy(), model, CATALOG, quarters=[q1], resamples=0).collect()
    month = _one_month(data, model, q1)
    cells = pl.LazyFrame({"month": [q1] * 4, "site_id": ["ALL", "S1", "S2", "S3"], "acsi_index_model": [None] * 4},
                         schema_overrides={"acsi_index_model": pl.Float64})  # fmt: skip
    weights = sat_weights(mart.lazy(), model.index_construct, model.name)
    out = apply_model_weights(cells, weights, month.lazy(), CATALOG).collect()
    got = dict(zip(out["site_id"], out["acsi_index_model"], strict=True))
    index = mart.filter((pl.col("kind") == "index") & (pl.col("construct") == model.index_construct))
    own = dict(zip(index["site_id"], index["estimate"], strict=True))
    assert sorted(own) == ["ALL", "S1", "S2"]
    for site in ("ALL", "S1", "S2"):
        assert got[site] == pytest.approx(own[site], rel=1e-9), site
    # S3 by hand: the pooled weights (sum 1) on S3's item means, (mean - 1) / 9 * 100 on 1-10 items
    pooled = weights.filter(pl.col("site_id") == "ALL").collect()
    s3 = month.filter(pl.col("site_id") == "S3").group_by("question_id").agg(pl.col("answer").mean())
    means = dict(zip(s3["question_id"], s3["answer"], strict=True))
    by_hand = sum(w * (means[i] - 1) / 9 * 100 for i, w in zip(pooled["item"], pooled["weight"], strict=True))
    assert got["S3"] == pytest.approx(by_hand, rel=1e-12)
    assert set(pooled["item"]) == set(model.constructs[model.index_construct])


def test_all_quarters_when_none_given(answers):
    mart = build_acsi_model(answers.lazy(), MODEL, CATALOG, resamples=0).collect()
    status = mart.filter(pl.col("kind") == "status").sort("quarter", "site_id")
    assert status["quarter"].unique().to_list() == [date(2026, 1, 1), date(2026, 4, 1)]
    assert mart.filter(pl.col("kind") == "path")["std_error"].null_count() == 9 * 3
