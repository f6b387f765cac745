"""Targets (reported, not asserted) and the markdown table of one result."""

from __future__ import annotations

GIB = 1024  # MiB


def targets(r: dict) -> list[dict]:
    ph, scale = r.get("phases", {}), r["scale"]
    out = []

    def add(name, measured, limit, unit, applies=True):
        if measured is None:
            return
        out.append({"target": name, "measured": round(measured, 2), "limit": limit, "unit": unit,
                    "met": measured <= limit, "applies_at_this_scale": applies})

    if "backfill" in ph:
        add("full 730-day backfill, scale 1 < 5 min", ph["backfill"]["seconds"] / 60, 5, "min", scale == 1)
        add("full 730-day backfill, scale 5 < 20 min", ph["backfill"]["seconds"] / 60, 20, "min", scale == 5)
    if "nightly" in ph:
        add("nightly incremental run, scale 5 < 15 s", ph["nightly"]["seconds"], 15, "s", scale == 5)
        add("nightly work + checks + publish, scale 5 < 10 s (issue 15)", ph["nightly"]["seconds"], 10, "s",
            scale == 5)
    g = gap(r)
    if g:
        add("backfill within 5x of the SQL baseline, scale 1 and 5 (issue 15)", g["ratio"], 5, "x", scale in (1, 5))
        add("backfill within 3x of the SQL baseline (moonshot)", g["ratio"], 3, "x", scale in (1, 5))
    for run in ("nightly",):
        for fixed in ("checks", "publish"):
            add(f"{run} {fixed} < 1 s (fixed cost)", ph.get(f"{run}.{fixed}", {}).get("seconds"), 1, "s")
    if scheduled_nightly(r) is not None:
        add("scheduled nightly (through a running Prefect server), scale 5 < 10 s (issue 15)", scheduled_nightly(r), 10, "s", scale == 5)
    if "fixed.prefect_server_start" in ph:
        add("Prefect server start < 1 s (fixed cost)", ph["fixed.prefect_server_start"]["seconds"], 1, "s")
    add("peak memory (RSS), scale 5 < 4 GiB", r.get("overall_peak_rss_mib", 0) / GIB, 4, "GiB", scale == 5)
    for mart, row in r.get("baseline", {}).get("marts", {}).items():
        add(f"polars {mart} within 1.5x of DuckDB SQL", row.get("ratio"), 1.5, "x")
    return out


RUN_PHASES = ("plan", "stage", "load", "refresh", "checks", "publish", "finish")
IN_REFRESH = ("facts_rebuild", "texts")  # timed apart, run inside the refresh


def gap(r: dict) -> dict | None:
    """Backfill vs the SQL baseline, and how much of the difference is work the baseline does not do.

    Not done by the baseline, from the measured phases: the loads (warehouse writes and
    bookkeeping), the checks, publish, the ACSI PLS model, and the customer snapshots
    beyond one (the customers family minus the nightly's, which adds one snapshot on top
    of the history: an estimate of one snapshot's cost). The rest is the same work
    (read, validate, derive facts, marts) done slower than the SQL."""
    ph, b = r.get("phases", {}), r.get("sql_baseline") or {}
    if "backfill" not in ph or not b.get("seconds"):
        return None
    s = {k: v["seconds"] for k, v in ph.items()}
    backfill, base = s["backfill"], b["seconds"]
    one_snapshot = s.get("nightly.marts.customers", 0.0)
    extra = {
        "loads (warehouse writes, run bookkeeping)": s.get("backfill.load", 0.0),
        "checks (Great Expectations, reconciliation)": s.get("backfill.checks", 0.0),
        "publish (read-only copy)": s.get("backfill.publish", 0.0) + s.get("backfill.finish", 0.0),
        "ACSI PLS model (not SQL)": s.get("backfill.marts.acsi_model", 0.0),
        "text analysis (fct_text: language, topics, sentiment; not SQL)": s.get("backfill.texts", 0.0),
        f"customer snapshots beyond one ({r.get('backfill', {}).get('customer_snapshots')} dates; "
        "families' time minus the nightly's one)": max(0.0, s.get("backfill.marts.customers", 0.0) - one_snapshot),
    }
    not_done = sum(extra.values())
    same = backfill - not_done
    return {"backfill_s": round(backfill, 2), "baseline_s": round(base, 2), "ratio": round(backfill / base, 2),
            "gap_s": round(backfill - base, 2), "not_in_baseline_s": {k: round(v, 2) for k, v in extra.items()},
            "not_in_baseline_total_s": round(not_done, 2),
            "share_of_gap_not_in_baseline": round(not_done / (backfill - base), 3) if backfill > base else None,
            "same_work_s": round(same, 2), "same_work_ratio": round(same / base, 2)}


def _f(x, nd=2):
    return "" if x is None else (f"{x:,.{nd}f}" if isinstance(x, float) else f"{x:,}")


def markdown(r: dict) -> str:
    ph = r.get("phases", {})
    m = r["machine"]
    floor_s = r.get("floor", {}).get("seconds") or None
    nfloor_s = r.get("nightly_floor", {}).get("seconds") or None
    rows_bf = sum(r.get("backfill", {}).get("rows_read", {}).values()) or None
    rows_n = sum(r.get("nightly", {}).get("rows_read", {}).values()) or None
    lines = [
        f"# csi benchmark, scale {r['scale']:g} ({r['started_at']})"
        + ("" if r.get("complete") else " - INCOMPLETE (stopped or still running)"), "",
        f"Machine: {m['cpu_model']}, {m['usable_cores']} cores, {m['ram_gib']} GiB RAM, load at start "
        f"{m['load_average_at_start']}; Python {m['python']}, polars {m['polars']}, duckdb {m['duckdb']}, "
        f"prefect {m.get('prefect')}, great_expectations {m.get('great_expectations')}; {m.get('os')}; "
        f"commit {r.get('commit')}.",
        f"Data: {r['generator']['customers']:,} customers x {r['generator']['days']} days from "
        f"{r['generator']['start_date']} (+1 nightly), "
        f"generator rows {r['generation']['rows']}; snapshot cadence "
        f"**{r['settings']['snapshot_cadence']}**; staging {r['settings']['staging']}; DuckDB memory_limit "
        f"{r['settings'].get('duckdb_memory_limit', 'DuckDB default (80% of RAM)')}.",
        f"Landing read floor (plain polars readers): backfill {_f(floor_s)} s for "
        f"{_f(r.get('floor', {}).get('rows'))} rows, nightly {_f(nfloor_s, 3)} s.", "",
        "| phase | wall s | calls | peak RSS MiB | RSS at start MiB | landing rows/s | x floor |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, v in ph.items():
        run = label.split(".")[0]
        fl, rows = (floor_s, rows_bf) if run == "backfill" else (nfloor_s, rows_n) if run == "nightly" \
            else (None, None)
        rps = rows / v["seconds"] if rows and v["seconds"] and label.count(".") <= 2 else None
        ratio = v["seconds"] / fl if fl else None
        lines.append(f"| {label} | {_f(v['seconds'])} | {v['calls']} | {_f(v['peak_rss_mib'], 0)} | "
                     f"{_f(v['start_rss_mib'], 0)} | {_f(rps, 0)} | {_f(ratio, 1)} |")
    if m.get("load_average_at_end"):
        lines.append(f"\nLoad average at the end: {m['load_average_at_end']} (the machine is shared: "
                     "other jobs inflate wall times).")
    lines += ["", f"Overall peak RSS: {_f(r.get('overall_peak_rss_mib'), 0)} MiB. "
              f"Warehouse file: {_f((r.get('db_bytes') or 0) / 2**20, 0)} MiB.", ""]
    for run in ("backfill", "nightly"):
        if run in r:
            x = r[run]
            lines.append(f"{run}: {x['dates_run']} of {x['dates']} dates run, failed {len(x['failed'])}, "
                         f"rows read {x['rows_read']}, loaded {x['rows_loaded']}, tables {x['table_rows']}.")
    if "quality" in r:
        lines.append(f"GX checks: {r['quality']}.")
    lines += _baseline_section(r)
    b = r.get("baseline")
    if b:
        lines += ["", "## Baseline: project polars transforms vs plain DuckDB SQL", "",
                  f"Facts read into polars once: {_f(b['read_seconds'])} s (not in the ratios). "
                  "Each timing is the best of the repeats.", "",
                  "| mart | polars s | DuckDB SQL s | ratio | polars rows | SQL rows | columns differing |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for mart, row in b["marts"].items():
            lines.append(f"| {mart} | {_f(row['polars_s'], 3)} | {_f(row.get('sql_s'), 3)} | "
                         f"{_f(row.get('ratio'))} | {_f(row['polars_rows'])} | {_f(row.get('sql_rows'))} | "
                         f"{row.get('columns_differing', '')} |")
        lines.append("")
        lines.append(b.get("note", ""))
    lines += ["", "## Targets (reported, not asserted)", "", "| target | measured | limit | met | applies |",
              "|---|---:|---:|---|---|"]
    for t in r.get("targets", []):
        met = ("yes" if t["met"] else "NO") if t["applies_at_this_scale"] else "n/a (other scale)"
        lines.append(f"| {t['target']} | {t['measured']} {t['unit']} | {t['limit']} {t['unit']} | {met} | "
                     f"{'yes' if t['applies_at_this_scale'] else 'no'} |")
    return "\n".join(lines) + "\n"


def _run_table(r: dict, run: str) -> list[str]:
    """The run's phases as csi/flows/pipeline.py runs them, with their share of the run."""
    ph = r.get("phases", {})
    if run not in ph:
        return []
    total = ph[run]["seconds"]
    out = [f"| {run} phase | wall s | share | peak RSS MiB |", "|---|---:|---:|---:|"]
    for label, v in ph.items():
        name = label.removeprefix(f"{run}.")
        if label.startswith(f"{run}.") and (name in RUN_PHASES or name in IN_REFRESH or label.count(".") >= 2):
            depth = label.count(".") - 1 + (name in IN_REFRESH)
            out.append(f"| {'&nbsp;&nbsp;' * depth}{label.removeprefix(run + '.')} | {_f(v['seconds'])} | "
                       f"{100 * v['seconds'] / total:.1f} % | {_f(v['peak_rss_mib'], 0)} |")
    out.append(f"| **{run} total** | **{_f(total)}** | 100 % | {_f(ph[run]['peak_rss_mib'], 0)} |")
    return out


def _baseline_section(r: dict) -> list[str]:
    b = r.get("sql_baseline")
    out = ["", "## Backfill vs a plain DuckDB SQL baseline from the same landing files", ""]
    if not b:
        return []
    if "error" in b:
        return [*out, f"The SQL baseline failed: {b['error']}"]
    out += [f"bench/baseline_landing.py ingests and validates the {b['files']['files']} landing files "
            f"({b['files']['duplicate']} duplicate, {b['files']['unreadable']} unreadable, "
            f"{b['files']['recoded']} re-encoded to UTF-8) and computes the marts for as-of "
            f"{b['as_of_date']}, in its own process: **{_f(b['seconds'])} s** (ingest {_f(b['ingest_seconds'])} s, "
            f"marts {_f(b['marts_seconds'])} s, the rest catalog and set-up; process wall with Python start-up "
            f"{_f(b.get('process_wall_seconds'))} s), peak RSS **{_f(b['peak_rss_mib'], 0)} MiB**.", "",
            "| baseline step | s | rows | pipeline rows |", "|---|---:|---:|---:|"]
    piped = {**r.get("backfill", {}).get("table_rows", {}), **r.get("backfill", {}).get("mart_rows_last_date", {})}
    for k, v in b["steps"].items():
        table = k.split(".", 1)[1]
        theirs = piped.get(table, piped.get(f"mart_{table}"))
        out.append(f"| {k} | {_f(v, 3)} | {_f(b['rows'].get(table, b['rows'].get('m_' + table)))} | {_f(theirs)} |")
    facts = r.get("backfill", {}).get("table_rows", {})
    out += ["", "Fact rows, baseline vs pipeline: " + ", ".join(
        f"{t} {b['rows'].get(t):,} vs {facts.get(t, 0):,}" for t in ("fct_sales", "fct_survey_answer",
                                                                      "fct_survey_response", "fct_complaint")
        if t in b["rows"]) + ".", "", "Not in the baseline: " + "; ".join(b.get("excluded", [])) + "."]
    for run in ("backfill", "nightly"):
        rows = _run_table(r, run)
        if rows:
            out += ["", *rows]
    g = gap(r)
    if g:
        out += ["", f"**Backfill / baseline: {g['ratio']}x** ({g['backfill_s']} s vs {g['baseline_s']} s, "
                f"gap {g['gap_s']} s). Work the baseline does not do, from the phases above:", "",
                "| not in the baseline | s | share of the gap |", "|---|---:|---:|"]
        for k, v in g["not_in_baseline_s"].items():
            out.append(f"| {k} | {_f(v)} | {100 * v / g['gap_s']:.1f} % |" if g["gap_s"] > 0 else f"| {k} | {_f(v)} | |")
        share = g["share_of_gap_not_in_baseline"]
        out += [f"| **total** | **{_f(g['not_in_baseline_total_s'])}** | "
                f"**{'' if share is None else f'{100 * share:.1f} %'}** |", "",
                f"The rest, {g['same_work_s']} s, is the work both do (read, validate, facts, the SQL-able marts, "
                f"one snapshot): **{g['same_work_ratio']}x** the baseline."]
    fc = r.get("fixed_costs")
    if fc:
        out += ["", f"Fixed costs measured apart: Prefect {fc.get('prefect')}; a fresh process's imports "
                f"{fc.get('imports')}."]
        measured = (fc.get("prefect") or {}).get("nightly_scheduled_s")
        est = scheduled_nightly(r)
        if measured is not None:
            phases = (fc.get("prefect") or {}).get("nightly_scheduled_phases") or {}
            out += ["", f"The scheduled nightly, measured: `csi run --date` of the nightly date again, in a fresh "
                    f"process against a running Prefect server (what a worker's flow-run process does): "
                    f"**{_f(measured)} s** wall; its phases as the CLI printed them: "
                    + ", ".join(f"{k} {_f(v)} s" for k, v in phases.items()) + "."]
        elif est is not None:
            out += ["", f"A scheduled nightly through a running server, estimated: no-op flow run from a fresh "
                    f"process + the Great Expectations import + the nightly's phases = **{_f(est)} s**."]
    return out


def scheduled_nightly(r: dict) -> float | None:
    """The nightly as a worker runs it: measured (`csi run` in a fresh process against a running
    server) when the result has it, else estimated: a fresh process's flow run (Python, Prefect, the
    API calls), its first Great Expectations import, then the work (measured warm in this process)."""
    fc, ph = r.get("fixed_costs") or {}, r.get("phases", {})
    measured = (fc.get("prefect") or {}).get("nightly_scheduled_s")
    if measured is not None:
        return measured
    flow = (fc.get("prefect") or {}).get("flow_run_fresh_process_s")
    gx = (fc.get("imports") or {}).get("import_gx_s")
    if flow is None or gx is None or "nightly" not in ph:
        return None
    return flow + gx + ph["nightly"]["seconds"]


if __name__ == "__main__":  # re-render the markdown of a result: python -m bench.report results/X.json
    import json
    import sys
    from pathlib import Path

    for arg in sys.argv[1:]:
        path = Path(arg)
        result = json.loads(path.read_text())
        result["targets"] = targets(result)
        path.with_name(path.name.removesuffix(".json") + ".md").write_text(markdown(result))
