"""Declarations of the satisfaction and complaint marts (METRICS 2-6; docs/marts-satisfaction.md).

Where a transform lists its output columns (servqual, kano, complaints_monthly .COLUMNS) or builds its
frame from a dtype dict (transforms/mart_columns.py), the declaration takes the order (and the types)
from it. mart_satisfaction_monthly's SAT item columns follow the catalog, so its order is declared here."""

from __future__ import annotations

from csi.warehouse.declare import FRAME, NN, C, TableDecl, in_order, typed
from transforms.complaints_monthly import COLUMNS as COMPLAINTS_COLUMNS
from transforms.kano import COLUMNS as KANO_COLUMNS
from transforms.mart_columns import ACSI_MODEL_SCHEMA
from transforms.servqual import COLUMNS as SERVQUAL_COLUMNS

PCT = {"min": 0, "max": 100}  # a count of a subset of the denominator, in %

MART_SATISFACTION_MONTHLY = TableDecl(
    'mart_satisfaction_monthly', "mart",
    "Satisfaction indices (METRICS 2): one row per site x month, plus site_id = 'ALL' pooled.",
    (
        NN('month', 'date', 'first day of the month'),
        NN('site_id', 'text', "site, or 'ALL' (pooled)"),
        NN('nps_n', 'bigint', 'responses with an NPS answer'),
        NN('promoters', 'bigint', 'NPS answers 9-10'),
        NN('passives', 'bigint', 'NPS answers 7-8'),
        NN('detractors', 'bigint', 'NPS answers 0-6'),
        C('nps', 'double', '100 * (promoters - detractors) / nps_n', min=-100, max=100),
        C('nps_se', 'double', '100 * sqrt((pP + pD - (pP - pD)^2) / nps_n), pP = promoters / nps_n, pD = detractors / nps_n'),
        C('nps_ci_low', 'double', 'nps - z * nps_se (z = 1.96): lower end of the 95 % interval'),
        C('nps_ci_high', 'double', 'nps + z * nps_se (z = 1.96): upper end of the 95 % interval'),
        C('nps_prev', 'double', 'nps of the same site (or ALL) in the previous calendar month; null if that cell has no NPS',
          min=-100, max=100),
        C('nps_delta', 'double', 'nps - nps_prev', min=-200, max=200),
        C('nps_change_significant', 'bool', 'abs(nps_delta) > z * sqrt(nps_se^2 + se_prev^2); null when nps_prev is null'),
        NN('csat_n', 'bigint', 'csat answers'),
        NN('csat_top2_count', 'bigint', 'csat answers 4 or 5'),
        NN('csat_sum', 'double', 'sum of csat answers'),
        C('csat_top2_pct', 'double', '100 * csat_top2_count / csat_n', **PCT),
        C('csat_mean', 'double', 'csat_sum / csat_n'),
        NN('ces_n', 'bigint', 'ces answers'),
        NN('ces_easy_count', 'bigint', 'ces answers 5-7'),
        NN('ces_sum', 'double', 'sum of ces answers'),
        C('ces_mean', 'double', 'ces_sum / ces_n'),
        C('ces_easy_pct', 'double', '100 * ces_easy_count / ces_n', **PCT),
        NN('acsi_sat_overall_n', 'bigint', 'answers to each SAT item'),
        NN('acsi_sat_overall_sum', 'double', "sum of each SAT item's answers"),
        NN('acsi_sat_confirm_n', 'bigint', 'answers to each SAT item'),
        NN('acsi_sat_confirm_sum', 'double', "sum of each SAT item's answers"),
        NN('acsi_sat_ideal_n', 'bigint', 'answers to each SAT item'),
        NN('acsi_sat_ideal_sum', 'double', "sum of each SAT item's answers"),
        C('acsi_index_equal', 'double', 'mean over the SAT items of (item_sum / item_n - scale_min) / (scale_max - scale_min) * 100 (1-10 scale: (mean - 1) / 9 * 100); null unless every item has n > 0'),
        C('acsi_index_model', 'double', "the index with model weights: sum(w_i * (item_mean_i - scale_min) / (scale_max - scale_min) * 100) over the configured model's index construct (index_construct: SAT for ACSI and ECSI), its outer weights of the quarter normalised to sum 1; a site uses its own model's weights where that model is estimated, the all-sites weights otherwise. Null where the quarter has no weights or a weighted item has no answer"),
        NN('complaint_survey_n', 'bigint', 'acsi_complained answers'),
        NN('complaint_survey_yes', 'bigint', 'acsi_complained = 1 answers'),
        C('complaint_rate_survey_pct', 'double', '100 * complaint_survey_yes / complaint_survey_n', **PCT),
        NN('low_sample', 'bool', 'nps_n < low_sample_n (default 30; 29 is low, 30 is not). Rows are still published'),
    ),
    key=('month', 'site_id'), partition='month',
)
MART_SERVQUAL_MONTHLY = TableDecl(
    'mart_servqual_monthly', "mart",
    "SERVQUAL gaps (METRICS 3): one row per month x site x dimension (plus '_overall' scores), site_id incl. 'ALL'.",
    in_order(SERVQUAL_COLUMNS, (
        NN('month', 'date', "as above ('ALL' pooled)"),
        NN('site_id', 'text', "as above ('ALL' pooled)"),
        NN('dimension', 'text', 'tangibles, reliability, responsiveness, assurance, empathy, or _overall'),
        NN('n', 'bigint', 'dimension rows: responses with at least one item gap in the dimension; _overall: responses with a gap in any dimension'),
        C('gap_sum', 'double', "sum over responses of the response's dimension gap"),
        C('gap_mean', 'double', 'gap_sum / n'),
        C('expectation_n', 'bigint', 'responses with an answered e item in the dimension; sum and mean of their per-response e means'),
        C('expectation_sum', 'double', 'responses with an answered e item in the dimension; sum and mean of their per-response e means'),
        C('expectation_mean', 'double', 'responses with an answered e item in the dimension; sum and mean of their per-response e means'),
        C('perception_n', 'bigint', 'the same for p items'),
        C('perception_sum', 'double', 'the same for p items'),
        C('perception_mean', 'double', 'the same for p items'),
        C('weight_n', 'bigint', 'responses of the cell that answered sq_w_<dimension>; sum and mean of their points (null mean if none)'),
        C('weight_sum', 'double', 'responses of the cell that answered sq_w_<dimension>; sum and mean of their points (null mean if none)'),
        C('weight_mean', 'double', 'responses of the cell that answered sq_w_<dimension>; sum and mean of their points (null mean if none)'),
        C('score_unweighted', 'double', '_overall rows only: mean of the dimension gap_means; null unless every catalog dimension has one'),
        C('score_weighted', 'double', '_overall rows only: sum(gap_mean * weight_mean / 100); null unless every dimension has both a gap_mean and a weight_mean'),
    )),
    key=('month', 'site_id', 'dimension'), partition='month',
)
MART_KANO_QUARTERLY = TableDecl(
    'mart_kano_quarterly', "mart",
    'KANO categories (METRICS 4): one row per quarter x feature, all sites pooled.',
    in_order(KANO_COLUMNS, (
        NN('quarter', 'date', 'first day of the quarter'),
        NN('feature', 'text', 'catalog feature'),
        NN('n', 'bigint', 'responses with both answers for the feature'),
        NN('a_count', 'bigint', 'responses per category (attractive, one-dimensional, must-be, indifferent, reverse, questionable)'),
        NN('o_count', 'bigint', 'responses per category (attractive, one-dimensional, must-be, indifferent, reverse, questionable)'),
        NN('m_count', 'bigint', 'responses per category (attractive, one-dimensional, must-be, indifferent, reverse, questionable)'),
        NN('i_count', 'bigint', 'responses per category (attractive, one-dimensional, must-be, indifferent, reverse, questionable)'),
        NN('r_count', 'bigint', 'responses per category (attractive, one-dimensional, must-be, indifferent, reverse, questionable)'),
        NN('q_count', 'bigint', 'responses per category (attractive, one-dimensional, must-be, indifferent, reverse, questionable)'),
        NN('category', 'text', 'most frequent category; ties broken M > O > A > I > R > Q'),
        C('better', 'double', '(A + O) / (A + O + M + I); null when A + O + M + I = 0', min=0, max=1),
        C('worse', 'double', '-(O + M) / (A + O + M + I); null when A + O + M + I = 0', min=-1, max=0),
    )),
    key=('quarter', 'feature'), partition='quarter',
)
MART_COMPLAINTS_MONTHLY = TableDecl(
    'mart_complaints_monthly', "mart",
    "Complaint handling (METRICS 6): one row per site x month, plus site_id = 'ALL' pooled.",
    in_order(COMPLAINTS_COLUMNS, (
        NN('month', 'date', "as above ('ALL' pooled)"),
        NN('site_id', 'text', "as above ('ALL' pooled)"),
        NN('complainants', 'bigint', 'distinct customer_id with a complaint opened_at in the month (ALL: distinct over all sites)'),
        NN('active_customers', 'bigint', "distinct customer_id with a sale (order_type = 'sale', ordered_at in the month) or an identified survey response (customer_id not null, submitted_at in the month) at the site"),
        # no upper bound: METRICS 6 counts complainants who were not active in the month
        C('complaint_rate_pct', 'double', '100 * complainants / active_customers (can exceed 100: a complainant need not be active)', min=0),
        NN('closed_count', 'bigint', 'complaints whose closed_at is in the month (any status; rejected counts)'),
        C('resolution_hours_median', 'double', 'median / 90th percentile (linear interpolation) of (closed_at - opened_at) in hours over those complaints'),
        C('resolution_hours_p90', 'double', 'median / 90th percentile (linear interpolation) of (closed_at - opened_at) in hours over those complaints'),
        NN('first_response_count', 'bigint', 'complaints closed in the month (closed_at in the month) that have a first_response_at'),
        C('first_response_hours_median', 'double', "median of (first_response_at - opened_at) in hours over those complaints (METRICS 6: the complaints closed in the month, like the resolution figures)"),
        NN('sla_met_count', 'bigint', 'closed-in-month complaints with resolution_hours <= sla_hours[severity] (equality is met; latest severity; a severity without an SLA is not met)'),
        C('sla_met_pct', 'double', '100 * sla_met_count / closed_count', **PCT),
        NN('open_at_month_end', 'bigint', 'complaints with opened_at < first day of next month and closed_at null or >= that day. METRICS 6 says "not before that day", so a complaint closed exactly at the next month\'s first instant (00:00:00) **is** still open at this month\'s end; closed one second earlier, it is not'),
        NN('estimated_silent_dissatisfied', 'bigint', 'complainants * silent_factor (25)'),
    )),
    key=('month', 'site_id'), partition='month',
)
MART_SERVICE_RECOVERY_MONTHLY = TableDecl(
    'mart_service_recovery_monthly', "mart",
    'Service recovery (METRICS 6): one row per month x customer group (resolved, unresolved, non_complainant).',
    (
        NN('month', 'date', 'complaint month (non-complainants: month of their first order)'),
        NN('customer_group', 'text', 'resolved, unresolved, non_complainant (not named group: a reserved word in SQL)'),
        NN('customers', 'bigint', 'customers in the group and month'),
        NN('nps_n', 'bigint', 'of them, customers with a latest NPS'),
        NN('nps_sum', 'double', 'sum of their latest NPS'),
        C('mean_latest_nps', 'double', 'nps_sum / nps_n'),
        NN('reorder_count', 'bigint', 'customers who reordered within the window'),
        NN('reorder_pct', 'double', '100 * reorder_count / customers', **PCT),
        NN('window_complete', 'bool', "every customer's anchor + window_days <=  last sale date in the data"),
    ),
    key=('month', 'customer_group'), partition='month',
)


MART_ACSI_MODEL = TableDecl(
    "mart_acsi_model", "mart",
    "ACSI/ECSI structural model (METRICS 5, PLS path modelling): one row per quarter x site x estimate; "
    "site_id 'ALL' every quarter, a site where it has >= 200 complete responses. docs/acsi-model.md.",
    typed(ACSI_MODEL_SCHEMA, (
        NN("quarter", FRAME, "first day of the quarter"),
        NN("site_id", FRAME, "'ALL' or a site"),
        NN("model_name", FRAME, "acsi or ecsi (the configured model)"),
        NN("kind", FRAME, "status, outer_weight, loading, index_weight, path, r2, total_effect or index"),
        C("construct", FRAME, "construct of an item estimate, r2 or index (e.g. SAT)"),
        C("item", FRAME, "question id of an outer_weight, loading or index_weight"),
        C("from_construct", FRAME, "driver of a path or total_effect"),
        C("to_construct", FRAME, "outcome of a path or total_effect"),
        C("estimate", FRAME, "the estimate; null on the status row"),
        C("std_error", FRAME, "bootstrap standard error (paths and total effects)"),
        NN("n", FRAME, "complete responses used"),
        C("iterations", FRAME, "iterations of Wold's algorithm"),
        NN("status", FRAME, "ok, too_few_responses: ..., degenerate: ... or not_converged"),
    )),
    key=(),  # unique on (quarter, site_id, kind, construct, item, from/to), several of them null
    partition="quarter",
)
