"""Load one staged drop into the warehouse, in one transaction.

The drop's previous contribution (staging rows, quarantine, file records) is
replaced, the current facts are rebuilt for every key the old or new
contribution touches, and the earliest touched event date is recorded so the
mart refresh recomputes only what changed. A crash anywhere rolls the whole
drop back; a re-run replaces it: either way the result equals one clean run.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from csi.warehouse import tables_core as core
from csi.warehouse import tables_ops as ops
from csi.warehouse.declare import NN, TableDecl
from csi.warehouse.engine import Tx

STAGING = {"sales": core.STG_SALES, "surveys": core.STG_ANSWER, "complaints": core.STG_COMPLAINT}
FACTS = {"sales": core.FCT_SALES, "surveys": core.FCT_ANSWER, "complaints": core.FCT_COMPLAINT}
KEYS = {"sales": ("order_id", "line_no"), "surveys": ("response_id", "question_id"),
        "complaints": ("complaint_id",)}
EVENT = {"sales": "ordered_at", "surveys": "submitted_at", "complaints": "opened_at"}
KEY_TYPES = {"order_id": "text", "line_no": "int", "response_id": "text", "question_id": "text",
             "complaint_id": "text"}
# the latest delivery of a key wins; complaints: the latest version by updated_at first
ORDER = {"sales": "drop_date DESC, source_file DESC, record_no DESC",
         "surveys": "drop_date DESC, source_file DESC, record_no DESC",
         "complaints": "updated_at DESC, drop_date DESC, source_file DESC, record_no DESC"}


def load_drop(tx: Tx, stage_dir: Path, business_date: date, run_id: str, reject: bool) -> dict[str, int]:
    """Replace the drop's contribution; `reject` loads its quarantine and files but no rows.

    Returns rows staged per source (duplicate files were never staged).
    """
    files = pl.read_parquet(stage_dir / "files.parquet")
    params = {"d": business_date}
    old = {s: _keys_of_drop(tx, s, business_date) for s in STAGING}
    for decl in (*STAGING.values(), ops.OPS_QUARANTINE, ops.OPS_INGESTED_FILE):
        tx.execute(f"DELETE FROM {tx.q(decl.name)} WHERE drop_date = :d", params)

    quarantine = pl.read_parquet(stage_dir / "quarantine.parquet")
    tx.insert(ops.OPS_QUARANTINE, quarantine.with_columns(pl.lit(run_id).alias("run_id")))
    tx.insert(ops.OPS_INGESTED_FILE, files.with_columns(
        pl.lit(business_date).alias("drop_date"), pl.lit(run_id).alias("run_id")))

    staged: dict[str, int] = {}
    for source, decl in STAGING.items():
        rows = pl.read_parquet(stage_dir / f"{source}.parquet")
        if reject or rows.width == 0:
            rows = pl.DataFrame(schema=decl.polars_schema)
        staged[source] = tx.insert(decl, rows)
        new_keys = rows.select(*KEYS[source], pl.col(EVENT[source]).alias("event_at"))
        _rebuild_facts(tx, source, pl.concat([old[source], new_keys], how="vertical_relaxed"))
    return staged


def _keys_of_drop(tx: Tx, source: str, business_date: date) -> pl.DataFrame:
    keys = ", ".join(KEYS[source])
    return tx.read(
        f"SELECT {keys}, {EVENT[source]} AS event_at FROM {STAGING[source].name} WHERE drop_date = :d",
        {"d": business_date},
        {**{k: STAGING[source].polars_schema[k] for k in KEYS[source]}, "event_at": pl.Datetime("us")})


def _key_table(source: str) -> TableDecl:
    cols = tuple(NN(k, KEY_TYPES[k], k) for k in KEYS[source])
    return TableDecl(f"tmp_keys_{source}", "tmp", "keys touched by this load", cols)


def _rebuild_facts(tx: Tx, source: str, touched: pl.DataFrame) -> None:
    """Delete and re-derive the current fact rows of the touched keys; mark dirty dates."""
    if touched.height == 0:
        return
    keys = KEYS[source]
    tmp = _key_table(source)
    tx.execute(f"DROP TABLE IF EXISTS {tmp.name}")
    cols = ", ".join(f"{k} {'INTEGER' if KEY_TYPES[k] == 'int' else 'TEXT'}" for k in keys)
    tx.execute(f"CREATE TEMPORARY TABLE {tmp.name} ({cols})")
    tx.insert(tmp, touched.select(keys).unique())
    join = " AND ".join(f"f.{k} = k.{k}" for k in keys)
    fact, stg = FACTS[source], STAGING[source]
    tx.execute(f"DELETE FROM {fact.name} f USING {tmp.name} k WHERE {join}")
    select = _fact_select(source, stg)
    part = ", ".join(f"s.{k}" for k in keys)
    tx.execute(
        f"INSERT INTO {fact.name} ({', '.join(fact.column_names)}) "
        f"SELECT {', '.join(fact.column_names)} FROM (SELECT {select}, "
        f"row_number() OVER (PARTITION BY {part} ORDER BY {ORDER[source]}) AS rn "
        f"FROM {stg.name} s JOIN {tmp.name} k ON {join.replace('f.', 's.')}) x WHERE rn = 1")
    if source == "surveys":
        _rebuild_responses(tx, tmp.name)
    _mark_dirty(tx, touched)
    tx.execute(f"DROP TABLE {tmp.name}")


def _fact_select(source: str, stg: TableDecl) -> str:
    base = ", ".join(f"s.{c}" for c in stg.column_names)
    if source != "complaints":
        return base
    hours = "EXTRACT(EPOCH FROM ({} - s.opened_at)) / 3600.0"
    return (f"{base}, {hours.format('s.closed_at')} AS resolution_hours, "
            f"{hours.format('s.first_response_at')} AS first_response_hours, "
            f"CAST((SELECT count(DISTINCT v.updated_at) FROM {stg.name} v "
            "WHERE v.complaint_id = s.complaint_id) AS INTEGER) AS version_count")


def _rebuild_responses(tx: Tx, tmp: str) -> None:
    tx.execute(f"DELETE FROM fct_survey_response r USING (SELECT DISTINCT response_id FROM {tmp}) k "
               "WHERE r.response_id = k.response_id")
    tx.execute(
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
        f"JOIN (SELECT DISTINCT response_id FROM {tmp}) k ON a.response_id = k.response_id) x "
        "WHERE rn = 1")


def _mark_dirty(tx: Tx, touched: pl.DataFrame) -> None:
    earliest = touched["event_at"].min()
    if earliest is None:
        return
    tx.execute("INSERT INTO ops_dirty_period (grain, period_start) SELECT 'date', :p WHERE NOT EXISTS "
               "(SELECT 1 FROM ops_dirty_period WHERE grain = 'date' AND period_start = :p)",
               {"p": earliest.date()})
