"""Straightforward DuckDB SQL for the marts baseline_sql / baseline_customer_sql leave out:
SERVQUAL monthly, KANO quarterly, service recovery monthly, and the whale curve at `$d`.

Same grain and core formulas as METRICS.md 3, 4, 6 and 7 (docs/marts-*.md), written
the obvious way over the fct_* tables. A response's month / quarter is that of its
fct_survey_response.submitted_at (its latest answer), as the transforms define it.
"""

from __future__ import annotations

from transforms.kano import EVALUATION_TABLE, TIE_BREAK

SITES = "CASE WHEN grouping(site_id) = 1 THEN 'ALL' ELSE site_id END AS site_id"


def servqual() -> str:
    parts = ", ".join(f"count({p}) AS {p}_n, sum({p}) AS {p}_sum" for p in ("expectation", "perception", "weight"))
    means = ", ".join(f"CASE WHEN {p}_n > 0 THEN {p}_sum / {p}_n END AS {p}_mean"
                      for p in ("expectation", "perception", "weight"))
    return f"""
WITH cat AS (SELECT * FROM catalog WHERE instrument IN ('servqual', 'servqual_weight')),
base AS (SELECT a.response_id, CAST(date_trunc('month', r.submitted_at) AS DATE) AS month, a.site_id, c.instrument,
    c.dimension, c.statement_no, c.kind, c.is_reverse, c.scale_min, c.scale_max, a.answer
  FROM fct_survey_answer a JOIN cat c USING (question_id) JOIN fct_survey_response r USING (response_id)),
x AS (SELECT response_id, month, site_id, dimension, statement_no,
    max(CASE WHEN is_reverse THEN scale_min + scale_max - answer ELSE answer END) FILTER (kind = 'expectation') AS e,
    max(CASE WHEN is_reverse THEN scale_min + scale_max - answer ELSE answer END) FILTER (kind = 'perception') AS p
  FROM base WHERE instrument = 'servqual' AND answer IS NOT NULL GROUP BY ALL),
items AS (SELECT response_id, month, site_id, dimension, avg(p - e) AS gap, avg(e) AS expectation,
    avg(p) AS perception FROM x GROUP BY ALL),
weights AS (SELECT response_id, month, site_id, dimension, first(answer) FILTER (answer IS NOT NULL) AS weight
  FROM base WHERE instrument = 'servqual_weight' AND kind = 'importance' GROUP BY ALL),
per_response AS (SELECT * FROM items FULL JOIN weights USING (response_id, month, site_id, dimension)),
dims AS (SELECT month, {SITES}, dimension, count(gap) AS n, sum(gap) AS gap_sum, {parts}
  FROM per_response GROUP BY GROUPING SETS ((month, site_id, dimension), (month, dimension))),
dim_rows AS (SELECT *, CASE WHEN n > 0 THEN gap_sum / n END AS gap_mean, {means} FROM dims),
overall_n AS (SELECT month, {SITES}, count(DISTINCT response_id) AS n FROM per_response WHERE gap IS NOT NULL
  GROUP BY GROUPING SETS ((month, site_id), (month))),
n_dims AS (SELECT count(DISTINCT dimension) AS n_dims FROM catalog WHERE instrument = 'servqual'),
overall AS (SELECT month, site_id, count(gap_mean) AS gaps, count(gap_mean * weight_mean) AS both_n,
    avg(gap_mean) AS su, sum(gap_mean * weight_mean / 100.0) AS sw FROM dim_rows GROUP BY ALL)
SELECT month, site_id, dimension, n, gap_sum, gap_mean, expectation_n, expectation_sum, expectation_mean,
  perception_n, perception_sum, perception_mean, weight_n, weight_sum, weight_mean,
  CAST(NULL AS DOUBLE) AS score_unweighted, CAST(NULL AS DOUBLE) AS score_weighted FROM dim_rows
UNION ALL
SELECT o.month, o.site_id, '_overall', coalesce(c.n, 0), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, CASE WHEN gaps = n_dims THEN su END, CASE WHEN both_n = n_dims THEN sw END
FROM overall o CROSS JOIN n_dims LEFT JOIN overall_n c USING (month, site_id)
ORDER BY month, site_id, dimension"""


def kano() -> str:
    table = ", ".join(f"({f}, {d}, '{c}')" for f, d, c in EVALUATION_TABLE.iter_rows())
    counts = ", ".join(f"count_if(category = '{c}') AS {c.lower()}_count" for c in "AOMIRQ")
    top = f"greatest({', '.join(f'{c.lower()}_count' for c in TIE_BREAK)})"
    modal = " ".join(f"WHEN {c.lower()}_count = {top} THEN '{c}'" for c in TIE_BREAK)
    base = "(a_count + o_count + m_count + i_count)"
    return f"""
WITH k AS (SELECT question_id, feature, kind FROM catalog
  WHERE instrument = 'kano' AND kind IN ('functional', 'dysfunctional')),
ans AS (SELECT a.response_id, CAST(date_trunc('quarter', r.submitted_at) AS DATE) AS quarter, k.feature, k.kind,
    CAST(a.answer AS BIGINT) AS v
  FROM fct_survey_answer a JOIN k USING (question_id) JOIN fct_survey_response r USING (response_id)
  WHERE a.answer IS NOT NULL),
pairs AS (SELECT f.quarter, f.feature, t.category FROM ans f
  JOIN ans d ON d.response_id = f.response_id AND d.feature = f.feature AND d.kind = 'dysfunctional'
  JOIN (VALUES {table}) t(f, d, category) ON t.f = f.v AND t.d = d.v WHERE f.kind = 'functional'),
c AS (SELECT quarter, feature, count(*) AS n, {counts} FROM pairs GROUP BY ALL)
SELECT *, CASE {modal} END AS category,
  CASE WHEN {base} > 0 THEN (a_count + o_count) / {base} END AS better,
  CASE WHEN {base} > 0 THEN -(o_count + m_count) / {base} END AS worse
FROM c ORDER BY quarter, feature"""


def service_recovery(window_days: int) -> str:
    return f"""
WITH orders AS (SELECT DISTINCT customer_id, order_date FROM fct_sales WHERE order_type = 'sale'),
complainers AS (SELECT customer_id, month,
    CASE WHEN coalesce(is_resolved, false) AND closed_at IS NOT NULL THEN 'resolved' ELSE 'unresolved' END
      AS customer_group, CAST(opened_at AS DATE) AS anchor
  FROM (SELECT *, CAST(date_trunc('month', opened_at) AS DATE) AS month, row_number() OVER (
      PARTITION BY customer_id, date_trunc('month', opened_at) ORDER BY opened_at DESC, complaint_id DESC) AS rn
    FROM fct_complaint) WHERE rn = 1),
others AS (SELECT customer_id, CAST(date_trunc('month', order_date) AS DATE) AS month,
    'non_complainant' AS customer_group, min(order_date) AS anchor
  FROM orders ANTI JOIN (SELECT DISTINCT customer_id FROM fct_complaint) c USING (customer_id) GROUP BY 1, 2),
people AS (SELECT * FROM complainers UNION ALL SELECT * FROM others),
nps AS (SELECT customer_id, arg_max(nps_answer, (submitted_at, response_id)) AS latest_nps FROM fct_survey_response
  WHERE customer_id IS NOT NULL AND nps_answer IS NOT NULL GROUP BY 1),
data_end AS (SELECT max(order_date) AS data_end FROM orders),
judged AS (SELECT p.month, p.customer_group, n.latest_nps,
    coalesce(o.order_date <= p.anchor + {window_days}, false) AS reordered,
    p.anchor + {window_days} <= data_end AS complete
  FROM people p ASOF LEFT JOIN orders o ON p.customer_id = o.customer_id AND p.anchor < o.order_date
  LEFT JOIN nps n ON n.customer_id = p.customer_id CROSS JOIN data_end)
SELECT month, customer_group, count(*) AS customers, count(latest_nps) AS nps_n,
  CAST(sum(latest_nps) AS DOUBLE) AS nps_sum, avg(latest_nps) AS mean_latest_nps,
  count_if(reordered) AS reorder_count, 100.0 * count_if(reordered) / count(*) AS reorder_pct,
  bool_and(coalesce(complete, false)) AS window_complete
FROM judged GROUP BY month, customer_group
ORDER BY month, CASE customer_group WHEN 'resolved' THEN 0 WHEN 'unresolved' THEN 1 ELSE 2 END"""


def whale_curve(customer_value_table: str) -> str:
    """From the customer value rows of one date (rank_365d, margin_365d)."""
    return f"""
WITH ranked AS (SELECT as_of_date, rank_365d, sum(margin_365d) OVER (ORDER BY rank_365d) AS cumulative_margin
  FROM {customer_value_table} WHERE rank_365d IS NOT NULL),
totals AS (SELECT as_of_date, count(*) AS n_customers, max_by(cumulative_margin, rank_365d) AS total_margin
  FROM ranked GROUP BY 1),
curve AS (SELECT t.as_of_date, p.pct AS rank_share_pct, p.pct * t.n_customers // 100 AS customers, t.n_customers,
    coalesce(r.cumulative_margin, 0.0) AS cumulative_margin, t.total_margin
  FROM totals t CROSS JOIN range(5, 101, 5) p(pct)
  LEFT JOIN ranked r ON r.rank_365d = p.pct * t.n_customers // 100),
shares AS (SELECT *, cumulative_margin / nullif(total_margin, 0) AS cumulative_margin_share FROM curve)
SELECT *, max(cumulative_margin_share) FILTER (rank_share_pct = 20) OVER () AS top20_margin_share,
  max((total_margin - cumulative_margin) / nullif(total_margin, 0)) FILTER (rank_share_pct = 70) OVER ()
    AS bottom30_margin_share
FROM shares ORDER BY rank_share_pct"""
