"""The frames the mart families read (csi.pipeline.marts*): one function per input, each reading
only the rows its periods need (the filter runs in the warehouse) and returning a LazyFrame typed
by the table's declaration, so the families hold no SQL and the transforms get frames.

`start` is the first day of the first period a family recomputes; `columns` (where offered)
reads only those columns: a backfill's whole fact tables would dominate the refresh's memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from csi.warehouse import tables_core as core
from csi.warehouse import tables_marts_customers as cm
from csi.warehouse import tables_marts_satisfaction as sat
from csi.warehouse import tables_text as tt
from csi.warehouse.engine import Tx

TEXT_COLUMNS = ("text_id", "source", "response_id", "complaint_id", "site_id", "written_at", "sentiment",
                "sentiment_label", "topics")


# survey facts

def answers_of_responses_since(tx: Tx, start: date, columns: Sequence[str] | None = None) -> pl.LazyFrame:
    """Answers of every response whose (latest) submission date is >= start."""
    return tx.read_table(core.FCT_ANSWER, "response_id IN (SELECT response_id FROM fct_survey_response "
                         "WHERE submitted_date >= :s)", {"s": start}, columns).lazy()


def answers_since(tx: Tx, start: date) -> pl.LazyFrame:
    """Answers submitted on or after start (each answer by its own date)."""
    return tx.read_table(core.FCT_ANSWER, "submitted_date >= :s", {"s": start}).lazy()


def responses_since(tx: Tx, start: date) -> pl.LazyFrame:
    return tx.read_table(core.FCT_RESPONSE, "submitted_date >= :s", {"s": start}).lazy()


def identified_responses_since(tx: Tx, start: date) -> pl.LazyFrame:
    """(response_id, customer_id) of the responses since start that name a customer."""
    return tx.read_table(core.FCT_RESPONSE, "submitted_date >= :s AND customer_id IS NOT NULL", {"s": start},
                         ("response_id", "customer_id")).lazy()


def all_responses(tx: Tx) -> pl.LazyFrame:
    return tx.read_table(core.FCT_RESPONSE).lazy()


# sales facts

def sales_since(tx: Tx, start: date) -> pl.LazyFrame:
    return tx.read_table(core.FCT_SALES, "order_date >= :s", {"s": start}).lazy()


def all_sales(tx: Tx) -> pl.LazyFrame:
    return tx.read_table(core.FCT_SALES).lazy()


def sale_lines_of_customers(tx: Tx) -> pl.LazyFrame:
    """(customer_id, order_id, order_date) of every sale line (returns aside) that names a customer."""
    return tx.read_table(core.FCT_SALES, "order_type = 'sale' AND customer_id IS NOT NULL",
                         columns=("customer_id", "order_id", "order_date")).lazy()


# complaint facts

def complaints_active_since(tx: Tx, start: date) -> pl.LazyFrame:
    """Complaints a month from start on counts: opened, closed or first answered since start, or still open."""
    return tx.read_table(
        core.FCT_COMPLAINT, "opened_at >= :s OR closed_at IS NULL OR closed_at >= :s OR first_response_at >= :s",
        {"s": start}).lazy()


def complaints_opened_or_closed_since(tx: Tx, start: date, columns: Sequence[str]) -> pl.LazyFrame:
    return tx.read_table(core.FCT_COMPLAINT, "opened_at >= :s OR closed_at >= :s", {"s": start}, columns).lazy()


def all_complaints(tx: Tx) -> pl.LazyFrame:
    return tx.read_table(core.FCT_COMPLAINT).lazy()


# text facts

def _with_topic_lists(frame: pl.DataFrame) -> pl.LazyFrame:
    """`topics` as the list the transforms read ('' is no topic)."""
    return frame.lazy().with_columns(
        topics=pl.col("topics").str.split(";").list.eval(pl.element().filter(pl.element() != "")))


def texts_since(tx: Tx, start: date) -> pl.LazyFrame:
    """fct_text rows (TEXT_COLUMNS) written on or after start, `topics` as a list."""
    return _with_topic_lists(tx.read_table(tt.FCT_TEXT, "written_date >= :s", {"s": start}, TEXT_COLUMNS))


def complaint_texts_since(tx: Tx, start: date) -> pl.LazyFrame:
    """The complaint descriptions' fct_text rows written (opened) on or after start, `topics` as a list."""
    return _with_topic_lists(tx.read_table(tt.FCT_TEXT, "source = 'complaint' AND written_date >= :s",
                                           {"s": start}, TEXT_COLUMNS))


def nps_of_commented_responses_since(tx: Tx, start: date) -> pl.LazyFrame:
    """(response_id, nps_answer) of the responses with a survey text written on or after start."""
    return tx.read_table(
        core.FCT_RESPONSE, "response_id IN (SELECT response_id FROM fct_text WHERE source = 'survey' "
        "AND written_date >= :s)", {"s": start}, ("response_id", "nps_answer")).lazy()


# marts other marts read

def acsi_model_since(tx: Tx, quarter: date) -> pl.LazyFrame:
    """mart_acsi_model rows of the quarters from `quarter` on."""
    return tx.read_table(sat.MART_ACSI_MODEL, "quarter >= :q", {"q": quarter}).lazy()


def acsi_status_and_effects_since(tx: Tx, quarter: date, model_name: str) -> pl.LazyFrame:
    """The model's `status` and `total_effect` rows in mart_acsi_model from `quarter` on."""
    return tx.read_table(sat.MART_ACSI_MODEL, "quarter >= :q AND model_name = :m AND kind IN "
                         "('status', 'total_effect')", {"q": quarter, "m": model_name}).lazy()


def latest_value_snapshot(tx: Tx, on_or_before: date) -> date | None:
    """The newest mart_customer_value as-of date on or before the date (None: none yet)."""
    return tx.scalar("SELECT max(as_of_date) FROM mart_customer_value WHERE as_of_date <= :e",
                     {"e": on_or_before})


def positive_clv_of_snapshot(tx: Tx, as_of: date) -> pl.LazyFrame:
    """(customer_id, clv_365d) of the snapshot's customers whose clv_365d is > 0."""
    return tx.read_table(cm.MART_CUSTOMER_VALUE, "as_of_date = :d AND clv_365d > 0", {"d": as_of},
                         ("customer_id", "clv_365d")).lazy()
