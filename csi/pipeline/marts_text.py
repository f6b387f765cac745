"""The text mart families: mart_topics_monthly and mart_complaint_categories_monthly (METRICS.md 13).

Both are monthly and recomputed from the dirty month on. Their input, fct_text, is
rebuilt by the refresh before the marts (csi.pipeline.text), and a text's month is
that of its written_at (the answer's submitted_at, the complaint's opened_at), the
event dates the loads mark dirty.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from csi.pipeline.mart_writes import replace_from
from csi.pipeline.text import text_rules
from csi.settings import Settings
from csi.warehouse import tables_core as core
from csi.warehouse import tables_text as tt
from csi.warehouse.engine import Tx
from transforms.complaint_categories_monthly import build_complaint_categories_monthly
from transforms.topics_monthly import build_topics_monthly

TEXT_COLUMNS = ("text_id", "source", "response_id", "complaint_id", "site_id", "written_at", "sentiment",
                "sentiment_label", "topics")


def _texts(tx: Tx, where: str, params: dict) -> pl.LazyFrame:
    """fct_text rows with `topics` as the list the transforms read ('' is no topic)."""
    return tx.read_table(tt.FCT_TEXT, where, params, TEXT_COLUMNS).lazy().with_columns(
        topics=pl.col("topics").str.split(";").list.eval(pl.element().filter(pl.element() != "")))


def refresh_topics(tx: Tx, settings: Settings, since: date) -> None:
    m0 = since.replace(day=1)
    rules = text_rules(settings)
    responses = tx.read_table(
        core.FCT_RESPONSE, "response_id IN (SELECT response_id FROM fct_text WHERE source = 'survey' "
        "AND written_date >= :s)", {"s": m0}, ("response_id", "nps_answer")).lazy()
    mart = build_topics_monthly(_texts(tx, "written_date >= :s", {"s": m0}), responses,
                                [t.topic_id for t in rules.topics])
    labels = pl.LazyFrame({"topic_id": [t.topic_id for t in rules.topics],
                           "topic_label": [t.label for t in rules.topics]})
    replace_from(tx, tt.MART_TOPICS_MONTHLY, mart.join(labels, on="topic_id", how="left"), m0)


def refresh_complaint_categories(tx: Tx, settings: Settings, since: date) -> None:
    m0 = since.replace(day=1)
    complaints = tx.read_table(
        core.FCT_COMPLAINT, "opened_at >= :s OR closed_at >= :s", {"s": m0},
        ("complaint_id", "site_id", "opened_at", "closed_at", "category", "channel", "severity",
         "compensation")).lazy()
    # the top topics are those of the complaints opened in the month: their texts' written_at
    texts = _texts(tx, "source = 'complaint' AND written_date >= :s", {"s": m0})
    mart = build_complaint_categories_monthly(complaints, texts, settings.complaints.sla_hours)
    replace_from(tx, tt.MART_COMPLAINT_CATEGORIES_MONTHLY, mart, m0)
