"""BI views over the marts: `latest` views of each snapshot mart, readable labels
where the marts use codes, and the declining valuable customers (METRICS 8)."""

from __future__ import annotations

from csi.warehouse.tables_alerts import MART_ALERTS
from csi.warehouse.tables_marts_customers import (
    MART_CHURN_BACKTEST,
    MART_CHURN_SIGNALS,
    MART_CLV_MODEL,
    MART_CUSTOMER_VALUE,
    MART_WHALE_CURVE,
)
from csi.warehouse.tables_marts_drivers import MART_CLV_VALIDATION, MART_DRIVER_IMPORTANCE, MART_PLS_QUALITY
from csi.warehouse.tables_marts_satisfaction import MART_ACSI_MODEL, MART_KANO_QUARTERLY
from csi.warehouse.tables_text import MART_COMPLAINT_CATEGORIES_MONTHLY, MART_TOPICS_MONTHLY
from csi.warehouse.view import View

LATEST_VIEWS = tuple(
    View(
        f"{mart.name}_latest",
        f"SELECT * FROM {mart.name} WHERE as_of_date = (SELECT max(as_of_date) FROM {mart.name})",
        f"The newest snapshot of {mart.name}.",
        sources=(mart,),
    )
    for mart in (MART_CUSTOMER_VALUE, MART_CLV_MODEL, MART_WHALE_CURVE, MART_CHURN_SIGNALS, MART_CHURN_BACKTEST)
)

V_DECLINING_VALUABLE_CUSTOMERS = View(
    "v_declining_valuable_customers",
    "SELECT s.as_of_date, s.customer_id, v.value_tier, v.margin_365d, v.clv_365d, v.monetary, "
    "v.frequency, v.last_order_date, s.risk_score, s.risk_band, s.reasons "
    "FROM mart_churn_signals s JOIN mart_customer_value v "
    "ON v.as_of_date = s.as_of_date AND v.customer_id = s.customer_id "
    "WHERE s.risk_band = 'high' AND v.value_tier IN ('platinum', 'gold')",
    "Platinum and gold customers in the high churn-risk band, with the reasons and their value "
    "(every snapshot; filter on the newest as_of_date for today's list).",
    sources=(MART_CHURN_SIGNALS, MART_CUSTOMER_VALUE),
)

V_MART_KANO_QUARTERLY = View(
    "v_mart_kano_quarterly",
    "SELECT k.*, CASE k.category WHEN 'A' THEN 'attractive' WHEN 'O' THEN 'one-dimensional' "
    "WHEN 'M' THEN 'must-be' WHEN 'I' THEN 'indifferent' WHEN 'R' THEN 'reverse' "
    "WHEN 'Q' THEN 'questionable' END AS category_label FROM mart_kano_quarterly k",
    "mart_kano_quarterly with the KANO category spelled out.",
    sources=(MART_KANO_QUARTERLY,),
    columns={"category_label": "category in words: attractive, one-dimensional, must-be, indifferent, "
                               "reverse or questionable"},
)

V_MART_ACSI_MODEL = View(
    "v_mart_acsi_model",
    "SELECT m.*, CASE m.construct WHEN 'EXP' THEN 'customer expectations' WHEN 'PQ' THEN 'perceived quality' "
    "WHEN 'PV' THEN 'perceived value' WHEN 'SAT' THEN 'satisfaction (ACSI)' WHEN 'COMP' THEN 'complaints' "
    "WHEN 'LOY' THEN 'loyalty' WHEN 'IMG' THEN 'corporate image' END AS construct_label, "
    "CASE WHEN m.std_error > 0 THEN m.estimate / m.std_error END AS t_value, "
    "CASE WHEN m.std_error > 0 THEN abs(m.estimate / m.std_error) > 1.96 END AS is_significant "
    "FROM mart_acsi_model m",
    "mart_acsi_model with construct names and the bootstrap t value (|t| > 1.96: significant at 5 %).",
    sources=(MART_ACSI_MODEL,),
    columns={
        "construct_label": "construct in words (e.g. SAT: satisfaction (ACSI)); null for another code",
        "t_value": "estimate / std_error; null without a positive bootstrap standard error",
        "is_significant": "|t_value| > 1.96: different from 0 at the 5 % level; null without a t value",
    },
)



def _construct_words(column: str) -> str:
    """CASE spelling out a construct code (the names of V_MART_ACSI_MODEL)."""
    return (f"CASE {column} WHEN 'EXP' THEN 'customer expectations' WHEN 'PQ' THEN 'perceived quality' "
            "WHEN 'PV' THEN 'perceived value' WHEN 'SAT' THEN 'satisfaction (ACSI)' WHEN 'COMP' THEN 'complaints' "
            "WHEN 'LOY' THEN 'loyalty' WHEN 'IMG' THEN 'corporate image' END")


_WEIGHTING_WORDS = ("CASE m.weighting WHEN 'equal' THEN 'all respondents equally' "
                    "WHEN 'clv' THEN 'respondents weighted by CLV' END AS weighting_label")
_WEIGHTING_LABEL = "weighting in words: all respondents equally, or respondents weighted by CLV"
# the newest quarter whose model was estimated (a new quarter's first days may have too few responses)
_NEWEST_OK = "m.quarter = (SELECT max(quarter) FROM {t} WHERE {ok})"

V_DRIVER_IMPORTANCE_LATEST = View(
    "v_driver_importance_latest",
    "SELECT m.*, " + _construct_words("m.driver") + " AS driver_label, " + _WEIGHTING_WORDS + ", "
    "CASE m.quadrant WHEN 'concentrate_here' THEN 'concentrate here' WHEN 'keep_up' THEN 'keep up the good work' "
    "WHEN 'low_priority' THEN 'low priority' WHEN 'possible_overkill' THEN 'possible overkill' END "
    "AS quadrant_label FROM mart_driver_importance m WHERE "
    + _NEWEST_OK.format(t="mart_driver_importance", ok="status = 'ok'"),
    "Key drivers of the newest quarter with an estimated model, both weightings side by side: importance "
    "(total effect), performance (0-100) and the ACSI impact of a 5-point gain (docs/acsi-model.md).",
    sources=(MART_DRIVER_IMPORTANCE,),
    columns={
        "driver_label": "driver construct in words (e.g. PQ: perceived quality); null for another code",
        "weighting_label": _WEIGHTING_LABEL,
        "quadrant_label": "quadrant in words: concentrate here (important, performing below the drivers' mean), "
                          "keep up the good work, low priority, possible overkill",
    },
)

V_PLS_QUALITY_LATEST = View(
    "v_pls_quality_latest",
    "SELECT m.*, CASE m.kind WHEN 'loading' THEN 'outer loading' WHEN 'alpha' THEN 'Cronbach''s alpha' "
    "WHEN 'rho_a' THEN 'reliability rho_A' WHEN 'rho_c' THEN 'composite reliability rho_C' "
    "WHEN 'ave' THEN 'average variance extracted (AVE)' WHEN 'htmt' THEN 'heterotrait-monotrait ratio (HTMT)' "
    "WHEN 'vif' THEN 'collinearity (VIF)' WHEN 'f2' THEN 'effect size f2' END AS kind_label, "
    + _construct_words("m.construct") + " AS construct_label, "
    + _construct_words("m.from_construct") + " AS from_construct_label, "
    + _construct_words("m.to_construct") + " AS to_construct_label, " + _WEIGHTING_WORDS + " "
    "FROM mart_pls_quality m WHERE " + _NEWEST_OK.format(t="mart_pls_quality", ok="TRUE"),
    "Measurement-model quality of the newest estimated quarter (reliability, validity, HTMT, VIF, f2) with "
    "its flags: read it before the drivers (docs/acsi-model.md).",
    sources=(MART_PLS_QUALITY,),
    columns={
        "kind_label": "the statistic in words (e.g. rho_c: composite reliability rho_C)",
        "construct_label": "construct in words; null for pair and path rows",
        "from_construct_label": "first construct of an HTMT pair, or the predictor of a path, in words",
        "to_construct_label": "second construct of an HTMT pair, or the target of a path, in words",
        "weighting_label": _WEIGHTING_LABEL,
    },
)

V_CLV_VALIDATION_LATEST = View(
    "v_clv_validation_latest",
    "SELECT m.*, CASE WHEN m.frequency_bin = 'total' THEN 'all customers' "
    "WHEN m.frequency_bin = '7+' THEN '7 or more repeat orders' WHEN m.frequency_bin = '1' THEN '1 repeat order' "
    "ELSE m.frequency_bin || ' repeat orders' END AS frequency_bin_label, "
    "m.predicted_mean - m.actual_mean AS error_mean, "
    "CASE WHEN m.actual_orders > 0 THEN 100.0 * (m.predicted_orders - m.actual_orders) / m.actual_orders END "
    "AS error_pct FROM mart_clv_validation m WHERE m.as_of_date = (SELECT max(as_of_date) FROM mart_clv_validation)",
    "BG/NBD holdout check of the newest validation as-of date: actual vs predicted holdout orders per "
    "calibration frequency (docs/customer-value.md).",
    sources=(MART_CLV_VALIDATION,),
    columns={
        "frequency_bin_label": "the bin in words: repeat orders in the calibration period, or all customers",
        "error_mean": "predicted_mean - actual_mean: > 0 the model over-predicts the bin",
        "error_pct": "100 * (predicted_orders - actual_orders) / actual_orders; null without actual orders",
    },
)

MART_VIEWS: tuple[View, ...] = (*LATEST_VIEWS, V_DECLINING_VALUABLE_CUSTOMERS, V_MART_KANO_QUARTERLY,
                                V_MART_ACSI_MODEL,
                                V_DRIVER_IMPORTANCE_LATEST, V_PLS_QUALITY_LATEST, V_CLV_VALIDATION_LATEST)


V_ALERTS_OPEN = View(
    "v_alerts_open",
    "SELECT a.*, CASE a.rule WHEN 'nps_drop' THEN 'NPS fell significantly' "
    "WHEN 'csat_drop' THEN 'CSAT top-2-box fell significantly' WHEN 'sla_breach' THEN 'complaint SLA missed' "
    "WHEN 'backlog_growth' THEN 'complaint backlog grew' WHEN 'feed_missing' THEN 'feed missing' "
    "WHEN 'quarantine_spike' THEN 'quarantine spike' "
    "WHEN 'valuable_at_risk' THEN 'valuable customers at risk' END AS rule_label, "
    "CASE WHEN a.rule IN ('feed_missing', 'quarantine_spike') THEN 'source' WHEN a.subject = 'ALL' THEN 'all' "
    "ELSE 'site' END AS subject_kind, CASE a.severity WHEN 'critical' THEN 1 ELSE 2 END AS severity_rank "
    "FROM mart_alerts a WHERE NOT a.resolved",
    "The alerts whose condition still holds (mart_alerts, resolved = false), with the rule in words; "
    "sort by severity_rank, then period descending.",
    sources=(MART_ALERTS,),
    columns={
        "rule_label": "the rule in words (e.g. nps_drop: NPS fell significantly)",
        "subject_kind": "site (subject is a site_id), all (all sites or all customers) or source (a landing feed)",
        "severity_rank": "1 critical, 2 warning: sort ascending for the most urgent first",
    },
)
MART_VIEWS = (*MART_VIEWS, V_ALERTS_OPEN)

_TEXT_SOURCE_LABEL = ("CASE m.source WHEN 'survey' THEN 'survey comments' "
                      "WHEN 'complaint' THEN 'complaint descriptions' END AS source_label")
V_TOPICS_MONTHLY = View(
    "v_topics_monthly",
    f"SELECT m.*, {_TEXT_SOURCE_LABEL} FROM mart_topics_monthly m",
    "mart_topics_monthly with the source in words (topic_label is the dictionary's label); for what pulls NPS "
    "down, filter source = 'survey' and sort nps_impact ascending (docs/voice-of-customer.md).",
    sources=(MART_TOPICS_MONTHLY,),
    columns={"source_label": "survey comments or complaint descriptions"},
)
V_TOPICS_LATEST_MONTH = View(
    "v_topics_latest_month",
    f"SELECT m.*, {_TEXT_SOURCE_LABEL} FROM mart_topics_monthly m "
    "WHERE m.month = (SELECT max(month) FROM mart_topics_monthly)",
    "The newest month of mart_topics_monthly (it may still be running: check texts), source in words.",
    sources=(MART_TOPICS_MONTHLY,),
    columns={"source_label": "survey comments or complaint descriptions"},
)
V_COMPLAINT_CATEGORIES_LATEST_MONTH = View(
    "v_complaint_categories_latest_month",
    "SELECT m.*, COALESCE(m.category, '(none)') AS category_label, COALESCE(m.channel, '(none)') AS channel_label "
    "FROM mart_complaint_categories_monthly m "
    "WHERE m.month = (SELECT max(month) FROM mart_complaint_categories_monthly)",
    "The newest month of mart_complaint_categories_monthly, with a label for the null category and channel.",
    sources=(MART_COMPLAINT_CATEGORIES_MONTHLY,),
    columns={"category_label": "category, '(none)' when the complaint had none",
             "channel_label": "channel, '(none)' when the complaint had none"},
)
MART_VIEWS = (*MART_VIEWS, V_TOPICS_MONTHLY, V_TOPICS_LATEST_MONTH, V_COMPLAINT_CATEGORIES_LATEST_MONTH)
