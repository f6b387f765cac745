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
    add("peak memory (RSS), scale 5 < 4 GiB", r.get("overall_peak_rss_mib", 0) / GIB, 4, "GiB", scale == 5)
    for mart, row in r.get("baseline", {}).get("marts", {}).items():
        add(f"polars {mart} within 1.5x of DuckDB SQL", row.get("ratio"), 1.5, "x")
    return out


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
        f"{m['load_average_at_start']}; Python {m['python']}, polars {m['polars']}, duckdb {m['duckdb']}.",
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


if __name__ == "__main__":  # re-render the markdown of a result: python -m bench.report results/X.json
    import json
    import sys
    from pathlib import Path

    for arg in sys.argv[1:]:
        path = Path(arg)
        result = json.loads(path.read_text())
        result["targets"] = targets(result)
        path.with_name(path.name.removesuffix(".json") + ".md").write_text(markdown(result))
