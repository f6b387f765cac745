"""fct_text and fct_text_topic, kept current with the facts (METRICS.md 13, docs/voice-of-customer.md).

A text is a pure function of its fact row and of the text configuration, so the
refresh re-analyses only the texts whose facts it rebuilt: `capture_text_keys`
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
from csi.pipeline.load import mark_dirty
from csi.settings import Settings
from csi.text_config import load_text_rules
from csi.warehouse import tables_ops as ops
from csi.warehouse import tables_text as tt
from csi.warehouse.engine import Tx
from transforms.text_facts import TextRules, analyse_texts

PENDING = tt.OPS_PENDING_TEXTS.name


def text_rules(settings: Settings) -> TextRules:
    """The configured topic dictionary and lexicons (TextConfigError: one line naming the file)."""
    return load_text_rules(settings.text.topics, settings.text.sentiment_dir)


def text_question_ids(settings: Settings) -> list[str]:
    catalog = load_catalog(settings.instrument_catalog)
    return catalog.filter(pl.col("is_text"))["question_id"].sort().to_list()


def capture_text_keys(tx: Tx) -> None:
    """Before the facts rebuild: the responses and complaints whose texts it may change."""
    tx.execute(
        f"INSERT INTO {PENDING} (source, source_id) "
        f"SELECT DISTINCT 'survey', response_id FROM {ops.OPS_PENDING_SURVEYS.name} UNION "
        f"SELECT DISTINCT 'complaint', complaint_id FROM {ops.OPS_PENDING_COMPLAINTS.name}")


def refresh_texts(tx: Tx, settings: Settings) -> dict[str, float]:
    """Re-derive the texts of the captured keys (all of them after a configuration change).

    Returns {"texts": texts analysed, "seconds": time spent} for the benchmark."""
    started = time.perf_counter()
    rules = text_rules(settings)
    fingerprint = rules.fingerprint()
    stored = tx.scalar("SELECT max(rules_fingerprint) FROM ops_text_rules")
    everything = stored != fingerprint
    if everything:
        tx.execute("DELETE FROM fct_text_topic")
        tx.execute("DELETE FROM fct_text")
        tx.execute("DELETE FROM ops_text_rules")
        tx.insert(tt.OPS_TEXT_RULES, pl.DataFrame({"rules_fingerprint": [fingerprint],
                                                   "topic_count": [len(rules.topics)]}))
    else:
        for table in ("fct_text_topic", "fct_text"):
            tx.execute(f"DELETE FROM {table} WHERE text_id IN (SELECT text_id FROM fct_text t JOIN {PENDING} p "
                       "ON p.source_id = CASE t.source WHEN 'survey' THEN t.response_id ELSE t.complaint_id END "
                       "AND p.source = t.source)")
    texts = _source_texts(tx, text_question_ids(settings), everything)
    facts = _analyse(texts, rules)
    tx.insert(tt.FCT_TEXT, facts)
    tx.insert(tt.FCT_TEXT_TOPIC, _topic_rows(facts))
    if everything and facts.height:  # every topic and sentiment may have moved
        mark_dirty(tx, "date", facts["written_date"].min())
    tx.execute(f"DELETE FROM {PENDING}")
    return {"texts": float(facts.height), "seconds": time.perf_counter() - started}


_SCHEMA = {"source": pl.String, "response_id": pl.String, "question_id": pl.String, "complaint_id": pl.String,
           "site_id": pl.String, "customer_id": pl.String, "written_at": pl.Datetime("us"), "content": pl.String}


def _source_texts(tx: Tx, question_ids: list[str], everything: bool) -> pl.DataFrame:
    """Survey comments and complaint descriptions of the pending keys (of every key when `everything`)."""
    def pending(source: str, column: str) -> str:
        return "" if everything else (f" JOIN (SELECT DISTINCT source_id FROM {PENDING} WHERE source = "
                                      f"'{source}') k ON k.source_id = {column}")

    params = {f"q{i}": q for i, q in enumerate(question_ids)}
    parts = []
    if question_ids:
        parts.append(tx.read(
            "SELECT 'survey' AS source, a.response_id, a.question_id, CAST(NULL AS TEXT) AS complaint_id, "
            "a.site_id, a.customer_id, a.submitted_at AS written_at, a.answer_text AS content "
            f"FROM fct_survey_answer a{pending('survey', 'a.response_id')} "
            f"WHERE a.question_id IN ({', '.join(':' + k for k in params)}) AND a.answer_text IS NOT NULL",
            params, _SCHEMA))
    parts.append(tx.read(
        "SELECT 'complaint' AS source, CAST(NULL AS TEXT) AS response_id, CAST(NULL AS TEXT) AS question_id, "
        "c.complaint_id, c.site_id, c.customer_id, c.opened_at AS written_at, c.description AS content "
        f"FROM fct_complaint c{pending('complaint', 'c.complaint_id')} WHERE c.description IS NOT NULL",
        None, _SCHEMA))
    return pl.concat(parts)


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
