"""The pandera schemas generated from the table declarations: they say what the declaration
says, accept the marts the transforms build and refuse a frame the warehouse must not hold."""

from __future__ import annotations

from datetime import date, datetime

import pandera.errors
import polars as pl
import pytest

from csi.warehouse.declare import TYPES
from csi.warehouse.frame_schema import FrameInvalid, pandera_schema, validate_frame
from csi.warehouse.tables import TABLES
from csi.warehouse.tables_alerts import MART_ALERTS
from csi.warehouse.tables_core import FCT_SALES
from csi.warehouse.tables_marts_customers import (
    MART_CHURN_BACKTEST,
    MART_CHURN_SIGNALS,
    MART_CLV_MODEL,
    MART_CUSTOMER_VALUE,
    MART_WHALE_CURVE,
)
from csi.warehouse.tables_text import MART_COMPLAINT_CATEGORIES_MONTHLY, MART_TOPICS_MONTHLY
from tests.transforms.customer_data import complaints, d, fake_models, responses, sales, ts
from transforms import alerts
from transforms.alerts import feed_missing, merge_alerts
from transforms.churn_backtest import build_churn_backtest
from transforms.churn_signals import build_churn_signals
from transforms.complaint_categories_monthly import build_complaint_categories_monthly
from transforms.customer_value import customer_value_with_models
from transforms.topics_monthly import build_topics_monthly
from transforms.whale_curve import build_whale_curve

D = date(2025, 3, 31)


def backtest(**changes: list) -> pl.DataFrame:
    """mart_churn_backtest of one snapshot: 10 customers, 4 churned, all in low and medium."""
    rows = {
        "as_of_date": [D] * 4,
        "risk_band": ["ALL", "low", "medium", "high"],
        "customers": [10, 6, 4, 0],
        "churned": [4, 1, 3, 0],
        "churn_rate_pct": [40.0, 100 / 6, 75.0, None],
        "auc": [0.8, None, None, None],
    }
    return pl.DataFrame({**rows, **changes})


def test_every_table_schema_says_what_its_declaration_says():
    for decl in TABLES:
        schema = pandera_schema(decl)
        assert list(schema.columns) == decl.column_names, decl.name
        assert schema.strict is True
        assert (schema.unique or []) == list(decl.key), decl.name
        for col in decl.columns:
            column = schema.columns[col.name]
            assert column.dtype.type == TYPES[col.type][1], f"{decl.name}.{col.name}"
            assert column.nullable == col.nullable, f"{decl.name}.{col.name}"
            assert len(column.checks) == (1 if col.has_rule else 0), f"{decl.name}.{col.name}"
        schema.validate(pl.DataFrame(schema=decl.polars_schema))  # an empty table is valid


def test_the_warehouse_dtypes_are_the_ones_the_scores_drifted_from():
    # r/f/m_score are int (Int32) in the warehouse; the old hand-written model said Int8
    schema = pandera_schema(MART_CUSTOMER_VALUE)
    assert schema.columns["r_score"].dtype.type == pl.Int32()
    empty = pl.DataFrame(schema=MART_CUSTOMER_VALUE.polars_schema)
    with pytest.raises(pandera.errors.SchemaError, match="r_score"):
        schema.validate(empty.cast({"r_score": pl.Int8}))
    assert validate_frame(MART_CUSTOMER_VALUE, empty.cast({"r_score": pl.Int8})).schema["r_score"] == pl.Int32


def test_a_hand_worked_backtest_is_accepted_and_stored_with_the_warehouse_dtypes():
    stored = validate_frame(MART_CHURN_BACKTEST, backtest().with_columns(working=pl.lit(1)))
    assert stored.columns == MART_CHURN_BACKTEST.column_names  # the working column is not stored
    assert stored.schema["customers"] == pl.Int64
    assert stored["churn_rate_pct"].to_list() == [40.0, 100 / 6, 75.0, None]  # null passes a rule


def test_an_unknown_vocabulary_value_is_refused():
    with pytest.raises(FrameInvalid, match=r"mart_churn_backtest: risk_band: isin.*1 rows, e\.g\. extreme"):
        validate_frame(MART_CHURN_BACKTEST, backtest(risk_band=["ALL", "low", "medium", "extreme"]))


def test_an_out_of_range_value_is_refused():
    # churn_rate_pct is a share of customers in %: 0 ..100 inclusive
    validate_frame(MART_CHURN_BACKTEST, backtest(churn_rate_pct=[0.0, 100.0, 75.0, None]))
    with pytest.raises(FrameInvalid, match=r"churn_rate_pct: in_range\(0, 100\) \(1 rows, e\.g\. 100\.5\)"):
        validate_frame(MART_CHURN_BACKTEST, backtest(churn_rate_pct=[40.0, 100.5, 75.0, None]))
    with pytest.raises(FrameInvalid, match=r"auc: in_range\(0, 1\) \(1 rows, e\.g\. -0\.1\)"):
        validate_frame(MART_CHURN_BACKTEST, backtest(auc=[-0.1, None, None, None]))


def test_a_strict_bound_excludes_the_bound():
    # fct_sales.discount: 0 <= discount < 1
    frame = pl.DataFrame(schema=FCT_SALES.polars_schema)
    with pytest.raises(pandera.errors.SchemaError, match="discount"):
        pandera_schema(FCT_SALES).validate(pl.concat([frame, _sales_line(discount=1.0)]))
    pandera_schema(FCT_SALES).validate(pl.concat([frame, _sales_line(discount=0.0)]))


def _sales_line(**changes: object) -> pl.DataFrame:
    line = {
        "order_id": "O1", "line_no": 1, "order_type": "sale", "customer_id": "C1", "site_id": "S1",
        "channel": "store", "ordered_at": ts(5), "order_date": d(5), "product_category": "tea",
        "quantity": 2, "unit_price": 10.0, "discount": 0.5, "revenue": 10.0, "cost": 4.0, "margin": 6.0,
        "currency": "CNY", "drop_date": d(6), "source_file": "sales/dt=2025-01-06/a.csv", "record_no": 1,
    }  # fmt: skip
    return pl.DataFrame([{**line, **changes}], schema=FCT_SALES.polars_schema)


def test_a_wrong_dtype_is_refused():
    with pytest.raises(FrameInvalid, match="mart_churn_backtest: customers is String, declared bigint"):
        validate_frame(MART_CHURN_BACKTEST, backtest(customers=["10", "6", "4", "0"]))
    with pytest.raises(FrameInvalid, match="as_of_date is String, declared date"):
        validate_frame(MART_CHURN_BACKTEST, backtest(as_of_date=["2025-03-31"] * 4))
    with pytest.raises(pandera.errors.SchemaError, match="customers"):
        pandera_schema(MART_CHURN_BACKTEST).validate(backtest(customers=[10.0, 6.0, 4.0, 0.0]))


def test_a_value_too_large_for_its_type_is_refused():
    # fct_sales.line_no is int (32-bit): 2**31 does not fit
    with pytest.raises(FrameInvalid, match="fct_sales: a value does not fit its declared type"):
        validate_frame(FCT_SALES, _sales_line().with_columns(line_no=pl.lit(2**31, pl.Int64)))


def test_a_null_in_a_not_null_column_a_duplicate_key_and_a_missing_column_are_refused():
    with pytest.raises(FrameInvalid, match=r"customers: not_nullable \(1 rows"):
        validate_frame(MART_CHURN_BACKTEST, backtest(customers=[10, None, 4, 0]))
    with pytest.raises(FrameInvalid, match=r"key \(as_of_date, risk_band\) not unique \(2 rows\)"):
        validate_frame(MART_CHURN_BACKTEST, backtest(risk_band=["ALL", "low", "medium", "medium"]))
    with pytest.raises(FrameInvalid, match=r"mart_churn_backtest: the frame lacks columns \['auc'\]"):
        validate_frame(MART_CHURN_BACKTEST, backtest().drop("auc"))


# a small population: a repeat customer, a one-order customer, a customer whose only line is a return
SALES = sales([
    ("a1", "sale", "a", d(5), 100.0, 60.0), ("a2", "sale", "a", d(20, 2), 50.0, 30.0),
    ("b1", "sale", "b", d(10, 3), 20.0, 15.0),
    ("c1", "sale", "c", d(1), 30.0, 20.0), ("c1r", "return", "c", d(3), -30.0, -20.0),
])  # fmt: skip
RESPONSES = responses([("r1", "a", ts(1, 3), 10), ("r2", "b", ts(15, 3), 3), ("r3", "p", ts(1, 3), 8)])
COMPLAINTS = complaints([("k1", "b", ts(20, 3), None, False)])


def test_the_customer_marts_the_transforms_build_pass_their_generated_schemas():
    mart, models = customer_value_with_models(SALES, RESPONSES, COMPLAINTS, [D], models=fake_models())
    value = validate_frame(MART_CUSTOMER_VALUE, mart)
    assert sorted(value["customer_id"]) == ["a", "b", "c", "p"]  # p: a prospect with a response only
    assert validate_frame(MART_CLV_MODEL, models)["model"].to_list() == ["bgnbd", "gamma_gamma"]
    assert validate_frame(MART_WHALE_CURVE, build_whale_curve(mart)).height == 20
    signals = validate_frame(MART_CHURN_SIGNALS,
                             build_churn_signals(SALES, RESPONSES, COMPLAINTS, [D], p_alive=mart.select(
                                 "as_of_date", "customer_id", "p_alive")))
    assert signals.filter(pl.col("customer_id") == "b")["open_complaints"].to_list() == [1]
    later = build_churn_backtest(signals.lazy(), SALES, data_end=date(2025, 7, 1))
    assert validate_frame(MART_CHURN_BACKTEST, later)["risk_band"].to_list() == ["ALL", "low", "medium", "high"]


JAN = date(2026, 1, 1)


def test_the_text_marts_the_transforms_build_pass_their_generated_schemas():
    # two January comments at site A: r1 (NPS 3, a detractor) mentions delivery, r2 (NPS 10) nothing
    texts = pl.LazyFrame(
        [("t1", "survey", "r1", "A", datetime(2026, 1, 3), -0.5, "negative", ["delivery"]),
         ("t2", "survey", "r2", "A", datetime(2026, 1, 4), 0.5, "positive", [])],
        schema={"text_id": pl.String, "source": pl.String, "response_id": pl.String, "site_id": pl.String,
                "written_at": pl.Datetime("us"), "sentiment": pl.Float64, "sentiment_label": pl.String,
                "topics": pl.List(pl.String)}, orient="row")  # fmt: skip
    nps = pl.LazyFrame({"response_id": ["r1", "r2"], "nps_answer": [3, 10]})
    # topic_label is joined by the refresh from the dictionary
    topics = build_topics_monthly(texts, nps).with_columns(topic_label=pl.lit("Delivery"))
    stored = validate_frame(MART_TOPICS_MONTHLY, topics)
    row = stored.filter(site_id="A").row(0, named=True)
    assert (row["texts"], row["mentions"], row["share_pct"], row["negative_pct"]) == (2, 1, 50.0, 100.0)
    # with the topic: r1 only, NPS -100; without: r2, NPS 100; impact -200 is the declared floor
    assert (row["nps_with"], row["nps_without"], row["nps_impact"]) == (-100.0, 100.0, -200.0)

    complaints = pl.LazyFrame(
        [("k1", "A", datetime(2026, 1, 5, 8), datetime(2026, 1, 5, 10), "delivery", "phone", 1, 10.0)],
        schema={"complaint_id": pl.String, "site_id": pl.String, "opened_at": pl.Datetime("us"),
                "closed_at": pl.Datetime("us"), "category": pl.String, "channel": pl.String, "severity": pl.Int64,
                "compensation": pl.Float64}, orient="row")  # fmt: skip
    described = pl.LazyFrame({"complaint_id": ["k1"], "topics": [["delivery"]]})
    categories = validate_frame(MART_COMPLAINT_CATEGORIES_MONTHLY,
                                build_complaint_categories_monthly(complaints, described, {1: 4.0}))
    # closed after 2 h within the 4 h of severity 1: met
    assert categories.filter(site_id="A").select("opened_count", "sla_met_pct", "top_topic_1").row(0) == (
        1, 100.0, "delivery")


def test_the_alerts_table_the_merge_builds_passes_its_generated_schema():
    files = pl.LazyFrame({"drop_date": [JAN, JAN], "source": ["sales", "surveys"]})
    found = feed_missing(pl.LazyFrame({"business_date": [JAN]}), files).collect()
    merged = merge_alerts(pl.DataFrame(schema=alerts.TABLE_SCHEMA), found, ["feed_missing"], "run-1",
                          datetime(2026, 1, 2, 6))
    stored = validate_frame(MART_ALERTS, merged)
    assert stored.select("rule", "severity", "subject", "period", "resolved").rows() == [
        ("feed_missing", "critical", "complaints", JAN, False)]
    with pytest.raises(FrameInvalid, match=r"mart_alerts: rule: isin.*e\.g\. feed_late"):
        validate_frame(MART_ALERTS, merged.with_columns(rule=pl.lit("feed_late")))
