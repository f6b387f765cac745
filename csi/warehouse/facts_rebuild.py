"""What the fact rebuild writes: the current fact rows (fct_*, fct_survey_response) of the
pending keys, re-derived from the staging tables in one set-based pass per source, and the
emptied ops_pending_<source>_key (csi.pipeline.load.rebuild_pending_facts decides when).
"""

from __future__ import annotations

from datetime import date

from csi.warehouse import tables_core as core
from csi.warehouse.complaint_changes import complaint_snapshot_change
from csi.warehouse.declare import TableDecl
from csi.warehouse.engine import Tx
from csi.warehouse.staging import KEYS, PENDING_BY_SOURCE
from csi.warehouse.tables_core import STAGING_BY_SOURCE

FACTS = {"sales": core.FCT_SALES, "surveys": core.FCT_ANSWER, "complaints": core.FCT_COMPLAINT}
# the latest delivery of a key wins; complaints: the latest version by updated_at first
ORDER = {"sales": "drop_date DESC, source_file DESC, record_no DESC",
         "surveys": "drop_date DESC, source_file DESC, record_no DESC",
         "complaints": "updated_at DESC, drop_date DESC, source_file DESC, record_no DESC"}


def has_pending(tx: Tx, source: str) -> bool:
    return bool(tx.scalar(f"SELECT count(*) FROM {PENDING_BY_SOURCE[source].name}"))


def clear_pending(tx: Tx, source: str) -> None:
    tx.execute(f"DELETE FROM {PENDING_BY_SOURCE[source].name}")


def rebuild_facts(tx: Tx, source: str) -> date | None:
    """Delete and re-derive the current fact rows of the source's pending keys (latest delivery
    wins). Complaints: returns the earliest date whose customer snapshots the change moves
    (csi.warehouse.complaint_changes; None: none), compared before the old rows go."""
    keys = KEYS[source]
    tmp, new = f"tmp_keys_{source}", f"tmp_new_{source}"
    for t in (tmp, new):
        tx.execute(f"DROP TABLE IF EXISTS {t}")
    tx.execute(f"CREATE TEMPORARY TABLE {tmp} AS SELECT DISTINCT {', '.join(keys)} "
               f"FROM {PENDING_BY_SOURCE[source].name}")
    join = " AND ".join(f"f.{k} = k.{k}" for k in keys)
    fact, stg = FACTS[source], STAGING_BY_SOURCE[source]
    part = ", ".join(f"s.{k}" for k in keys)
    tx.execute(
        f"CREATE TEMPORARY TABLE {new} AS SELECT {', '.join(fact.column_names)} FROM (SELECT "
        f"{_fact_select(source, stg)}, row_number() OVER (PARTITION BY {part} ORDER BY {ORDER[source]}) AS rn "
        f"FROM {stg.name} s JOIN {tmp} k ON {join.replace('f.', 's.')}{_versions_join(source, stg, tmp)}"
        ") x WHERE rn = 1")
    changed = tx.scalar(complaint_snapshot_change(fact.name, tmp, new)) if source == "complaints" else None
    _replace(tx, fact, f"{fact.name} f JOIN {tmp} k ON {join}", f"{new} f",
             f"DELETE FROM {fact.name} f USING {tmp} k WHERE {join}",
             f"INSERT INTO {fact.name} ({', '.join(fact.column_names)}) SELECT {', '.join(fact.column_names)} FROM {new}")
    if source == "surveys":
        _rebuild_responses(tx, tmp)
    for t in (tmp, new):
        tx.execute(f"DROP TABLE {t}")
    return changed


def _replace(tx: Tx, fact: TableDecl, old_rows: str, new_rows: str, delete: str, insert: str) -> None:
    """Run `delete` and `insert`; for a partitioned fact, journaled from the earliest partition
    value of the rows they replace and insert (`old_rows`, `new_rows`: FROM clauses whose rows
    are aliased `f`), skipped when both are empty."""
    if not fact.partition:
        tx.execute(delete)
        tx.execute(insert)
        return
    part = tx.q(fact.partition)
    start = tx.scalar(f"SELECT min(x.p) FROM (SELECT min(f.{part}) AS p FROM {old_rows} "
                      f"UNION ALL SELECT min(f.{part}) FROM {new_rows}) x")
    if start is None:
        return  # no row to replace, none to insert
    tx.execute_from(fact, start, delete)
    tx.execute_from(fact, start, insert)


def _fact_select(source: str, stg: TableDecl) -> str:
    base = ", ".join(f"s.{c}" for c in stg.column_names)
    if source != "complaints":
        return base
    hours = "EXTRACT(EPOCH FROM ({} - s.opened_at)) / 3600.0"
    return (f"{base}, {hours.format('s.closed_at')} AS resolution_hours, "
            f"{hours.format('s.first_response_at')} AS first_response_hours, "
            "CAST(v.version_count AS INTEGER) AS version_count")


def _versions_join(source: str, stg: TableDecl, tmp: str) -> str:
    """Complaints: the number of distinct versions per complaint, as a join (not a correlated subquery)."""
    if source != "complaints":
        return ""
    return (f" JOIN (SELECT c.complaint_id, count(DISTINCT c.updated_at) AS version_count FROM {stg.name} c "
            f"JOIN {tmp} t ON c.complaint_id = t.complaint_id GROUP BY c.complaint_id) v "
            "ON v.complaint_id = s.complaint_id")


def _rebuild_responses(tx: Tx, tmp: str) -> None:
    ids = f"(SELECT DISTINCT response_id FROM {tmp}) k"
    # a response is dated by its latest answer: its answers' earliest date bounds the new row's
    _replace(
        tx, core.FCT_RESPONSE, f"fct_survey_response f JOIN {ids} ON f.response_id = k.response_id",
        f"fct_survey_answer f JOIN {ids} ON f.response_id = k.response_id",
        f"DELETE FROM fct_survey_response r USING {ids} WHERE r.response_id = k.response_id",
        "INSERT INTO fct_survey_response (response_id, customer_id, site_id, submitted_at, submitted_date, "
        "channel, answer_count, nps_answer, nps_class) "
        "SELECT response_id, customer_id, site_id, submitted_at, CAST(submitted_at AS DATE), channel, "
        "answer_count, nps_answer, CASE WHEN nps_answer >= 9 THEN 'promoter' WHEN nps_answer >= 7 "
        "THEN 'passive' WHEN nps_answer IS NOT NULL THEN 'detractor' END "
        "FROM (SELECT a.response_id, a.customer_id, a.site_id, a.submitted_at, a.channel, "
        "CAST(count(*) OVER (PARTITION BY a.response_id) AS INTEGER) AS answer_count, "
        "CAST(max(CASE WHEN a.question_id = 'nps' THEN a.answer END) OVER (PARTITION BY a.response_id) "
        "AS INTEGER) AS nps_answer, row_number() OVER (PARTITION BY a.response_id "
        "ORDER BY a.submitted_at DESC, a.question_id) AS rn FROM fct_survey_answer a "
        f"JOIN {ids} ON a.response_id = k.response_id) x WHERE rn = 1")
