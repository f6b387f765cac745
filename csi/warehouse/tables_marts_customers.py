"""Declarations of the customer snapshot marts (METRICS 7 and 8; docs/customer-value.md).

The column order of a mart whose transform lists its output (transforms/mart_columns.py for
mart_customer_value and mart_clv_model; whale_curve, churn_signals, churn_backtest .COLUMNS) is
the transform's."""

from __future__ import annotations

from csi.vocab import BACKTEST_BANDS, LOYALTY_STAGES, RFM_SEGMENTS, RISK_BANDS, VALUE_TIERS
from csi.warehouse.declare import NN, C, TableDecl, in_order
from transforms.churn_backtest import COLUMNS as BACKTEST_COLUMNS
from transforms.churn_signals import COLUMNS as SIGNAL_COLUMNS
from transforms.mart_columns import CLV_MODEL_COLUMNS, CUSTOMER_VALUE_COLUMNS
from transforms.whale_curve import COLUMNS as WHALE_COLUMNS

SCORE = {"min": 1, "max": 5}
PROBABILITY = {"min": 0, "max": 1}
NPS_ANSWER = {"min": 0, "max": 10}

AS_OF = NN("as_of_date", "date", "snapshot date D (a business date); figures use data on or before D")

MART_CUSTOMER_VALUE = TableDecl(
    "mart_customer_value", "mart",
    "Customer value (METRICS 7): one row per snapshot date x customer with a sale by D, plus prospects.",
    in_order(CUSTOMER_VALUE_COLUMNS, (
        AS_OF,
        NN("customer_id", "text", "customer"),
        C("first_order_date", "date", "date of the first sale order"),
        C("last_order_date", "date", "date of the latest sale order on or before D"),
        C("recency_days", "bigint", "D - last_order_date in days"),
        C("frequency", "bigint", "distinct sale orders on or before D"),
        C("monetary", "double", "net revenue on or before D (returns subtract)"),
        C("margin", "double", "net revenue - net cost on or before D"),
        C("margin_365d", "double", "margin over (D-365, D]; 0 without activity there"),
        C("r_score", "int", "recency score 1-5: 1 + floor(5 * (rank_min - 1) / n), 1 = worst", **SCORE),
        C("f_score", "int", "frequency score 1-5, same rule", **SCORE),
        C("m_score", "int", "monetary score 1-5, same rule", **SCORE),
        C("rfm_segment", "text", "segment from the configured R x F grid (docs/customer-value.md)",
          values=RFM_SEGMENTS),
        C("rank_365d", "bigint", "rank by margin_365d descending, ties by customer_id"),
        C("rank_share", "double", "rank_365d / customers in the population", min=0, strict_min=True, max=1),
        C("value_tier", "text", "platinum <= 0.20 < gold <= 0.50 < iron <= 0.80 < lead; negative margin_365d: lead",
          values=VALUE_TIERS),
        NN("loyalty_stage", "text", "prospect, first_time (1 order), repeat (2+), advocate (2+ and latest NPS >= 9)",
           values=LOYALTY_STAGES),
        C("latest_nps", "bigint", "the customer's latest NPS answer on or before D", **NPS_ANSWER),
        C("p_alive", "double", "BG/NBD probability the customer is still active", **PROBABILITY),
        C("expected_orders_365d", "double", "BG/NBD expected orders in the next 365 days"),
        C("expected_order_value", "double", "Gamma-Gamma expected order value"),
        C("margin_ratio", "double", "margin / monetary clipped to [0, 1]", **PROBABILITY),
        C("clv_365d", "double", "expected_orders_365d * expected_order_value * margin_ratio"),
    )),
    key=("as_of_date", "customer_id"), partition="as_of_date",
)

MART_CLV_MODEL = TableDecl(
    "mart_clv_model", "mart",
    "CLV model fits: one row per snapshot date x model (bgnbd, gamma_gamma), time unit days.",
    in_order(CLV_MODEL_COLUMNS, (
        AS_OF,
        NN("model", "text", "bgnbd or gamma_gamma"),
        C("r", "double", "BG/NBD r"), C("alpha", "double", "BG/NBD alpha (days)"),
        C("a", "double", "BG/NBD a"), C("b", "double", "BG/NBD b"),
        C("p", "double", "Gamma-Gamma p"), C("q", "double", "Gamma-Gamma q"), C("v", "double", "Gamma-Gamma v"),
        C("log_likelihood", "double", "maximised log-likelihood"),
        NN("n_customers", "bigint", "customers used in the fit"),
        NN("converged", "bool", "the optimiser converged to a finite optimum"),
        NN("status", "text", "converged, not_converged: ..., degenerate: ... or failed: ..."),
        # appended (not next to r..b) so an existing warehouse migrates by adding nullable columns
        C("r_se", "double", "standard error of r: sqrt of the diagonal of the inverse observed information "
          "(Hessian of the negative log-likelihood at the fit, METRICS 12); bgnbd rows only, null when the "
          "information is not positive definite", min=0),
        C("alpha_se", "double", "standard error of alpha (days), as r_se", min=0),
        C("a_se", "double", "standard error of a, as r_se", min=0),
        C("b_se", "double", "standard error of b, as r_se", min=0),
    )),
    key=("as_of_date", "model"), partition="as_of_date",
)

MART_WHALE_CURVE = TableDecl(
    "mart_whale_curve", "mart",
    "Whale curve (METRICS 7): one row per snapshot date x rank share point (5, 10, ..., 100 %).",
    in_order(WHALE_COLUMNS, (
        AS_OF,
        NN("rank_share_pct", "bigint", "top share of customers by margin_365d, in %", values=tuple(range(5, 101, 5))),
        NN("customers", "bigint", "customers in that top share: floor(pct * n / 100)"),
        NN("n_customers", "bigint", "customers in the population"),
        NN("cumulative_margin", "double", "margin_365d of those customers"),
        NN("total_margin", "double", "margin_365d of all customers"),
        C("cumulative_margin_share", "double", "cumulative_margin / total_margin"),
        C("top20_margin_share", "double", "share of margin of the top 20 % (the 20/80 check)"),
        C("bottom30_margin_share", "double", "share of margin of the bottom 30 % (often negative)"),
    )),
    key=("as_of_date", "rank_share_pct"), partition="as_of_date",
)

MART_CHURN_SIGNALS = TableDecl(
    "mart_churn_signals", "mart",
    "Churn signals (METRICS 8): one row per snapshot date x customer with at least one order by D.",
    in_order(SIGNAL_COLUMNS, (
        AS_OF,
        NN("customer_id", "text", "customer"),
        NN("recency_days", "bigint", "days since the last order"),
        C("recency_ratio", "double", "recency_days / median gap in days between consecutive orders (every order counts: same-day orders give a gap of 0; null with fewer than 2 orders or a median gap of 0)"),
        NN("is_recency_signal", "bool", "recency_ratio > threshold (default 2.0)"),
        C("p_alive", "double", "BG/NBD P(alive) from mart_customer_value", **PROBABILITY),
        NN("is_p_alive_signal", "bool", "p_alive < threshold (default 0.5)"),
        NN("revenue_90d", "double", "net revenue in (D-90, D]"),
        NN("revenue_prev_90d", "double", "net revenue in (D-180, D-90]"),
        C("spend_trend", "double", "revenue_90d / revenue_prev_90d; null when the earlier window is 0"),
        NN("is_spend_signal", "bool", "spend_trend < threshold (default 0.5)"),
        C("latest_nps", "bigint", "latest NPS answer (by submitted_at, then response_id)", **NPS_ANSWER),
        C("previous_nps", "bigint", "the NPS answer before it", **NPS_ANSWER),
        C("is_detractor", "bool", "latest_nps <= 6; null without an NPS answer"),
        C("nps_drop", "bigint", "latest_nps - previous_nps"),
        NN("is_nps_drop_signal", "bool", "nps_drop <= -3"),
        NN("open_complaints", "bigint", "complaints opened by D, closed_at null or after D"),
        NN("is_open_complaints_signal", "bool", "open_complaints > 0"),
        NN("unresolved_90d", "bigint", "complaints opened in (D-90, D] not both resolved and closed by D"),
        NN("is_unresolved_signal", "bool", "unresolved_90d > 0"),
        NN("risk_score", "double", "min(100, sum of the weights of triggered signals)", min=0, max=100),
        NN("risk_band", "text", "low < 40 <= medium < 70 <= high", values=RISK_BANDS),
        C("reasons", "text", "triggered signals in words, most important first"),
    )),
    key=("as_of_date", "customer_id"), partition="as_of_date",
)

MART_CHURN_BACKTEST = TableDecl(
    "mart_churn_backtest", "mart",
    "Churn score backtest: one row per snapshot date (>= 90 days before the newest data) x risk band.",
    in_order(BACKTEST_COLUMNS, (
        AS_OF,
        NN("risk_band", "text", "ALL, low, medium or high", values=BACKTEST_BANDS),
        NN("customers", "bigint", "customers scored at D in the band"),
        NN("churned", "bigint", "of them, customers with no order in (D, D+90]"),
        C("churn_rate_pct", "double", "100 * churned / customers", min=0, max=100),
        C("auc", "double", "AUC of risk_score for churn (ALL row only)", **PROBABILITY),
    )),
    key=("as_of_date", "risk_band"), partition="as_of_date",
)
