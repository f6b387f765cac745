"""mart_satisfaction_monthly (METRICS.md sections 0 and 2), numbers worked by hand."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.catalog import load_catalog
from csi.settings import CONFIG_DIR
from csi.warehouse.frame_schema import FrameInvalid, validate_frame
from csi.warehouse.tables_marts_satisfaction import MART_SATISFACTION_MONTHLY
from transforms.satisfaction_monthly import apply_model_weights, build_satisfaction_monthly

CATALOG = load_catalog(CONFIG_DIR / "instruments.yaml")
JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)
ANSWER_SCHEMA = {"response_id": pl.String, "question_id": pl.String, "site_id": pl.String,
                 "submitted_at": pl.Datetime("us"), "answer": pl.Float64}  # fmt: skip
RESPONSE_SCHEMA = {"response_id": pl.String, "site_id": pl.String, "submitted_at": pl.Datetime("us"),
                   "nps_answer": pl.Int64}  # fmt: skip


def responses(site: str, scores: list[int | None], when: datetime, prefix: str = "") -> list[tuple]:
    return [(f"{prefix}{site}{when:%m}-{i}", site, when, s) for i, s in enumerate(scores)]


def answers(site: str, qid: str, values: list[float], when: datetime) -> list[tuple]:
    return [(f"{site}-{qid}-{i}", qid, site, when, v) for i, v in enumerate(values)]


def build(resp: list[tuple], ans: list[tuple] | None = None, **kw) -> pl.DataFrame:
    a = pl.LazyFrame(ans or [], schema=ANSWER_SCHEMA, orient="row")
    r = pl.LazyFrame(resp, schema=RESPONSE_SCHEMA, orient="row")
    out = build_satisfaction_monthly(a, r, CATALOG.lazy(), **kw).collect()
    validate_frame(MART_SATISFACTION_MONTHLY, out)
    return out


def cell(out: pl.DataFrame, month: date, site: str, *cols: str) -> tuple:
    return out.filter((pl.col("month") == month) & (pl.col("site_id") == site)).select(cols).row(0)


def test_all_sites_row_is_pooled_not_averaged_and_bi_reaggregation():
    t = datetime(2026, 1, 10, 9)
    out = build(responses("A", [10, 10, 0], t) + responses("B", [0], t))
    # A: 2 promoters, 1 detractor of 3 -> 33.333...; B: -100; average would be -33.33; pooled 2 - 2 of 4 -> 0
    assert cell(out, JAN, "A", "nps")[0] == pytest.approx(100 / 3)
    assert cell(out, JAN, "B", "nps") == (-100.0,)
    assert cell(out, JAN, "ALL", "nps_n", "promoters", "passives", "detractors", "nps") == (4, 2, 0, 2, 0.0)
    sites = out.filter(pl.col("site_id") != "ALL").select(pl.col("nps_n", "promoters", "detractors").sum())
    n, p, d = sites.row(0)
    assert 100 * (p - d) / n == cell(out, JAN, "ALL", "nps")[0]


def test_csat_ces_acsi_and_survey_complaint_rate_by_hand():
    t = datetime(2026, 1, 20)
    ans = (
        answers("A", "csat", [5, 4, 3, 1], t)  # top2 2/4 = 50 %, mean 13/4 = 3.25
        + answers("A", "ces", [7, 5, 4], t)  # easy 2/3 = 66.666..%, mean 16/3
        + answers("A", "acsi_sat_overall", [10, 8], t)  # mean 9 -> (9-1)/9*100 = 88.888..
        + answers("A", "acsi_sat_confirm", [1], t)  # mean 1 -> 0
        + answers("A", "acsi_sat_ideal", [4, 7], t)  # mean 5.5 -> 50
        + answers("A", "acsi_complained", [1, 0, 0, 1, 1], t)  # 3 / 5 = 60 %
    )
    out = build([], ans)
    got = out.filter(pl.col("site_id") == "A").select(
        "csat_n", "csat_top2_count", "csat_sum", "csat_top2_pct", "csat_mean", "ces_n", "ces_easy_count",
        "ces_sum", "ces_mean", "ces_easy_pct", "acsi_sat_overall_n", "acsi_sat_overall_sum",
        "acsi_index_equal", "complaint_survey_n", "complaint_survey_yes", "complaint_rate_survey_pct",
        "nps_n", "nps", "low_sample",
    )  # fmt: skip
    expected = pl.DataFrame(
        {
            "csat_n": [4],
            "csat_top2_count": [2],
            "csat_sum": [13.0],
            "csat_top2_pct": [50.0],
            "csat_mean": [3.25],
            "ces_n": [3],
            "ces_easy_count": [2],
            "ces_sum": [16.0],
            "ces_mean": [5.333333333333333],
            "ces_easy_pct": [66.66666666666667],
            "acsi_sat_overall_n": [2],
            "acsi_sat_overall_sum": [18.0],
            "acsi_index_equal": [46.2962962962963],  # (800/9 + 0 + 50) / 3 = 1250 / 27
            "complaint_survey_n": [5],
            "complaint_survey_yes": [3],
            "complaint_rate_survey_pct": [60.0],
            "nps_n": [0],
            "nps": [None],
            "low_sample": [True],
        },  # fmt: skip
        schema_overrides={"nps": pl.Float64},
    )
    assert_frame_equal(got, expected)


def test_zero_denominators_and_missing_acsi_item_give_null():
    t = datetime(2026, 1, 20)
    out = build(responses("A", [9], t), answers("A", "acsi_sat_overall", [10], t))
    row = cell(out, JAN, "A", "csat_top2_pct", "csat_mean", "ces_mean", "ces_easy_pct", "acsi_index_equal",
               "complaint_rate_survey_pct", "csat_n", "csat_sum")  # fmt: skip
    assert row == (None, None, None, None, None, None, 0, 0.0)


def test_acsi_items_come_from_the_catalog():
    extra = pl.DataFrame(
        [
            {
                "question_id": "acsi_sat_extra",
                "instrument": "acsi",
                "scale_min": 1.0,
                "scale_max": 10.0,
                "is_text": False,
                "construct": "SAT",
                "is_reverse": False,
            }
        ],  # fmt: skip
    )
    catalog = pl.concat([CATALOG, extra], how="diagonal_relaxed")
    a = pl.LazyFrame(answers("A", "acsi_sat_extra", [10], datetime(2026, 1, 2)), schema=ANSWER_SCHEMA, orient="row")
    out = build_satisfaction_monthly(a, pl.LazyFrame(schema=RESPONSE_SCHEMA), catalog.lazy()).collect()
    assert cell(out, JAN, "A", "acsi_sat_extra_n", "acsi_sat_extra_sum") == (1, 10.0)


def test_low_sample_boundary_29_vs_30():
    t = datetime(2026, 1, 5)
    out = build(responses("A", [9] * 29, t) + responses("B", [9] * 30, t))
    assert cell(out, JAN, "A", "nps_n", "low_sample") == (29, True)
    assert cell(out, JAN, "B", "nps_n", "low_sample") == (30, False)
    assert cell(out, JAN, "ALL", "nps_n", "low_sample") == (59, False)


def test_delta_significance_and_months_filter_keeps_previous_month():
    jan, feb = datetime(2026, 1, 31, 23, 59), datetime(2026, 2, 1)
    resp = (
        responses("A", [10] * 10, jan)  # nps 100, se 0
        + responses("A", [10] * 5 + [0] * 5, feb)  # nps 0, se = 100 * sqrt(0.1) = 31.6227766
        + responses("B", [10] * 5 + [0] * 5, jan)  # nps 0, se 31.6227766
        + responses("B", [10] * 6 + [0] * 4, feb)  # nps 20, se = 100 * sqrt(0.096) = 30.98386677
    )
    out = build(resp, months=[FEB])
    assert out["month"].unique().to_list() == [FEB]
    # A: |-100| > 1.96 * sqrt(0 + 1000) = 61.98 -> significant
    assert cell(out, FEB, "A", "nps_prev", "nps_delta", "nps_change_significant") == (100.0, -100.0, True)
    # B: 20 < 1.96 * sqrt(1000 + 960) = 86.77 -> not significant
    assert cell(out, FEB, "B", "nps_prev", "nps_delta", "nps_change_significant") == (0.0, 20.0, False)
    assert cell(out, FEB, "A", "nps_se")[0] == pytest.approx(31.622776601683793)


def test_late_record_changes_last_months_row():
    jan, feb = datetime(2026, 1, 15), datetime(2026, 2, 3)
    first = build(responses("A", [10, 0], jan) + responses("A", [10], feb))
    late = responses("A", [10, 10], jan, prefix="late")  # delivered with February's drop, dated January
    second = build(responses("A", [10, 0], jan) + responses("A", [10], feb) + late)
    assert cell(first, JAN, "A", "nps_n", "nps") == (2, 0.0)
    assert cell(second, JAN, "A", "nps_n", "nps") == (4, 50.0)  # counts in its own month
    assert cell(second, FEB, "A", "nps_n", "nps_prev", "nps_delta") == (1, 50.0, 50.0)


def test_no_previous_month_gives_null_delta():
    out = build(responses("A", [10], datetime(2026, 3, 1)))
    assert cell(out, date(2026, 3, 1), "A", "nps_prev", "nps_delta", "nps_change_significant") == (None,) * 3


def weights(quarter: date, site: str, items: list[str], values: list[float]) -> pl.LazyFrame:
    return pl.LazyFrame({"quarter": [quarter] * len(items), "site_id": [site] * len(items), "item": items,
                         "weight": values})  # fmt: skip


def test_apply_model_weights_normalises_the_quarters_weights():
    t = datetime(2026, 1, 20)
    ans = (
        answers("A", "acsi_sat_overall", [10, 8], t)
        + answers("A", "acsi_sat_confirm", [1], t)
        + answers("A", "acsi_sat_ideal", [4, 7], t)
        + answers("A", "acsi_sat_overall", [10], datetime(2026, 4, 2))  # Q2: no weights -> null
    )
    mart = build([], ans)
    sat = ["acsi_sat_overall", "acsi_sat_confirm", "acsi_sat_ideal"]
    pooled = weights(JAN, "ALL", sat, [1.0, 1.0, 2.0]).drop("site_id")  # no site_id: the 'ALL' weights
    a = pl.LazyFrame(ans, schema=ANSWER_SCHEMA, orient="row")
    out = apply_model_weights(mart.lazy(), pooled, a, CATALOG).collect()
    assert out.columns == mart.columns
    # 0.25 * 800/9 + 0.25 * 0 + 0.5 * 50 = 425 / 9, for A and for ALL (A's answers only)
    assert cell(out, JAN, "A", "acsi_index_model")[0] == pytest.approx(425 / 9)
    assert cell(out, JAN, "ALL", "acsi_index_model")[0] == pytest.approx(425 / 9)
    assert cell(out, date(2026, 4, 1), "A", "acsi_index_model") == (None,)


def test_ecsi_index_with_site_weights_where_the_site_model_is_estimated():
    # The configured model is ECSI: its index construct's items are ecsi_sat_1..3 (not columns of
    # the mart), answered on 1-10. January:
    #   A: sat_1 10, 8 (mean 9 -> 800/9); sat_2 1 (0); sat_3 4, 7 (5.5 -> 50)
    #   B: sat_1 1 (0); sat_2 10 (100); sat_3 10 (100)
    #   ALL: sat_1 mean 19/3 (-> 1600/27); sat_2 5.5 (50); sat_3 7 (200/3)
    # Q1 weights: ALL 1, 1, 2 (-> 0.25, 0.25, 0.5); A's own model 1, 1, 0 (-> 0.5, 0.5, 0); B has none.
    #   A = 0.5 * 800/9 = 400/9 (its own weights); B = 0.25 * 100 + 0.5 * 100 = 75 (pooled weights);
    #   ALL = 0.25 * 1600/27 + 0.25 * 50 + 0.5 * 200/3 = 1637.5 / 27.
    # February: A answers sat_1 and sat_2 only -> a weighted item without answer -> null (for A's own
    # weights sat_3 weighs 0, still no answer: null).
    jan, feb = datetime(2026, 1, 20), datetime(2026, 2, 3)
    resp = responses("A", [9], jan) + responses("B", [9], jan) + responses("A", [9], feb)
    ans = (
        answers("A", "ecsi_sat_1", [10, 8], jan) + answers("A", "ecsi_sat_2", [1], jan)
        + answers("A", "ecsi_sat_3", [4, 7], jan) + answers("B", "ecsi_sat_1", [1], jan)
        + answers("B", "ecsi_sat_2", [10], jan) + answers("B", "ecsi_sat_3", [10], jan)
        + answers("A", "ecsi_sat_1", [5], feb) + answers("A", "ecsi_sat_2", [5], feb)
    )  # fmt: skip
    mart = build(resp, ans)
    sat = ["ecsi_sat_1", "ecsi_sat_2", "ecsi_sat_3"]
    w = pl.concat([weights(JAN, "ALL", sat, [1.0, 1.0, 2.0]), weights(JAN, "A", sat, [1.0, 1.0, 0.0])])
    out = apply_model_weights(mart.lazy(), w, pl.LazyFrame(ans, schema=ANSWER_SCHEMA, orient="row"), CATALOG)
    out = out.collect()
    validate_frame(MART_SATISFACTION_MONTHLY, out)
    assert cell(out, JAN, "A", "acsi_index_model")[0] == pytest.approx(400 / 9, rel=1e-12)
    assert cell(out, JAN, "B", "acsi_index_model")[0] == pytest.approx(75.0, rel=1e-12)
    assert cell(out, JAN, "ALL", "acsi_index_model")[0] == pytest.approx(1637.5 / 27, rel=1e-12)
    assert cell(out, FEB, "A", "acsi_index_model") == (None,)
    assert cell(out, JAN, "A", "acsi_index_equal") == (None,)  # the equal-weights index is ACSI's items


def test_weighted_item_missing_from_the_catalog_is_refused():
    mart = build(responses("A", [9], datetime(2026, 1, 20)))
    w = weights(JAN, "ALL", ["no_such_item"], [1.0])
    with pytest.raises(ValueError, match=r"catalog: no scale for the weighted item\(s\) \['no_such_item'\]"):
        apply_model_weights(mart.lazy(), w, pl.LazyFrame(schema=ANSWER_SCHEMA), CATALOG)


def test_missing_column_raises_clear_error():
    r = pl.LazyFrame(schema={k: v for k, v in RESPONSE_SCHEMA.items() if k != "nps_answer"})
    with pytest.raises(ValueError, match=r"fct_survey_response: missing column\(s\) \['nps_answer'\]"):
        build_satisfaction_monthly(pl.LazyFrame(schema=ANSWER_SCHEMA), r, CATALOG.lazy())


def test_schema_rejects_out_of_range_nps():
    good = build(responses("A", [10], datetime(2026, 1, 5)))
    with pytest.raises(FrameInvalid, match="nps"):
        validate_frame(MART_SATISFACTION_MONTHLY, good.with_columns(nps=pl.lit(150.0)))
