"""The text mart families: mart_topics_monthly and mart_complaint_categories_monthly (METRICS.md 13).

Both are monthly and recomputed from the dirty month on. Their input, fct_text, is
rebuilt by the refresh before the marts (csi.pipeline.text), and a text's month is
that of its written_at (the answer's submitted_at, the complaint's opened_at), the
event dates the loads mark dirty.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from csi.pipeline.text import text_rules
from csi.settings import Settings
from csi.warehouse import mart_inputs as inputs
from csi.warehouse import tables_text as tt
from csi.warehouse.engine import Tx
from transforms.complaint_categories_monthly import build_complaint_categories_monthly
from transforms.topics_monthly import build_topics_monthly


def refresh_topics(tx: Tx, settings: Settings, since: date) -> None:
    m0 = since.replace(day=1)
    rules = text_rules(settings)
    responses = inputs.nps_of_commented_responses_since(tx, m0)
    mart = build_topics_monthly(inputs.texts_since(tx, m0), responses,
                                [t.topic_id for t in rules.topics])
    labels = pl.LazyFrame({"topic_id": [t.topic_id for t in rules.topics],
                           "topic_label": [t.label for t in rules.topics]})
    tx.replace_partitions_from(tt.MART_TOPICS_MONTHLY, mart.join(labels, on="topic_id", how="left"), m0)


def refresh_complaint_categories(tx: Tx, settings: Settings, since: date) -> None:
    m0 = since.replace(day=1)
    complaints = inputs.complaints_opened_or_closed_since(
        tx, m0, ("complaint_id", "site_id", "opened_at", "closed_at", "category", "channel", "severity",
                 "compensation"))
    # the top topics are those of the complaints opened in the month: their texts' written_at
    texts = inputs.complaint_texts_since(tx, m0)
    mart = build_complaint_categories_monthly(complaints, texts, settings.complaints.sla_hours)
    tx.replace_partitions_from(tt.MART_COMPLAINT_CATEGORIES_MONTHLY, mart, m0)
