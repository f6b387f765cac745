"""Reads and writes of the text facts (fct_text, fct_text_topic), their pending keys
(ops_pending_text_key) and the stored configuration fingerprint (ops_text_rules).

The policy (which texts to re-analyse, when a changed configuration re-analyses all) is
csi.pipeline.text; this module only knows where the rows live.
"""

from __future__ import annotations

import polars as pl

from csi.warehouse import tables_ops as ops
from csi.warehouse import tables_text as tt
from csi.warehouse.engine import Tx

PENDING = tt.OPS_PENDING_TEXTS.name

# the frame csi.pipeline.text analyses: one row per text of a survey comment or complaint description
SOURCE_TEXT_SCHEMA = {"source": pl.String, "response_id": pl.String, "question_id": pl.String,
                      "complaint_id": pl.String, "site_id": pl.String, "customer_id": pl.String,
                      "written_at": pl.Datetime("us"), "content": pl.String}


def capture_text_keys(tx: Tx) -> None:
    """Copy the pending survey and complaint keys (before the facts rebuild consumes them)."""
    tx.execute(
        f"INSERT INTO {PENDING} (source, source_id) "
        f"SELECT DISTINCT 'survey', response_id FROM {ops.OPS_PENDING_SURVEYS.name} UNION "
        f"SELECT DISTINCT 'complaint', complaint_id FROM {ops.OPS_PENDING_COMPLAINTS.name}")


def stored_fingerprint(tx: Tx) -> str | None:
    """The fingerprint of the configuration the stored texts were analysed with (None: never analysed)."""
    return tx.scalar("SELECT max(rules_fingerprint) FROM ops_text_rules")


def reset_texts(tx: Tx, fingerprint: str, topic_count: int) -> None:
    """Delete every text and record the configuration the next analysis uses."""
    tx.execute("DELETE FROM fct_text_topic")
    tx.execute("DELETE FROM fct_text")
    tx.execute("DELETE FROM ops_text_rules")
    tx.insert(tt.OPS_TEXT_RULES, pl.DataFrame({"rules_fingerprint": [fingerprint], "topic_count": [topic_count]}))


def delete_pending_texts(tx: Tx) -> None:
    """Delete the texts (and their topic rows) of the pending keys."""
    for table in ("fct_text_topic", "fct_text"):
        tx.execute(f"DELETE FROM {table} WHERE text_id IN (SELECT text_id FROM fct_text t JOIN {PENDING} p "
                   "ON p.source_id = CASE t.source WHEN 'survey' THEN t.response_id ELSE t.complaint_id END "
                   "AND p.source = t.source)")


def source_texts(tx: Tx, question_ids: list[str], everything: bool) -> pl.DataFrame:
    """Survey comments (answers to `question_ids`) and complaint descriptions of the pending keys,
    of every key when `everything` (SOURCE_TEXT_SCHEMA)."""
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
            params, SOURCE_TEXT_SCHEMA))
    parts.append(tx.read(
        "SELECT 'complaint' AS source, CAST(NULL AS TEXT) AS response_id, CAST(NULL AS TEXT) AS question_id, "
        "c.complaint_id, c.site_id, c.customer_id, c.opened_at AS written_at, c.description AS content "
        f"FROM fct_complaint c{pending('complaint', 'c.complaint_id')} WHERE c.description IS NOT NULL",
        None, SOURCE_TEXT_SCHEMA))
    return pl.concat(parts)


def insert_texts(tx: Tx, texts: pl.DataFrame, topic_rows: pl.DataFrame) -> None:
    """Append analysed texts (fct_text rows) and their topic rows (fct_text_topic)."""
    tx.insert(tt.FCT_TEXT, texts)
    tx.insert(tt.FCT_TEXT_TOPIC, topic_rows)


def clear_pending_text_keys(tx: Tx) -> None:
    tx.execute(f"DELETE FROM {PENDING}")
