"""The mart families the refresh recomputes, in dependency order.

A family reads only the facts its dirty periods need (predicate pushdown into the
warehouse: csi.warehouse.mart_inputs, one function per input), runs its pure transforms once, and replaces the rows of those
periods. `since` is the earliest event date any load touched since the last
refresh: monthly marts are recomputed from its month on, quarterly marts from its
quarter on. The snapshot family has its own, often later, `since` (grain
'snapshot', see csi.warehouse.complaint_changes). Satisfaction runs after the ACSI model, whose SAT weights it uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl

from csi.catalog import load_catalog, load_model
from csi.pipeline.marts_customers import refresh_customers
from csi.pipeline.marts_drivers import refresh_clv_validation, refresh_drivers
from csi.pipeline.marts_text import refresh_complaint_categories, refresh_topics
from csi.settings import Settings
from csi.warehouse import mart_inputs as inputs
from csi.warehouse import tables_marts_satisfaction as sat
from csi.warehouse.engine import Tx
from transforms.acsi_model import build_acsi_model, sat_weights
from transforms.calendar import month_start, previous_month, quarter_start
from transforms.complaints_monthly import build_complaints_monthly
from transforms.kano import build_kano_quarterly
from transforms.satisfaction_monthly import apply_model_weights, build_satisfaction_monthly
from transforms.service_recovery import build_service_recovery_monthly
from transforms.servqual import build_servqual_monthly


@dataclass(frozen=True)
class MartFamily:
    name: str
    refresh: Callable[[Tx, Settings, date], None]
    grain: str = "date"  # which ops_dirty_period grain gives its `since` (csi.warehouse.staging.mark_dirty)


def _catalog(settings: Settings) -> pl.LazyFrame:
    return load_catalog(settings.instrument_catalog).lazy()


def refresh_acsi_model(tx: Tx, settings: Settings, since: date) -> None:
    q0 = quarter_start(since)
    cfg = settings.acsi_model
    mart = build_acsi_model(
        # the columns complete_responses reads: a backfill holds every answer at once (memory)
        inputs.answers_of_responses_since(tx, q0, ("response_id", "site_id", "submitted_at", "question_id",
                                                   "answer")),
        load_model(cfg.model), _catalog(settings), quarters=None,
        min_complete=cfg.min_complete_responses, site_min=cfg.site_min_responses, tol=cfg.tolerance,
        max_iter=cfg.max_iterations, resamples=cfg.bootstrap_resamples, seed=cfg.bootstrap_seed)
    tx.replace_partitions_from(sat.MART_ACSI_MODEL, mart, q0)


def refresh_satisfaction(tx: Tx, settings: Settings, since: date) -> None:
    m0 = month_start(since)
    read_from = previous_month(m0)  # nps_prev of the first dirty month
    answers = inputs.answers_since(tx, read_from)
    responses = inputs.responses_since(tx, read_from)
    cfg = settings.satisfaction
    mart = build_satisfaction_monthly(answers, responses, _catalog(settings), None, cfg.low_sample_n, cfg.z_value)
    model = inputs.acsi_model_since(tx, quarter_start(m0))
    index = load_model(settings.acsi_model.model)  # the configured model names its index construct
    mart = apply_model_weights(mart, sat_weights(model, index.index_construct, index.name), answers,
                               _catalog(settings))
    tx.replace_partitions_from(sat.MART_SATISFACTION_MONTHLY, mart, m0)


def refresh_servqual(tx: Tx, settings: Settings, since: date) -> None:
    m0 = month_start(since)
    mart = build_servqual_monthly(inputs.answers_of_responses_since(tx, m0), _catalog(settings))
    tx.replace_partitions_from(sat.MART_SERVQUAL_MONTHLY, mart, m0)


def refresh_kano(tx: Tx, settings: Settings, since: date) -> None:
    q0 = quarter_start(since)
    mart = build_kano_quarterly(inputs.answers_of_responses_since(tx, q0), _catalog(settings))
    tx.replace_partitions_from(sat.MART_KANO_QUARTERLY, mart, q0)


def refresh_complaints(tx: Tx, settings: Settings, since: date) -> None:
    m0 = month_start(since)
    complaints = inputs.complaints_active_since(tx, m0)
    sales = inputs.sales_since(tx, m0)
    responses = inputs.responses_since(tx, m0)
    cfg = settings.complaints
    mart = build_complaints_monthly(complaints, sales, responses, cfg.sla_hours, cfg.silent_dissatisfied_factor)
    tx.replace_partitions_from(sat.MART_COMPLAINTS_MONTHLY, mart, m0)


def refresh_service_recovery(tx: Tx, settings: Settings, since: date) -> None:
    # every month: the "latest NPS" of a customer is as of the end of all data, so any
    # new answer can move any month's row
    mart = build_service_recovery_monthly(
        inputs.all_complaints(tx), inputs.all_sales(tx), inputs.all_responses(tx),
        settings.complaints.recovery_window_days)
    tx.replace_table(sat.MART_SERVICE_RECOVERY_MONTHLY, mart)


MART_FAMILIES: list[MartFamily] = [
    MartFamily("acsi_model", refresh_acsi_model),
    MartFamily("satisfaction", refresh_satisfaction),
    MartFamily("servqual", refresh_servqual),
    MartFamily("kano", refresh_kano),
    MartFamily("complaints", refresh_complaints),
    MartFamily("service_recovery", refresh_service_recovery),
    MartFamily("topics", refresh_topics),
    MartFamily("complaint_categories", refresh_complaint_categories),
    MartFamily("customers", refresh_customers, grain="snapshot"),
    # after acsi_model (its cells and SEs) and customers (the clv_365d weights); csi.pipeline.marts_drivers
    MartFamily("drivers", refresh_drivers, grain="snapshot"),
    MartFamily("clv_validation", refresh_clv_validation, grain="snapshot"),
]
