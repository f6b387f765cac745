"""Straightforward DuckDB SQL for four core marts, the baseline the polars transforms are measured against.

Same grain and core formulas as the transforms (METRICS.md), written the obvious
way: GROUPING SETS for the 'ALL' site rows, window functions for ranks and latest
answers. Customer value and churn are for one snapshot date `$d` (no CLV fit).
"""

from __future__ import annotations

from collections.abc import Mapping

MONTH = "CAST(date_trunc('month', {}) AS DATE)"
SITE = "CASE WHEN grouping(site_id) = 1 THEN 'ALL' ELSE site_id END AS site_id"
HOURS = "epoch({} - opened_at) / 3600.0"


def _ids(ids: list[str]) -> str:
    return ", ".join(f"'{q}'" for q in ids)  # catalog ids: our own configuration, not data


def satisfaction(sat: list[tuple[str, float, float]], comp: list[str], low_n: int, z: float) -> str:
    items = [q for q, _, _ in sat]
    per_item = ", ".join(f"count(answer) FILTER (question_id = '{q}') AS \"{q}_n\", "
                         f"coalesce(sum(answer) FILTER (question_id = '{q}'), 0) AS \"{q}_sum\"" for q in items)
    scores = [f"(CASE WHEN \"{q}_n\" > 0 THEN \"{q}_sum\" / \"{q}_n\" END - {lo}) / ({hi} - {lo}) * 100"
              for q, lo, hi in sat]
    return f"""
WITH nps AS (
  SELECT month, {SITE}, count(nps_answer) AS nps_n, count_if(nps_answer >= 9) AS promoters,
         count_if(nps_answer BETWEEN 7 AND 8) AS passives, count_if(nps_answer <= 6) AS detractors
  FROM (SELECT {MONTH.format('submitted_at')} AS month, site_id, nps_answer FROM fct_survey_response)
  GROUP BY GROUPING SETS ((month, site_id), (month))),
oth AS (
  SELECT month, {SITE},
    count(answer) FILTER (question_id = 'csat') AS csat_n, coalesce(sum(answer) FILTER (question_id = 'csat'), 0) AS csat_sum,
    count_if(question_id = 'csat' AND answer >= 4) AS csat_top2_count,
    count(answer) FILTER (question_id = 'ces') AS ces_n, coalesce(sum(answer) FILTER (question_id = 'ces'), 0) AS ces_sum,
    count_if(question_id = 'ces' AND answer >= 5) AS ces_easy_count, {per_item},
    count(answer) FILTER (question_id IN ({_ids(comp)})) AS complaint_survey_n,
    count_if(question_id IN ({_ids(comp)}) AND answer = 1) AS complaint_survey_yes
  FROM (SELECT {MONTH.format('submitted_at')} AS month, site_id, question_id, answer FROM fct_survey_answer
        WHERE answer IS NOT NULL AND question_id IN ('csat', 'ces', {_ids(items + comp)}))
  GROUP BY GROUPING SETS ((month, site_id), (month))),
cells AS (
  SELECT *, CASE WHEN nps_n > 0 THEN 100.0 * (promoters - detractors) / nps_n END AS nps,
    CASE WHEN nps_n > 0 THEN 100 * sqrt((promoters / nps_n + detractors / nps_n
      - (promoters / nps_n - detractors / nps_n) ** 2) / nps_n) END AS nps_se,
    CASE WHEN csat_n > 0 THEN 100.0 * csat_top2_count / csat_n END AS csat_top2_pct,
    CASE WHEN csat_n > 0 THEN csat_sum / csat_n END AS csat_mean,
    CASE WHEN ces_n > 0 THEN ces_sum / ces_n END AS ces_mean,
    CASE WHEN ces_n > 0 THEN 100.0 * ces_easy_count / ces_n END AS ces_easy_pct,
    ({' + '.join(scores)}) / {len(scores)} AS acsi_index_equal,
    CASE WHEN complaint_survey_n > 0 THEN 100.0 * complaint_survey_yes / complaint_survey_n END
      AS complaint_rate_survey_pct,
    coalesce(nps_n, 0) < {low_n} AS low_sample
  FROM nps FULL JOIN oth USING (month, site_id))
SELECT c.*, c.nps - {z} * c.nps_se AS nps_ci_low, c.nps + {z} * c.nps_se AS nps_ci_high, p.nps AS nps_prev,
  c.nps - p.nps AS nps_delta, abs(c.nps - p.nps) > {z} * sqrt(c.nps_se ** 2 + p.nps_se ** 2) AS nps_change_significant
FROM cells c LEFT JOIN cells p ON p.site_id = c.site_id AND p.month = CAST(c.month - INTERVAL 1 MONTH AS DATE)
ORDER BY c.month, c.site_id"""


def complaints(sla: Mapping[int, float], silent_factor: int) -> str:
    sla_rows = ", ".join(f"({k}, {float(v)})" for k, v in sla.items())
    return f"""
WITH c AS (SELECT customer_id, site_id, opened_at, first_response_at, closed_at, CAST(severity AS BIGINT) AS severity
           FROM fct_complaint),
opened AS (SELECT month, {SITE}, count(DISTINCT customer_id) AS complainants
  FROM (SELECT {MONTH.format('opened_at')} AS month, site_id, customer_id FROM c)
  GROUP BY GROUPING SETS ((month, site_id), (month))),
active AS (SELECT month, {SITE}, count(DISTINCT customer_id) AS active_customers FROM (
    SELECT {MONTH.format('ordered_at')} AS month, site_id, customer_id FROM fct_sales WHERE order_type = 'sale'
    UNION ALL SELECT {MONTH.format('submitted_at')}, site_id, customer_id FROM fct_survey_response
    WHERE customer_id IS NOT NULL) GROUP BY GROUPING SETS ((month, site_id), (month))),
closed AS (SELECT month, {SITE}, count(*) AS closed_count, quantile_cont(h, 0.5) AS resolution_hours_median,
    quantile_cont(h, 0.9) AS resolution_hours_p90, count_if(h <= sla) AS sla_met_count
  FROM (SELECT {MONTH.format('closed_at')} AS month, site_id, {HOURS.format('closed_at')} AS h, s.sla
        FROM c LEFT JOIN (VALUES {sla_rows}) s(severity, sla) USING (severity) WHERE closed_at IS NOT NULL)
  GROUP BY GROUPING SETS ((month, site_id), (month))),
first AS (SELECT month, {SITE}, count(*) AS first_response_count, quantile_cont(h, 0.5) AS first_response_hours_median
  FROM (SELECT {MONTH.format('first_response_at')} AS month, site_id, {HOURS.format('first_response_at')} AS h
        FROM c WHERE first_response_at IS NOT NULL) GROUP BY GROUPING SETS ((month, site_id), (month))),
months AS (SELECT CAST(m AS DATE) AS month FROM (SELECT min({MONTH.format('opened_at')}) AS lo,
    greatest(max({MONTH.format('greatest(opened_at, closed_at, first_response_at)')}),
             (SELECT max(month) FROM active)) AS hi FROM c), range(lo, hi + INTERVAL 1 MONTH, INTERVAL 1 MONTH) t(m)),
backlog AS (SELECT month, {SITE}, count(*) AS open_at_month_end FROM (
    SELECT m.month, c.site_id FROM months m JOIN c ON c.opened_at < m.month + INTERVAL 1 MONTH
    AND (c.closed_at IS NULL OR c.closed_at >= m.month + INTERVAL 1 MONTH))
  GROUP BY GROUPING SETS ((month, site_id), (month)))
SELECT month, site_id, coalesce(complainants, 0) AS complainants, coalesce(active_customers, 0) AS active_customers,
  CASE WHEN active_customers > 0 THEN 100.0 * coalesce(complainants, 0) / active_customers END AS complaint_rate_pct,
  coalesce(closed_count, 0) AS closed_count, resolution_hours_median, resolution_hours_p90,
  coalesce(first_response_count, 0) AS first_response_count, first_response_hours_median,
  coalesce(sla_met_count, 0) AS sla_met_count,
  CASE WHEN closed_count > 0 THEN 100.0 * sla_met_count / closed_count END AS sla_met_pct,
  coalesce(open_at_month_end, 0) AS open_at_month_end, coalesce(complainants, 0) * {silent_factor}
    AS estimated_silent_dissatisfied
FROM opened FULL JOIN active USING (month, site_id) FULL JOIN closed USING (month, site_id)
  FULL JOIN first USING (month, site_id) FULL JOIN backlog USING (month, site_id)
ORDER BY month, site_id"""
