"""fct_text and fct_text_topic, kept current with the facts (METRICS.md 13, docs/voice-of-customer.md).

A text is a pure function of its fact row and of the text configuration, so the
refresh re-analyses only the texts whose facts it rebuilt: `capture_text_keys`
(csi.warehouse.text_io, where every read and write of the texts lives)
copies the pending survey and complaint keys into `ops_pending_text_key` before
`rebuild_pending_facts` consumes them, and `refresh_texts`, right after it, deletes
and re-derives the texts of those keys (a complaint's latest version replaces its
text; a text whose answer disappeared goes). Both run in the refresh's transaction,
so a crash rolls them back with the facts and a re-run equals a clean run.

When the configuration's fingerprint (TextRules.fingerprint) differs from the one
in `ops_text_rules`, every text is re-analysed and the monthly marts are marked
dirty from the first text's date. A warehouse without a stored fingerprint is
analysed whole once.
"""

from __future__ import annotations

import time

import polars as pl

from csi.catalog import load_catalog
from csi.settings import Settings
from csi.text_config import load_text_rules
from csi.warehouse import text_io
from csi.warehouse.engine import Tx
from csi.warehouse.staging import mark_dirty
from transforms.text_facts import TextRules, analyse_texts


def text_rules(settings: Settings) -> TextRules:
    """The configured topic dictionary and lexicons (TextConfigError: one line naming the file)."""
    return load_text_rules(settings.text.topics, settings.text.sentiment_dir)


def text_question_ids(settings: Settings) -> list[str]:
    catalog = load_catalog(settings.instrument_catalog)
    return catalog.filter(pl.col("is_text"))["question_id"].sort().to_list()


def refresh_texts(tx: Tx, settings: Settings) -> dict[str, float]:
    """Re-derive the texts of the captured keys (all of them after a configuration change).

    Returns {"texts": texts analysed, "seconds": time spent} for the benchmark."""
    started = time.perf_counter()
    rules = text_rules(settings)
    fingerprint = rules.fingerprint()
    everything = text_io.stored_fingerprint(tx) != fingerprint
    if everything:
        text_io.reset_texts(tx, fingerprint, len(rules.topics))
    else:
        text_io.delete_pending_texts(tx)
    facts = _analyse(text_io.source_texts(tx, text_question_ids(settings), everything), rules)
    text_io.insert_texts(tx, facts, _topic_rows(facts))
    if everything and facts.height:  # every topic and sentiment may have moved
        mark_dirty(tx, [("date", facts["written_date"].min())])
    text_io.clear_pending_text_keys(tx)
    return {"texts": float(facts.height), "seconds": time.perf_counter() - started}


def _analyse(texts: pl.DataFrame, rules: TextRules) -> pl.DataFrame:
    analysed = analyse_texts(texts.lazy(), rules, text="content").with_columns(
        text_id=pl.when(pl.col("source") == "survey")
        .then(pl.concat_str(pl.lit("survey:"), "response_id", pl.lit(":"), "question_id"))
        .otherwise(pl.concat_str(pl.lit("complaint:"), "complaint_id")),
        written_date=pl.col("written_at").dt.date(),
        topics=pl.col("topics").list.unique().list.sort().list.join(";"),
        topic_count=pl.col("topics").list.unique().list.len(),
    )
    # the engine does not keep the row order; a stable order keeps the inserts reproducible
    return analysed.sort("text_id").collect()


def _topic_rows(facts: pl.DataFrame) -> pl.DataFrame:
    return (facts.filter(pl.col("topic_count") > 0)
            .select("text_id", "source", "site_id", "written_date", "sentiment_label",
                    topic_id=pl.col("topics").str.split(";"))
            .explode("topic_id"))
