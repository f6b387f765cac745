"""Prefect artifacts summarising a run: a markdown summary and a table of quarantine reasons.

Built from the flow's small result dict (no DataFrames); `summary_markdown` and
`quarantine_rows` are pure so they are tested without a Prefect server.
"""

from __future__ import annotations

from collections import Counter

SOURCES = ("sales", "surveys", "complaints")


def quarantine_rows(result: dict) -> list[dict]:
    """One row per date x reason: {business_date, reason, records}."""
    rows = []
    for r in result["dates"]:
        for reason, n in r.get("top_reasons") or []:
            rows.append({"business_date": r["business_date"], "reason": reason, "records": int(n)})
    return rows


def summary_markdown(result: dict, title: str) -> str:
    dates = result["dates"]
    statuses = Counter("success" if r["status"] == "loaded" else r["status"] for r in dates)
    read = {s: sum((r.get("rows_read") or {}).get(s, 0) for r in dates) for s in SOURCES}
    loaded = {s: sum((r.get("rows_loaded") or {}).get(s, 0) for r in dates) for s in SOURCES}
    bad = {s: sum((r.get("rows_quarantined") or {}).get(s, 0) for r in dates) for s in SOURCES}
    reasons: Counter[str] = Counter()
    for row in quarantine_rows(result):
        reasons[row["reason"]] += row["records"]
    lines = [
        f"# {title}",
        "",
        f"**{len(dates)} date(s)**: success {statuses.get('success', 0)}, skipped {statuses.get('skipped', 0)}, "
        f"failed {statuses.get('failed', 0)}. Duration {result.get('seconds', 0):.1f} s.",
        "",
        "| source | rows read | rows loaded | rows quarantined |",
        "|---|---:|---:|---:|",
        *(f"| {s} | {read[s]} | {loaded[s]} | {bad[s]} |" for s in SOURCES),
        "",
    ]
    if reasons:
        lines += ["**Top quarantine reasons** (records; see `ops_quarantine`):", ""]
        lines += [f"- `{reason}`: {n}" for reason, n in reasons.most_common(10)]
        lines.append("")
    marts = result.get("marts_seconds") or {}
    if marts:
        lines.append(f"**Marts refreshed** ({sum(marts.values()):.1f} s): " + ", ".join(f"`{name}`" for name in marts))
    else:
        lines.append("**Marts refreshed**: none (nothing loaded)")
    not_read = [(r["business_date"], f) for r in dates for f in r.get("problem_files") or []]
    folders = result.get("bad_folders") or []
    if not_read or folders:
        lines += ["", "**Files and folders not loaded** (see `ops_ingested_file`):", ""]
        lines += [f"- {d}: `{f['path']}` {f['status']}: {f.get('why') or ''}" for d, f in not_read]
        lines += [f"- `{f['path']}`: not a drop folder ({f['why']})" for f in folders]
    published = result.get("published")
    if published:
        lines += ["", f"**Read-only copy for BI**: `{published}`"]
    failed = [r for r in dates if r["status"] == "failed"]
    if failed:
        lines += ["", "**Failed dates** (re-run the same command: only these run again):", ""]
        lines += [f"- {r['business_date']}: {(r.get('error') or '').splitlines()[0][:300]}" for r in failed]
    return "\n".join(lines) + "\n"


def publish(result: dict, title: str) -> None:
    """Create the two artifacts on the current Prefect flow run (best effort)."""
    from prefect import get_run_logger
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    try:
        create_markdown_artifact(key="csi-run-summary", markdown=summary_markdown(result, title), description=title)
        rows = quarantine_rows(result) or [{"business_date": "", "reason": "(none)", "records": 0}]
        create_table_artifact(
            key="csi-quarantine-reasons", table=rows, description="quarantined records per date and reason"
        )
    except Exception as exc:  # noqa: BLE001 - an artifact never fails a loaded run
        get_run_logger().warning("could not create the run artifacts: %s", exc)
