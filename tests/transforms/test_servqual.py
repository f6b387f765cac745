"""mart_servqual_monthly (METRICS.md section 3), numbers worked by hand."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.catalog import load_catalog
from csi.settings import CONFIG_DIR
from csi.warehouse.frame_schema import validate_frame
from csi.warehouse.tables_marts_satisfaction import MART_SERVQUAL_MONTHLY
from transforms.servqual import build_servqual_monthly

CATALOG = load_catalog(CONFIG_DIR / "instruments.yaml")
JAN = date(2026, 1, 1)
T = datetime(2026, 1, 12, 10)
SCHEMA = {"response_id": pl.String, "question_id": pl.String, "site_id": pl.String,
          "submitted_at": pl.Datetime("us"), "answer": pl.Float64}  # fmt: skip


def rows(rid: str, site: str, **answers: float) -> list[tuple]:
    return [(rid, qid, site, T, v) for qid, v in answers.items()]


def build(data: list[tuple]) -> pl.DataFrame:
    out = build_servqual_monthly(pl.LazyFrame(data, schema=SCHEMA, orient="row"), CATALOG.lazy()).collect()
    validate_frame(MART_SERVQUAL_MONTHLY, out)
    return out


def cell(out: pl.DataFrame, site: str, dim: str, *cols: str) -> tuple:
    return out.filter((pl.col("site_id") == site) & (pl.col("dimension") == dim)).select(cols).row(0)


def test_reversal_of_both_expectation_and_perception():
    # statement 10 is reverse-worded: e 2 -> 6, p 3 -> 5, gap 5 - 6 = -1 (unreversed it would be +1)
    out = build(rows("r1", "A", sq_e_10=2, sq_p_10=3, sq_e_01=5, sq_p_01=6))
    assert cell(out, "A", "responsiveness", "n", "gap_mean", "expectation_mean", "perception_mean") == (
        1, -1.0, 6.0, 5.0,
    )  # fmt: skip
    assert cell(out, "A", "tangibles", "gap_mean") == (1.0,)


def test_two_stage_means_with_missing_items():
    data = (
        # r1: st1 gap 6-4 = 2; st2 e only; st3 p only -> gap 2, e (4+2)/2 = 3, p (6+7)/2 = 6.5
        rows("r1", "A", sq_e_01=4, sq_p_01=6, sq_e_02=2, sq_p_03=7)
        # r2: st1 gap 0, st2 gap 3 -> gap 1.5, e (5+3)/2 = 4, p (5+6)/2 = 5.5
        + rows("r2", "A", sq_e_01=5, sq_p_01=5, sq_e_02=3, sq_p_02=6)
    )
    out = build(data)
    got = out.filter((pl.col("site_id") == "A") & (pl.col("dimension") == "tangibles")).drop(
        "score_unweighted", "score_weighted"
    )
    expected = pl.DataFrame(
        {
            "month": [JAN],
            "site_id": ["A"],
            "dimension": ["tangibles"],
            "n": [2],
            "gap_sum": [3.5],
            "gap_mean": [1.75],
            "expectation_n": [2],
            "expectation_sum": [7.0],
            "expectation_mean": [3.5],
            "perception_n": [2],
            "perception_sum": [12.0],
            "perception_mean": [6.0],
            "weight_n": [0],
            "weight_sum": [0.0],
            "weight_mean": [None],
        },  # fmt: skip
        schema_overrides={"weight_mean": pl.Float64},
    )
    assert_frame_equal(got, expected)
    assert 6.0 - 3.5 != 1.75  # gap need not equal perception_mean - expectation_mean


def test_overall_scores_unweighted_and_weighted():
    full = rows(
        "r1", "A",
        sq_e_01=4, sq_p_01=5,  # tangibles +1
        sq_e_05=6, sq_p_05=4,  # reliability -2
        sq_e_10=3, sq_p_10=5,  # responsiveness reversed: e 5, p 3 -> -2
        sq_e_14=5, sq_p_14=5,  # assurance 0
        sq_e_18=2, sq_p_18=1,  # empathy reversed: e 6, p 7 -> +1
        sq_w_tangibles=20, sq_w_reliability=30, sq_w_responsiveness=10, sq_w_assurance=25, sq_w_empathy=15,
    )  # fmt: skip
    partial = rows("r2", "B", sq_e_01=4, sq_p_01=5, sq_e_05=6, sq_p_05=4, sq_e_10=3, sq_p_10=5,
                   sq_e_14=5, sq_p_14=5, sq_w_tangibles=100)  # fmt: skip
    out = build(full + partial)
    # unweighted (1 - 2 - 2 + 0 + 1) / 5 = -0.4; weighted (20 - 60 - 20 + 0 + 15) / 100 = -0.45
    n, unweighted, weighted = cell(out, "A", "_overall", "n", "score_unweighted", "score_weighted")
    assert n == 1
    assert unweighted == pytest.approx(-0.4)
    assert weighted == pytest.approx(-0.45)
    assert cell(out, "A", "tangibles", "score_unweighted", "weight_mean") == (None, 20.0)
    assert cell(out, "B", "_overall", "n", "score_unweighted", "score_weighted") == (1, None, None)  # 4 of 5


def test_weight_mean_over_responses_that_answered_it():
    data = (
        rows("r1", "A", sq_e_01=4, sq_p_01=5, sq_w_tangibles=20)
        + rows("r2", "A", sq_e_01=4, sq_p_01=5, sq_w_tangibles=40)
        + rows("r3", "A", sq_e_01=4, sq_p_01=5)
    )
    assert cell(build(data), "A", "tangibles", "n", "weight_n", "weight_sum", "weight_mean") == (
        3,
        2,
        60.0,
        30.0,
    )


def test_all_sites_row_pools_responses():
    data = (
        rows("a1", "A", sq_e_01=3, sq_p_01=5)  # gap 2
        + rows("b1", "B", sq_e_01=5, sq_p_01=5)  # gap 0
        + rows("b2", "B", sq_e_01=4, sq_p_01=5)  # gap 1
    )
    out = build(data)
    # pooled (2 + 0 + 1) / 3 = 1.0; the average of the site means (2 + 0.5) / 2 would be 1.25
    assert cell(out, "ALL", "tangibles", "n", "gap_sum", "gap_mean") == (3, 3.0, 1.0)
    assert cell(out, "ALL", "_overall", "n") == (3,)


def test_missing_catalog_column_raises():
    with pytest.raises(ValueError, match=r"catalog: missing column\(s\) \['is_reverse'\]"):
        build_servqual_monthly(pl.LazyFrame(schema=SCHEMA), CATALOG.drop("is_reverse").lazy())
