"""The plain-SQL baseline end to end: landing files -> validated facts -> every SQL-able mart, in DuckDB.

    python -m bench.baseline_landing LANDING FIRST_DATE LAST_DATE CATALOG OUT.json

An independent, straightforward implementation (not csi's code) of what a backfill
of [FIRST_DATE, LAST_DATE] produces, for the last as-of date only:

- ingest: every file of the drops, a file whose sha256 was seen in an earlier drop
  (or earlier in the same drop) read once; CSV/JSONL decoded from UTF-8 or GB18030
  (DuckDB reads UTF-8 only without its `encodings` extension, so non-UTF-8 text is
  re-encoded to a temporary UTF-8 file first, a BOM dropped), Parquet files without
  the PAR1 magic skipped as unreadable; wide survey exports melted with UNPIVOT.
- validation, the rules that change row counts: required fields present and
  parseable, vocabularies (order type, currency, complaint status and channel),
  ranges (quantity, prices, discount, severity, compensation, catalog scales),
  the revenue and cost rules, timestamps in order, questions in the catalog, and
  keys duplicated within a drop rejected (all copies); the latest delivery of a key
  wins (complaints: the latest updated_at).
- marts: satisfaction, complaints, SERVQUAL, KANO, service recovery (monthly /
  quarterly, all history), customer value, churn signals and the whale curve for
  the last date. Not SQL, so not here: the ACSI PLS model (and the model-weighted
  index that uses it) and the CLV fits (BG/NBD, Gamma-Gamma: p_alive is null).

Runs in its own process so its peak RSS is its own; writes seconds per step, rows
and ru_maxrss to OUT.json.
"""

from __future__ import annotations

import hashlib
import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from bench import baseline_customer_sql as csql
from bench import baseline_marts_sql as msql
from bench import baseline_sql as sql
from schemas.iso4217 import ISO4217_ACTIVE
from transforms.vocab import COMPLAINT_CHANNELS, COMPLAINT_STATUSES, ORDER_TYPES

SALES = ("order_id", "line_no", "order_type", "customer_id", "site_id", "channel", "ordered_at", "product_category",
         "quantity", "unit_price", "discount", "revenue", "cost", "currency")
SURVEYS = ("response_id", "question_id", "customer_id", "site_id", "submitted_at", "channel", "answer", "answer_text")
WIDE_IDS = ("response_id", "customer_id", "site_id", "submitted_at", "channel")
COMPLAINTS = ("complaint_id", "customer_id", "site_id", "opened_at", "first_response_at", "closed_at", "updated_at",
              "status", "resolved", "channel", "category", "severity", "compensation", "description")
COLUMNS = {"sales": SALES, "surveys": SURVEYS, "complaints": COMPLAINTS}
BOM = b"\xef\xbb\xbf"


def _sv(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def discover(landing: Path, first: date, last: date, tmp: Path) -> tuple[dict, dict]:
    """Per source and kind (csv, wide, jsonl, parquet): [(path, drop_date)], once per sha256."""
    seen: set[str] = set()
    files: dict[str, dict[str, list[tuple[str, str]]]] = {s: {} for s in COLUMNS}
    counts = {"files": 0, "duplicate": 0, "unreadable": 0, "recoded": 0}
    drops = sorted(p for p in landing.glob("*/dt=*") if p.parent.name in COLUMNS
                   and first.isoformat() <= p.name[3:] <= last.isoformat())
    for folder in sorted(drops, key=lambda p: (p.name, p.parent.name)):
        for path in sorted(folder.iterdir()):
            kind = path.suffix.lstrip(".")
            if kind not in ("csv", "jsonl", "parquet"):
                continue
            counts["files"] += 1
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen:
                counts["duplicate"] += 1
                continue
            seen.add(digest)
            target = str(path)
            if kind == "parquet":
                if not (data[:4] == b"PAR1" and data[-4:] == b"PAR1"):
                    counts["unreadable"] += 1
                    continue
            else:
                text = data[3:] if data.startswith(BOM) else data
                try:
                    text.decode("utf-8")
                    recoded = text is not data
                except UnicodeDecodeError:
                    text = text.decode("gb18030", "replace").encode("utf-8")
                    recoded = True
                if recoded:
                    counts["recoded"] += 1
                    out = tmp / f"{counts['files']}{path.suffix}"
                    out.write_bytes(text)
                    target = str(out)
                if kind == "csv":  # files are grouped by header: DuckDB's sniffing costs ~0.2 s a file
                    header = tuple(text.split(b"\n", 1)[0].decode("utf-8", "replace").strip().split(","))
                    wide = folder.parent.name == "surveys" and "question_id" not in header
                    kind = ("wide" if wide else "csv", header)
            files[folder.parent.name].setdefault(kind, []).append((target, folder.name[3:]))
    return files, counts


def _file_table(con, name: str, entries: list[tuple[str, str]]) -> None:
    frame = pl.DataFrame({"filename": [p for p, _ in entries], "drop_date": [d for _, d in entries]})
    con.register(f"{name}_frame", frame)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT filename, CAST(drop_date AS DATE) AS drop_date "
                f"FROM {name}_frame")
    con.unregister(f"{name}_frame")


def raw_union(con, source: str, kinds: dict[str, list[tuple[str, str]]], questions: list[str]) -> str:
    """SQL of every landing record of `source` as text columns + filename + drop_date."""
    cols = COLUMNS[source]
    parts = []
    for i, (key, entries) in enumerate(kinds.items()):
        kind, header = key if isinstance(key, tuple) else (key, ())
        table = f"files_{source}_{i}"
        _file_table(con, table, entries)
        paths = "[" + ", ".join(f"'{p}'" for p, _ in entries) + "]"
        names = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in header) + "}"
        csv = (f"read_csv({paths}, columns = {names}, header = true, auto_detect = false, delim = ',', "
               "quote = '\"', escape = '\"', filename = true, ignore_errors = true)")
        if kind == "csv":
            rel = csv
            sel = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" if c in header else f"NULL::VARCHAR AS {c}" for c in cols)
        elif kind == "parquet":
            rel = f"read_parquet({paths}, union_by_name = true, filename = true)"
            sel = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in cols)
        elif kind == "jsonl":
            rel = f"read_ndjson_objects({paths}, filename = true, ignore_errors = true)"
            sel = ", ".join(f"CAST(json ->> '{c}' AS VARCHAR) AS {c}" for c in cols)
        else:  # wide survey export: one column per question id
            present = [q for q in header if q not in WIDE_IDS]
            rel = (f"(SELECT * FROM (SELECT * FROM {csv}) UNPIVOT (answer_raw FOR question_id IN "
                   f"(COLUMNS(c -> c IN ({_sv(present)})))) WHERE trim(answer_raw) <> '')")
            sel = ", ".join(c if c in WIDE_IDS or c == "question_id" else
                            ("CASE WHEN q.is_text THEN NULL ELSE answer_raw END AS answer" if c == "answer" else
                             "CASE WHEN q.is_text THEN answer_raw END AS answer_text") for c in cols)
            parts.append(f"SELECT {sel}, f.drop_date, f.filename FROM {rel} r JOIN {table} f USING (filename) "
                         "LEFT JOIN catalog q USING (question_id)")
            continue
        parts.append(f"SELECT {sel}, f.drop_date, f.filename FROM {rel} r JOIN {table} f USING (filename)")
    return " UNION ALL ".join(parts) if parts else "SELECT " + ", ".join(f"NULL::VARCHAR AS {c}" for c in cols) \
        + ", NULL::DATE AS drop_date, NULL::VARCHAR AS filename WHERE false"


def _parsed(raw: str, types: dict[str, str]) -> str:
    """Typed columns plus `bad`: true when a present value did not parse."""
    typed = ", ".join(f"TRY_CAST(trim({c}) AS {t}) AS {c}" for c, t in types.items())
    bad = " OR ".join(f"({c} IS NOT NULL AND trim({c}) <> '' AND TRY_CAST(trim({c}) AS {t}) IS NULL)"
                      for c, t in types.items())
    return f"SELECT * REPLACE ({typed}), {bad} AS bad FROM ({raw})"


def ingest_sql(con, files: dict, questions: list[str], run_started_at: datetime) -> dict[str, str]:
    """CREATE statements of fct_sales, fct_survey_answer, fct_survey_response, fct_complaint;
    `run_started_at` (naive business time) bounds ordered_at, as a run's start does."""
    sales = _parsed(raw_union(con, "sales", files["sales"], questions), {
        "line_no": "BIGINT", "ordered_at": "TIMESTAMP", "quantity": "BIGINT", "unit_price": "DOUBLE",
        "discount": "DOUBLE", "revenue": "DOUBLE", "cost": "DOUBLE"})
    required = lambda cols: " AND ".join(f"{c} IS NOT NULL" for c in cols)  # noqa: E731
    sign = "CASE order_type WHEN 'sale' THEN 1 ELSE -1 END"
    valid_sales = f"""
SELECT * FROM ({sales}) WHERE NOT bad AND {required(("order_id", "line_no", "order_type", "customer_id", "site_id",
    "ordered_at", "quantity", "unit_price", "discount", "revenue", "cost", "currency"))}
  AND line_no >= 1 AND order_type IN ({_sv(ORDER_TYPES)}) AND site_id <> 'ALL' AND quantity > 0 AND unit_price >= 0
  AND discount >= 0 AND discount < 1 AND currency IN ({_sv(ISO4217_ACTIVE)})
  AND abs(revenue - {sign} * quantity * unit_price * (1 - discount)) <= 0.01 + 1e-9
  AND CASE order_type WHEN 'sale' THEN cost >= 0 ELSE cost <= 0 END
  AND ordered_at <= TIMESTAMP '{run_started_at:%Y-%m-%d %H:%M:%S}'
QUALIFY count(*) OVER (PARTITION BY drop_date, order_id, line_no) = 1"""
    surveys = _parsed(raw_union(con, "surveys", files["surveys"], questions),
                      {"submitted_at": "TIMESTAMP", "answer": "DOUBLE"})
    valid_answers = f"""
SELECT s.* FROM ({surveys}) s LEFT JOIN catalog q USING (question_id)
WHERE NOT bad AND {required(("response_id", "question_id", "site_id", "submitted_at"))} AND site_id <> 'ALL'
  AND q.question_id IS NOT NULL
  AND CASE WHEN q.is_text THEN answer IS NULL AND answer_text IS NOT NULL
      ELSE answer IS NOT NULL AND answer = floor(answer) AND answer BETWEEN q.scale_min AND q.scale_max END
QUALIFY count(*) OVER (PARTITION BY drop_date, response_id, question_id) = 1"""
    complaints = _parsed(raw_union(con, "complaints", files["complaints"], questions), {
        "opened_at": "TIMESTAMP", "first_response_at": "TIMESTAMP", "closed_at": "TIMESTAMP",
        "updated_at": "TIMESTAMP", "resolved": "BOOLEAN", "severity": "BIGINT", "compensation": "DOUBLE"})
    valid_complaints = f"""
SELECT * FROM ({complaints}) WHERE NOT bad AND {required(("complaint_id", "customer_id", "site_id", "opened_at",
    "updated_at", "status", "resolved", "severity", "compensation"))}
  AND site_id <> 'ALL' AND status IN ({_sv(COMPLAINT_STATUSES)})
  AND (channel IS NULL OR channel IN ({_sv(COMPLAINT_CHANNELS)}))
  AND severity BETWEEN 1 AND 4 AND compensation >= 0 AND coalesce(first_response_at >= opened_at, true)
  AND coalesce(closed_at >= opened_at, true) AND updated_at >= opened_at AND (NOT resolved OR closed_at IS NOT NULL)"""
    return {
        "fct_sales": f"""CREATE TABLE fct_sales AS SELECT * EXCLUDE (bad, rn, drop_date, filename),
  CAST(ordered_at AS DATE) AS order_date, revenue - cost AS margin FROM (SELECT *, row_number() OVER (
  PARTITION BY order_id, line_no ORDER BY drop_date DESC, filename DESC) AS rn FROM ({valid_sales})) WHERE rn = 1""",
        "fct_survey_answer": f"""CREATE TABLE fct_survey_answer AS SELECT * EXCLUDE (bad, rn, drop_date, filename),
  CAST(submitted_at AS DATE) AS submitted_date FROM (SELECT *, row_number() OVER (PARTITION BY response_id,
  question_id ORDER BY drop_date DESC, filename DESC) AS rn FROM ({valid_answers})) WHERE rn = 1""",
        "fct_survey_response": """CREATE TABLE fct_survey_response AS SELECT response_id,
  arg_max(customer_id, (submitted_at, question_id)) AS customer_id, arg_max(site_id, (submitted_at, question_id))
  AS site_id, max(submitted_at) AS submitted_at, CAST(max(submitted_at) AS DATE) AS submitted_date,
  count(*) AS answer_count, CAST(max(answer) FILTER (question_id = 'nps') AS INTEGER) AS nps_answer
  FROM fct_survey_answer GROUP BY response_id""",
        "fct_complaint": f"""CREATE TABLE fct_complaint AS SELECT * EXCLUDE (bad, rn, drop_date, filename, resolved),
  resolved AS is_resolved FROM (SELECT *, row_number() OVER (PARTITION BY complaint_id
  ORDER BY updated_at DESC, drop_date DESC, filename DESC) AS rn FROM ({valid_complaints})) WHERE rn = 1""",
    }


def mart_sql(settings, catalog: pl.DataFrame) -> dict[str, str]:
    from transforms.churn_signals import ChurnParams as Churn
    from transforms.customer_value import CustomerValueParams
    from transforms.rfm import DEFAULT_RFM_GRID

    acsi = catalog.filter(pl.col("instrument") == "acsi")
    sat = [(r["question_id"], r["scale_min"], r["scale_max"])
           for r in acsi.filter(pl.col("construct") == "SAT").sort("question_id").iter_rows(named=True)]
    comp = acsi.filter(pl.col("construct") == "COMP")["question_id"].to_list()
    s, c, cv = settings.satisfaction, settings.complaints, settings.customer_value
    churn = Churn.from_settings(settings.churn)
    tiers = [(n, float(v)) for n, v in CustomerValueParams.from_settings(cv).tiers.bounds]
    return {
        "satisfaction_monthly": sql.satisfaction(sat, comp, s.low_sample_n, s.z_value),
        "servqual_monthly": msql.servqual(),
        "kano_quarterly": msql.kano(),
        "complaints_monthly": sql.complaints(c.sla_hours, c.silent_dissatisfied_factor),
        "service_recovery_monthly": msql.service_recovery(c.recovery_window_days),
        "customer_value": csql.customer_value(cv.rfm_grid or DEFAULT_RFM_GRID, tiers),
        "churn_signals": csql.churn_signals(churn, churn.ordered_weights(), churn.window_days),
        "whale_curve": msql.whale_curve("m_customer_value"),
    }


def run(landing: Path, first: date, last: date, catalog_path: Path, settings=None) -> dict:
    from csi.catalog import load_catalog
    from csi.clock import business_now
    from csi.settings import load_settings

    settings = settings or load_settings()
    t_all = time.perf_counter()
    seconds: dict[str, float] = {}
    tmp = Path(tempfile.mkdtemp(prefix="csi-baseline-"))
    con = duckdb.connect(":memory:")
    try:
        catalog = load_catalog(catalog_path)
        con.register("catalog_frame", catalog)
        con.execute("CREATE TABLE catalog AS SELECT * FROM catalog_frame")
        questions = catalog["question_id"].to_list()
        t0 = time.perf_counter()
        files, file_counts = discover(landing, first, last, tmp)
        seconds["ingest.files_hash_decode"] = time.perf_counter() - t0
        for table, statement in ingest_sql(con, files, questions, business_now(settings.timezone)).items():
            t0 = time.perf_counter()
            con.execute(statement)
            seconds[f"ingest.{table}"] = time.perf_counter() - t0
        rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in
                ("fct_sales", "fct_survey_answer", "fct_survey_response", "fct_complaint")}
        for name, query in mart_sql(settings, catalog).items():
            t0 = time.perf_counter()
            params = {"d": last} if "$d" in query else None
            con.execute(f"CREATE TABLE m_{name} AS {query}", params)
            seconds[f"marts.{name}"] = time.perf_counter() - t0
            rows[f"m_{name}"] = con.execute(f"SELECT count(*) FROM m_{name}").fetchone()[0]
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    total = time.perf_counter() - t_all
    ingest = sum(v for k, v in seconds.items() if k.startswith("ingest."))
    return {"as_of_date": last.isoformat(), "seconds": round(total, 3), "ingest_seconds": round(ingest, 3),
            "marts_seconds": round(sum(v for k, v in seconds.items() if k.startswith("marts.")), 3),
            "steps": {k: round(v, 3) for k, v in seconds.items()}, "rows": rows, "files": file_counts,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "excluded": ["ACSI PLS model (mart_acsi_model) and the model-weighted index: an iterative fit, not SQL",
                         "CLV fits (BG/NBD, Gamma-Gamma: p_alive, clv): maximum likelihood, not SQL",
                         "customer snapshots other than the last date (the pipeline keeps one per date)",
                         "quarantine rows and reason codes, file bookkeeping, loads into a warehouse, "
                         "checks, publish"]}


def main(argv: list[str]) -> int:
    landing, first, last, catalog, out = argv
    result = run(Path(landing), date.fromisoformat(first), date.fromisoformat(last), Path(catalog))
    Path(out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
