"""Baseline: the project's polars transforms vs straightforward DuckDB SQL for four core marts.

Facts are read from the warehouse into polars once (timed apart); each side is
then timed best-of-`repeats` producing a polars frame: the transforms collect on
the in-memory frames, the SQL runs inside DuckDB on the loaded tables and returns
`.pl()`. ratio = polars / SQL (target <= 1.5). Customer marts are for the last
snapshot date only, and without the CLV fit (reported apart as
customer_value_with_clv, which has no SQL counterpart).
"""

from __future__ import annotations

import time

import duckdb
import polars as pl

from bench import baseline_customer_sql as csql
from bench import baseline_sql as sql
from bench.meter import Meter
from csi.catalog import load_catalog
from csi.warehouse import tables_core as core
from csi.warehouse.engine import Warehouse
from transforms import customer_snapshots as cs
from transforms.churn_signals import ChurnParams, build_churn_signals
from transforms.complaints_monthly import build_complaints_monthly
from transforms.customer_value import CustomerValueParams, customer_value_with_models, snapshot_base
from transforms.rfm import DEFAULT_RFM_GRID, rfm_scores, rfm_segment
from transforms.satisfaction_monthly import build_satisfaction_monthly
from transforms.value_tier import value_tiers

KEYS = {"satisfaction_monthly": ["month", "site_id"], "complaints_monthly": ["month", "site_id"],
        "customer_value_rfm_tier": ["customer_id"], "churn_signals": ["customer_id"]}


def disagreement(a: pl.DataFrame, b: pl.DataFrame, keys: list[str]) -> dict[str, int]:
    """Rows differing (beyond 1e-6, or in nullness) per shared column: the SQL must compute the same mart."""
    cols = [c for c in a.columns if c in b.columns and c not in (*keys, "as_of_date", "reasons")]
    j = a.select(*keys, *cols).join(b.select(*keys, *cols), on=keys, how="full", suffix="_sql", coalesce=True)
    out = {}
    for c in cols:
        x, y = pl.col(c), pl.col(f"{c}_sql")
        if a.schema[c].is_numeric() or a.schema[c] == pl.Boolean:
            x, y = x.cast(pl.Float64), y.cast(pl.Float64)
            diff = (x - y).abs() > 1e-6
        else:
            diff = x.cast(pl.String) != y.cast(pl.String)
        n = j.select((diff.fill_null(False) | (x.is_null() != y.is_null())).sum()).item()
        if n:
            out[c] = n
    return out


def _best(fn, repeats: int) -> tuple[float, pl.DataFrame]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def compare(meter: Meter, settings, repeats: int = 3) -> dict:
    wh = Warehouse(settings.url)
    t0 = time.perf_counter()
    with meter.phase("baseline.read_facts"), wh.transaction() as tx:
        f = {n: tx.read_table(d) for n, d in (("sales", core.FCT_SALES), ("answers", core.FCT_ANSWER),
                                              ("responses", core.FCT_RESPONSE), ("complaints", core.FCT_COMPLAINT))}
        as_of = tx.scalar("SELECT max(business_date) FROM ops_pipeline_run WHERE status = 'success'")
    read_s = time.perf_counter() - t0
    wh.dispose()
    lz = {k: v.lazy() for k, v in f.items()}
    catalog = load_catalog(settings.instrument_catalog)
    acsi = catalog.filter(pl.col("instrument") == "acsi")
    sat = [(r["question_id"], r["scale_min"], r["scale_max"])
           for r in acsi.filter(pl.col("construct") == "SAT").sort("question_id").iter_rows(named=True)]
    comp = acsi.filter(pl.col("construct") == "COMP")["question_id"].to_list()
    s_cfg, c_cfg, cv = settings.satisfaction, settings.complaints, settings.customer_value
    cv_params, churn = CustomerValueParams.from_settings(cv), ChurnParams.from_settings(settings.churn)

    def value_polars() -> pl.DataFrame:
        base = snapshot_base(lz["sales"], lz["responses"], lz["complaints"], [as_of], cv.tier_window_days)
        return value_tiers(rfm_segment(rfm_scores(base), cv.rfm_grid), cv_params.tiers, tie_key=cs.K).collect()

    polars_side = {
        "satisfaction_monthly": lambda: build_satisfaction_monthly(
            lz["answers"], lz["responses"], catalog.lazy(), None, s_cfg.low_sample_n, s_cfg.z_value).collect(),
        "complaints_monthly": lambda: build_complaints_monthly(
            lz["complaints"], lz["sales"], lz["responses"], c_cfg.sla_hours, c_cfg.silent_dissatisfied_factor
        ).collect(),
        "customer_value_rfm_tier": value_polars,
        "churn_signals": lambda: build_churn_signals(lz["sales"], lz["responses"], lz["complaints"], [as_of],
                                                     p_alive=None, params=churn).collect(),
    }
    tiers = [(n, float(v)) for n, v in cv_params.tiers.bounds]
    sql_side = {
        "satisfaction_monthly": sql.satisfaction(sat, comp, s_cfg.low_sample_n, s_cfg.z_value),
        "complaints_monthly": sql.complaints(c_cfg.sla_hours, c_cfg.silent_dissatisfied_factor),
        "customer_value_rfm_tier": csql.customer_value(cv.rfm_grid or DEFAULT_RFM_GRID, tiers),
        "churn_signals": csql.churn_signals(churn, churn.ordered_weights(), churn.window_days),
    }
    db, _, query = settings.url.split("///", 1)[1].partition("?")
    marts = {}
    config = dict(kv.split("=", 1) for kv in query.split("&") if kv)  # e.g. the memory_limit of the run
    con = duckdb.connect(db, read_only=True, config=config)
    try:
        for name, fn in polars_side.items():
            with meter.phase(f"baseline.polars.{name}"):
                p_s, p_out = _best(fn, repeats)
            with meter.phase(f"baseline.sql.{name}"):
                q_s, q_out = _best(lambda q=sql_side[name]: con.execute(q, {"d": as_of} if "$d" in q else None).pl(), repeats)
            marts[name] = {"polars_s": round(p_s, 4), "sql_s": round(q_s, 4), "ratio": round(p_s / q_s, 2),
                           "polars_rows": p_out.height, "sql_rows": q_out.height,
                           "columns_differing": disagreement(p_out, q_out, KEYS[name])}
    finally:
        con.close()
    with meter.phase("baseline.polars.customer_value_with_clv"):
        clv_s, (clv_out, _) = _best(lambda: tuple(x.collect() for x in customer_value_with_models(
            lz["sales"], lz["responses"], lz["complaints"], [as_of], cv_params)), 1)
    marts["customer_value_with_clv"] = {"polars_s": round(clv_s, 4), "sql_s": None, "ratio": None,
                                        "polars_rows": clv_out.height, "sql_rows": None}
    ratios = [m["ratio"] for m in marts.values() if m["ratio"] is not None]
    return {"as_of_date": str(as_of), "read_seconds": round(read_s, 3), "repeats": repeats, "marts": marts,
            "fact_rows": {k: v.height for k, v in f.items()},
            "summary": {k: m["ratio"] for k, m in marts.items()} | {"max_ratio": max(ratios)},
            "note": "columns_differing lists, per mart, the shared columns whose values differ between the "
                    "two sides (empty = the SQL computes the same mart). The SQL reasons text is simplified "
                    "and not compared."}
