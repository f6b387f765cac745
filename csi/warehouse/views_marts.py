"""BI views over the marts: `latest` views of each snapshot mart, readable labels
where the marts use codes, and the declining valuable customers (METRICS 8)."""

from __future__ import annotations

from csi.warehouse.tables_marts_customers import (
    MART_CHURN_BACKTEST,
    MART_CHURN_SIGNALS,
    MART_CLV_MODEL,
    MART_CUSTOMER_VALUE,
    MART_WHALE_CURVE,
)
from csi.warehouse.views import View, register

for _mart in (MART_CUSTOMER_VALUE, MART_CLV_MODEL, MART_WHALE_CURVE, MART_CHURN_SIGNALS, MART_CHURN_BACKTEST):
    register(View(
        f"{_mart.name}_latest",
        f"SELECT * FROM {_mart.name} WHERE as_of_date = (SELECT max(as_of_date) FROM {_mart.name})",
        f"The newest snapshot of {_mart.name}.",
    ))

V_DECLINING_VALUABLE_CUSTOMERS = register(View(
    "v_declining_valuable_customers",
    "SELECT s.as_of_date, s.customer_id, v.value_tier, v.margin_365d, v.clv_365d, v.monetary, "
    "v.frequency, v.last_order_date, s.risk_score, s.risk_band, s.reasons "
    "FROM mart_churn_signals s JOIN mart_customer_value v "
    "ON v.as_of_date = s.as_of_date AND v.customer_id = s.customer_id "
    "WHERE s.risk_band = 'high' AND v.value_tier IN ('platinum', 'gold')",
    "Platinum and gold customers in the high churn-risk band, with the reasons and their value "
    "(every snapshot; filter on the newest as_of_date for today's list).",
))

V_MART_KANO_QUARTERLY = register(View(
    "v_mart_kano_quarterly",
    "SELECT k.*, CASE k.category WHEN 'A' THEN 'attractive' WHEN 'O' THEN 'one-dimensional' "
    "WHEN 'M' THEN 'must-be' WHEN 'I' THEN 'indifferent' WHEN 'R' THEN 'reverse' "
    "WHEN 'Q' THEN 'questionable' END AS category_label FROM mart_kano_quarterly k",
    "mart_kano_quarterly with the KANO category spelled out.",
))

V_MART_ACSI_MODEL = register(View(
    "v_mart_acsi_model",
    "SELECT m.*, CASE m.construct WHEN 'EXP' THEN 'customer expectations' WHEN 'PQ' THEN 'perceived quality' "
    "WHEN 'PV' THEN 'perceived value' WHEN 'SAT' THEN 'satisfaction (ACSI)' WHEN 'COMP' THEN 'complaints' "
    "WHEN 'LOY' THEN 'loyalty' WHEN 'IMG' THEN 'corporate image' END AS construct_label, "
    "CASE WHEN m.std_error > 0 THEN m.estimate / m.std_error END AS t_value, "
    "CASE WHEN m.std_error > 0 THEN abs(m.estimate / m.std_error) > 1.96 END AS is_significant "
    "FROM mart_acsi_model m",
    "mart_acsi_model with construct names and the bootstrap t value (|t| > 1.96: significant at 5 %).",
))
