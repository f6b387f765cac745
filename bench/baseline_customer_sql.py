"""Baseline DuckDB SQL for the customer snapshot marts at one as-of date `$d` (no CLV fit).

customer_value: R/F/M scores, R x F segment, value tier (rank by margin_365d) and
loyalty stage for every customer seen by $d. churn_signals: recency ratio (median
gap between consecutive orders, METRICS 8), 90-day spend trend, NPS signals, complaint counts,
risk score, band and reasons (p_alive null, as in the polars run without CLV).
"""

from __future__ import annotations

from collections.abc import Mapping

ORDERS = """orders AS (SELECT customer_id, order_id, min(order_date) AS d FROM fct_sales
  WHERE order_type = 'sale' AND order_date <= $d GROUP BY ALL)"""
NPS = """nps AS (SELECT customer_id, max(nps_answer) FILTER (rn = 1) AS latest_nps,
    max(nps_answer) FILTER (rn = 2) AS previous_nps FROM (
  SELECT customer_id, nps_answer, row_number() OVER (PARTITION BY customer_id
    ORDER BY submitted_at DESC, response_id DESC) AS rn FROM fct_survey_response
  WHERE customer_id IS NOT NULL AND nps_answer IS NOT NULL AND CAST(submitted_at AS DATE) <= $d)
  WHERE rn <= 2 GROUP BY customer_id)"""


def customer_value(grid: Mapping[str, str], tiers: list[tuple[str, float]], advocate_min_nps: int = 9) -> str:
    cells = ", ".join(f"({k[0]}, {k[2]}, '{v}')" for k, v in grid.items())
    tier = "".join(f" WHEN rank_365d <= {share} * n THEN '{name}'" for name, share in tiers)
    score = "CAST(1 + (5 * (rank() OVER (ORDER BY {} {}) - 1)) // count(*) OVER () AS TINYINT)"
    return f"""
WITH {ORDERS}, {NPS},
seen AS (SELECT customer_id FROM fct_sales WHERE order_type = 'sale' AND order_date <= $d
  UNION SELECT customer_id FROM fct_survey_response WHERE customer_id IS NOT NULL AND CAST(submitted_at AS DATE) <= $d
  UNION SELECT customer_id FROM fct_complaint WHERE CAST(opened_at AS DATE) <= $d),
o AS (SELECT customer_id, count(*) AS frequency, min(d) AS first_order_date, max(d) AS last_order_date
  FROM orders GROUP BY 1),
money AS (SELECT customer_id, round(sum(revenue), 6) AS monetary, round(sum(revenue - cost), 6) AS margin,
    round(coalesce(sum(revenue - cost) FILTER (order_date > $d - 365), 0), 6) AS margin_365d
  FROM fct_sales WHERE order_date <= $d GROUP BY 1),
pop AS (SELECT o.*, $d - last_order_date AS recency_days, monetary, margin, margin_365d
  FROM o JOIN money USING (customer_id)),
scored AS (SELECT *, {score.format('recency_days', 'DESC')} AS r_score, {score.format('frequency', 'ASC')} AS f_score,
    {score.format('monetary', 'ASC')} AS m_score,
    row_number() OVER (ORDER BY margin_365d DESC, customer_id) AS rank_365d, count(*) OVER () AS n FROM pop),
tiered AS (SELECT *, rank_365d / n AS rank_share,
    CASE WHEN margin_365d < 0 THEN 'lead'{tier} ELSE 'lead' END AS value_tier FROM scored)
SELECT $d AS as_of_date, customer_id, first_order_date, last_order_date, recency_days, frequency, monetary, margin,
  margin_365d, r_score, f_score, m_score, g.segment AS rfm_segment, rank_365d, rank_share, value_tier,
  CASE WHEN coalesce(frequency, 0) = 0 THEN 'prospect' WHEN frequency = 1 THEN 'first_time'
       WHEN latest_nps >= {advocate_min_nps} THEN 'advocate' ELSE 'repeat' END AS loyalty_stage, latest_nps
FROM seen LEFT JOIN tiered USING (customer_id) LEFT JOIN nps USING (customer_id)
  LEFT JOIN (VALUES {cells}) g(r, f, segment) ON g.r = r_score AND g.f = f_score
ORDER BY customer_id"""


def churn_signals(p: object, weights: list[tuple[str, float]], window: int = 90) -> str:
    hit = {
        "recency_ratio": f"recency_ratio > {p.recency_ratio_threshold}",
        "p_alive": "p_alive < 0.5", "spend_trend": f"spend_trend < {p.spend_trend_threshold}",
        "detractor": f"latest_nps <= {p.detractor_max_nps}", "nps_drop": f"nps_drop <= {p.nps_drop_threshold}",
        "open_complaints": "open_complaints > 0", "unresolved_90d": "unresolved_90d > 0",
    }
    text = {
        "recency_ratio": "format('long time since last order ({}x usual gap)', round(recency_ratio, 1))",
        "p_alive": "format('low chance still active (p_alive {}%)', round(p_alive * 100))",
        "spend_trend": "format('spending down {}%', CAST(round((1 - spend_trend) * 100) AS BIGINT))",
        "detractor": "format('detractor (latest NPS {})', latest_nps)",
        "nps_drop": "format('NPS dropped {} points ({} to {})', -nps_drop, previous_nps, latest_nps)",
        "open_complaints": "format('{} open complaint(s)', open_complaints)",
        "unresolved_90d": "format('{} complaint(s) unresolved in 90 days', unresolved_90d)",
    }
    score = " + ".join(f"CASE WHEN coalesce({hit[s]}, false) THEN {w} ELSE 0 END" for s, w in weights)
    reasons = ", ".join(f"CASE WHEN coalesce({hit[s]}, false) THEN {text[s]} END" for s, _ in weights)
    return f"""
WITH {ORDERS}, {NPS},
gaps AS (SELECT customer_id, d, d - lag(d) OVER (PARTITION BY customer_id ORDER BY d, order_id) AS gap
  FROM orders),
g AS (SELECT customer_id, max(d) AS last_order_date, quantile_cont(gap, 0.5) AS median_gap FROM gaps GROUP BY 1),
rev AS (SELECT customer_id,
    round(coalesce(sum(revenue) FILTER (order_date > $d - {window}), 0), 6) AS revenue_90d,
    round(coalesce(sum(revenue) FILTER (order_date > $d - {2 * window} AND order_date <= $d - {window}), 0), 6)
      AS revenue_prev_90d
  FROM fct_sales WHERE order_date <= $d GROUP BY 1),
comp AS (SELECT customer_id,
    count_if(CAST(opened_at AS DATE) <= $d AND (closed_at IS NULL OR CAST(closed_at AS DATE) > $d)) AS open_complaints,
    count_if(CAST(opened_at AS DATE) > $d - {window} AND CAST(opened_at AS DATE) <= $d
      AND NOT (coalesce(is_resolved, false) AND coalesce(CAST(closed_at AS DATE) <= $d, false))) AS unresolved_90d
  FROM fct_complaint GROUP BY 1),
base AS (SELECT customer_id, $d - last_order_date AS recency_days,
    ($d - last_order_date) / CASE WHEN median_gap > 0 THEN median_gap END AS recency_ratio,
    CAST(NULL AS DOUBLE) AS p_alive, coalesce(revenue_90d, 0) AS revenue_90d,
    coalesce(revenue_prev_90d, 0) AS revenue_prev_90d,
    revenue_90d / CASE WHEN revenue_prev_90d <> 0 THEN revenue_prev_90d END AS spend_trend,
    latest_nps, previous_nps, latest_nps - previous_nps AS nps_drop,
    coalesce(open_complaints, 0) AS open_complaints, coalesce(unresolved_90d, 0) AS unresolved_90d
  FROM g LEFT JOIN rev USING (customer_id) LEFT JOIN nps USING (customer_id) LEFT JOIN comp USING (customer_id)),
scored AS (SELECT *, least(100.0, {score}) AS risk_score, nullif(concat_ws('; ', {reasons}), '') AS reasons FROM base)
SELECT $d AS as_of_date, *, CASE WHEN risk_score >= {p.high_band_min} THEN 'high'
  WHEN risk_score >= {p.medium_band_min} THEN 'medium' ELSE 'low' END AS risk_band
FROM scored ORDER BY customer_id"""
