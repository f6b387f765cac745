"""Load one staged drop into the warehouse, in one transaction.

The drop's previous contribution (staging rows, quarantine, file records) is
replaced, every key the old or new contribution touches is recorded in
`ops_pending_<source>_key`, and the earliest touched event date in
`ops_dirty_period`. The current facts of all pending keys are re-derived once,
by `rebuild_pending_facts` at the start of the next refresh, in the refresh's
transaction: a load costs O(rows of the drop), not O(history), so a backfill is
linear in its dates. A crash anywhere rolls the drop (or the refresh) back; the
pending keys survive a failed refresh, and a re-run replaces the drop: either
way the result equals one clean run.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from csi.pipeline.complaint_changes import complaint_snapshot_change
from csi.warehouse import tables_core as core
from csi.warehouse import tables_ops as ops
from csi.warehouse.declare import TableDecl
from csi.warehouse.engine import Tx

PENDING = {"sales": ops.OPS_PENDING_SALES, "surveys": ops.OPS_PENDING_SURVEYS,
           "complaints": ops.OPS_PENDING_COMPLAINTS}
STAGING = {"sales": core.STG_SALES, "surveys": core.STG_ANSWER, "complaints": core.STG_COMPLAINT}
FACTS = {"sales": core.FCT_SALES, "surveys": core.FCT_ANSWER, "complaints": core.FCT_COMPLAINT}
KEYS = {"sales": ("order_id", "line_no"), "surveys": ("response_id", "question_id"),
        "complaints": ("complaint_id",)}
EVENT = {"sales": "ordered_at", "surveys": "submitted_at", "complaints": "opened_at"}
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
        _check_replaced(tx, decl.name, business_date, staged[source])
        new_keys = rows.select(*KEYS[source], pl.col(EVENT[source]).alias("event_at"))
        touched = pl.concat([old[source], new_keys], how="vertical_relaxed")
        tx.insert(PENDING[source], touched.select(KEYS[source]).unique())
        _mark_dirty(tx, touched, snapshots=source != "complaints")
    mark_dirty(tx, "snapshot", business_date)  # the date's own snapshot, even if no event touched it
    return staged


class StagingInvariantError(RuntimeError):
    """A drop's rows did not replace its old ones exactly: the load is rolled back."""


def _check_replaced(tx: Tx, table: str, business_date: date, inserted: int) -> None:
    """After DELETE + INSERT of a drop, the table must hold exactly the rows just inserted for it.

    It would have caught the doubled staging rows: an index that missed old rows let the
    DELETE leave them behind, and a `WHERE drop_date = :d` count through the same index would
    miss them too, so the count is an aggregate FILTER over a scan of the one column (no index
    can answer it; milliseconds per million rows)."""
    held = tx.scalar(f"SELECT count(*) FILTER (WHERE drop_date = :d) FROM {tx.q(table)}", {"d": business_date})
    if held != inserted:
        raise StagingInvariantError(
            f"{table}: drop {business_date} holds {held} rows after loading {inserted}: old rows were not "
            "deleted; nothing was loaded (check the warehouse file, docs/operations.md 'Crash safety')")


def rebuild_pending_facts(tx: Tx) -> None:
    """Re-derive the current fact rows of every pending key, in one pass per source."""
    for source, pending in PENDING.items():
        if tx.scalar(f"SELECT count(*) FROM {pending.name}"):
            _rebuild_facts(tx, source, pending.name)
            tx.execute(f"DELETE FROM {pending.name}")


def _keys_of_drop(tx: Tx, source: str, business_date: date) -> pl.DataFrame:
    keys = ", ".join(KEYS[source])
    return tx.read(
        f"SELECT {keys}, {EVENT[source]} AS event_at FROM {STAGING[source].name} WHERE drop_date = :d",
        {"d": business_date},
        {**{k: STAGING[source].polars_schema[k] for k in KEYS[source]}, "event_at": pl.Datetime("us")})


def _rebuild_facts(tx: Tx, source: str, pending: str) -> None:
    """Delete and re-derive the current fact rows of the pending keys (latest delivery wins)."""
    keys = KEYS[source]
    tmp, new = f"tmp_keys_{source}", f"tmp_new_{source}"
    for t in (tmp, new):
        tx.execute(f"DROP TABLE IF EXISTS {t}")
    tx.execute(f"CREATE TEMPORARY TABLE {tmp} AS SELECT DISTINCT {', '.join(keys)} FROM {pending}")
    join = " AND ".join(f"f.{k} = k.{k}" for k in keys)
    fact, stg = FACTS[source], STAGING[source]
    part = ", ".join(f"s.{k}" for k in keys)
    tx.execute(
        f"CREATE TEMPORARY TABLE {new} AS SELECT {', '.join(fact.column_names)} FROM (SELECT "
        f"{_fact_select(source, stg)}, row_number() OVER (PARTITION BY {part} ORDER BY {ORDER[source]}) AS rn "
        f"FROM {stg.name} s JOIN {tmp} k ON {join.replace('f.', 's.')}{_versions_join(source, stg, tmp)}"
        ") x WHERE rn = 1")
    if source == "complaints":  # before the old rows go: the diff bounds the snapshots to recompute
        mark_dirty(tx, "snapshot", tx.scalar(complaint_snapshot_change(fact.name, tmp, new)))
    tx.execute(f"DELETE FROM {fact.name} f USING {tmp} k WHERE {join}")
    tx.execute(f"INSERT INTO {fact.name} ({', '.join(fact.column_names)}) "
               f"SELECT {', '.join(fact.column_names)} FROM {new}")
    if source == "surveys":
        _rebuild_responses(tx, tmp)
    for t in (tmp, new):
        tx.execute(f"DROP TABLE {t}")


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


def _mark_dirty(tx: Tx, touched: pl.DataFrame, snapshots: bool) -> None:
    earliest = touched["event_at"].min()
    if earliest is not None:
        mark_dirty(tx, "date", earliest.date())
        if snapshots:
            mark_dirty(tx, "snapshot", earliest.date())


def mark_dirty(tx: Tx, grain: str, day: date | None) -> None:
    """Record that `grain` marts are stale from `day` on ('date': monthly and quarterly marts,
    from the earliest touched event date; 'snapshot': the customer snapshot marts)."""
    if day is None:
        return
    tx.execute("INSERT INTO ops_dirty_period (grain, period_start) SELECT :g, :p WHERE NOT EXISTS "
               "(SELECT 1 FROM ops_dirty_period WHERE grain = :g AND period_start = :p)", {"g": grain, "p": day})
