"""Declarations of the insight marts of the satisfaction model and the CLV model: key drivers
(METRICS 10), measurement-model quality (METRICS 11) and the CLV holdout validation
(METRICS 12). How to read them: docs/acsi-model.md and docs/customer-value.md.

The codes of weightings, quadrants, quality kinds and flags and frequency bins:
csi.vocab (from transforms/vocab.py). The order and types of the columns a transform
writes are those of its frame schema (transforms/mart_columns.py);
the cell keys the refresh adds (quarter, site_id, model_name, weighting, n) are typed here.
"""

from __future__ import annotations

from csi.vocab import FREQUENCY_BINS, QUADRANTS, QUALITY_FLAGS, QUALITY_KINDS, WEIGHTINGS
from csi.warehouse.declare import FRAME, NN, C, TableDecl, typed
from transforms.mart_columns import DRIVER_SCHEMA, QUALITY_SCHEMA, VALIDATION_SCHEMA

QUARTER = NN("quarter", "date", "first day of the quarter (a response's quarter is that of its latest answer)")
SITE = NN("site_id", "text", "'ALL' or a site (the cells of mart_acsi_model)")
MODEL_NAME = NN("model_name", "text", "acsi or ecsi (the configured model)")
WEIGHTING = NN("weighting", "text", "equal: the model of mart_acsi_model; clv: each identified respondent "
               "weighted by the customer's clv_365d (weighted PLS, METRICS 10)", values=WEIGHTINGS)
SE = {"min": 0}

MART_DRIVER_IMPORTANCE = TableDecl(
    "mart_driver_importance", "mart",
    "Key drivers and importance-performance (METRICS 10): one row per quarter x site x weighting x driver "
    "(a construct with a direct path to the index construct). docs/acsi-model.md.",
    typed(DRIVER_SCHEMA, (
        QUARTER, SITE, MODEL_NAME, WEIGHTING,
        NN("driver", FRAME, "driver construct (e.g. PQ)"),
        C("total_effect_index", FRAME, "standardised total effect of the driver on the index construct "
          "(importance)"),
        C("total_effect_index_se", FRAME, "its bootstrap standard error (equal: the one of mart_acsi_model)",
          **SE),
        C("is_significant_index", FRAME, "|total_effect_index / se| > 1.96; null without a standard error"),
        C("total_effect_loyalty", FRAME, "standardised total effect of the driver on loyalty (LOY)"),
        C("total_effect_loyalty_se", FRAME, "its bootstrap standard error", **SE),
        C("is_significant_loyalty", FRAME, "|total_effect_loyalty / se| > 1.96; null without a standard error"),
        C("performance", FRAME, "the driver's 0-100 construct index (weighted item means under clv)",
          min=0, max=100),
        C("impact_5pt", FRAME, "index points the index construct gains from a 5-point gain in the driver: "
          "5 * total_effect_index * sd(index scores) / sd(driver scores)"),
        C("quadrant", FRAME, "against the means over the cell's drivers (strictly above = high): "
          "concentrate_here (importance high, performance low), keep_up (both high), low_priority (both low), "
          "possible_overkill (importance low, performance high)", values=QUADRANTS),
        NN("n", FRAME, "complete responses used (clv: of identified customers with clv_365d > 0)", min=0),
        C("weight_sum", FRAME, "sum of the clv_365d weights (clv rows; null for equal)", min=0),
        C("weights_as_of_date", "date", "clv rows: the mart_customer_value snapshot whose clv_365d are the "
          "weights (the latest on or before the quarter's last day); null for equal or without a snapshot"),
        NN("status", FRAME, "ok, too_few_responses: ..., degenerate: ..., not_converged, or (clv) "
           "no_clv_snapshot: ...; the figures are null unless ok"),
    )),
    key=("quarter", "site_id", "weighting", "driver"), partition="quarter",
)

MART_PLS_QUALITY = TableDecl(
    "mart_pls_quality", "mart",
    "Measurement-model quality (METRICS 11): one row per quarter x site x weighting x statistic "
    "(per item, construct, construct pair or path) of every estimated model, flagged against the "
    "configured thresholds. docs/acsi-model.md.",
    typed(QUALITY_SCHEMA, (
        QUARTER, SITE, MODEL_NAME, WEIGHTING,
        NN("kind", FRAME, "loading (per item); alpha, rho_a, rho_c, ave (per construct); htmt (per construct "
           "pair); vif, f2 (per structural path)", values=QUALITY_KINDS),
        C("construct", FRAME, "construct of a loading or reliability figure"),
        C("item", FRAME, "question id of a loading"),
        C("from_construct", FRAME, "htmt: first construct (model order); vif, f2: predictor"),
        C("to_construct", FRAME, "htmt: second construct; vif, f2: target"),
        C("estimate", FRAME, "the statistic; null with a note when it is undefined (single-item construct)"),
        C("flag", FRAME, "ok, warning (HTMT up to 0.90, VIF up to 5) or fail against the thresholds "
          "(CSI_ACSI_MODEL__QUALITY_*); null for f2 and for a null estimate", values=QUALITY_FLAGS),
        C("note", FRAME, "why an estimate is null"),
        NN("n", "bigint", "complete responses of the estimate", min=0),
    )),
    key=(),  # unique on (quarter, site_id, weighting, kind, construct, item, from/to), several null
    partition="quarter",
)

MART_CLV_VALIDATION = TableDecl(
    "mart_clv_validation", "mart",
    "BG/NBD calibration / holdout validation (METRICS 12): one row per validation as-of date D x "
    "frequency bin, plus a total row. Calibration on the orders up to C = D - holdout_days, prediction "
    "of the orders in (C, D]. docs/customer-value.md.",
    typed(VALIDATION_SCHEMA, (
        NN("as_of_date", FRAME, "validation as-of date D: every snapshot date at least holdout_days after "
           "the first order"),
        NN("calibration_end", FRAME, "C = D - holdout_days: BG/NBD is fitted on the orders on or before C"),
        NN("holdout_days", FRAME, "length of the holdout (C, D] in days (CSI_CUSTOMER_VALUE__CLV_HOLDOUT_DAYS)",
           min=1),
        NN("frequency_bin", FRAME, "calibration repeat orders 0 .. 6, 7+, or total (all customers)",
           values=FREQUENCY_BINS),
        NN("customers", FRAME, "customers with a first order on or before C in the bin", min=0),
        C("actual_mean", FRAME, "mean orders in the holdout per customer; null for an empty bin", min=0),
        C("predicted_mean", FRAME, "mean BG/NBD conditional expected orders in the holdout (Fader, Hardie "
          "& Lee 2005, eq. 10); null for an empty bin or without a converged fit", min=0),
        NN("actual_orders", FRAME, "orders in the holdout of the bin's customers", min=0),
        C("predicted_orders", FRAME, "predicted orders in the holdout of the bin's customers", min=0),
        C("mae", FRAME, "total row: mean absolute error per customer |predicted - actual|", min=0),
        C("rmse", FRAME, "total row: root mean square error per customer", min=0),
        NN("status", FRAME, "the calibration fit: converged, or why it predicts nothing"),
    )),
    key=("as_of_date", "frequency_bin"), partition="as_of_date",
)
