"""Prefect artifacts of a run: a markdown summary and a table of quarantine reasons.

Built from the typed RunResult (no DataFrames); `summary_markdown` and `quarantine_rows`
are pure, so they are tested without a Prefect server.
"""

from __future__ import annotations

from collections import Counter

from csi.pipeline.run import RunResult
from csi.vocab import SOURCES


def quarantine_rows(result: RunResult) -> list[dict]:
    """One row per date x reason: {business_date, reason, records}."""
    return [{"business_date": r.business_date.isoformat(), "reason": reason, "records": int(n)}
            for r in result.dates for reason, n in r.top_reasons or []]


def summary_markdown(result: RunResult) -> str:
    dates = result.dates
    statuses = Counter(r.status for r in dates)
    read = {s: sum(r.rows_read.get(s, 0) for r in dates) for s in SOURCES}
    loaded = {s: sum(r.rows_loaded.get(s, 0) for r in dates) for s in SOURCES}
    bad = {s: sum(r.rows_quarantined.get(s, 0) for r in dates) for s in SOURCES}
    reasons: Counter[str] = Counter()
    for row in quarantine_rows(result):
        reasons[row["reason"]] += row["records"]
    lines = [
        f"# {result.title}",
        "",
        f"**{len(dates)} date(s)**: success {statuses.get('success', 0)}, skipped {statuses.get('skipped', 0)}, "
        f"failed {statuses.get('failed', 0)}. Duration {result.seconds:.1f} s.",
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
    marts = result.marts_seconds
    if marts:
        lines.append(f"**Marts refreshed** ({sum(marts.values()):.1f} s): " + ", ".join(f"`{name}`" for name in marts))
    else:
        lines.append("**Marts refreshed**: none (nothing loaded)")
    not_read = [(r.business_date, f) for r in dates for f in r.problem_files]
    if not_read or result.bad_folders:
        lines += ["", "**Files and folders not loaded** (see `ops_ingested_file`):", ""]
        lines += [f"- {d}: `{f['path']}` {f['status']}: {f.get('why') or ''}" for d, f in not_read]
        lines += [f"- `{path}`: not a drop folder ({why})" for path, why in result.bad_folders]
    if result.published:
        lines += ["", f"**Read-only copy for BI**: `{result.published}`"]
    if result.failed:
        lines += ["", "**Failed dates** (re-run the same command: only these run again):", ""]
        lines += [f"- {r.business_date}: {(r.error or '').splitlines()[0][:300] if r.error else ''}"
                  for r in result.failed]
    return "\n".join(lines) + "\n"


def create_run_artifacts(result: RunResult) -> None:
    """The two artifacts on the current Prefect flow run (best effort: never fails a run)."""
    from prefect import get_run_logger
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    try:
        create_markdown_artifact(key="csi-run-summary", markdown=summary_markdown(result), description=result.title)
        rows = quarantine_rows(result) or [{"business_date": "", "reason": "(none)", "records": 0}]
        create_table_artifact(
            key="csi-quarantine-reasons", table=rows, description="quarantined records per date and reason"
        )
    except Exception as exc:  # noqa: BLE001 - an artifact never fails a loaded run
        get_run_logger().warning("could not create the run artifacts: %s", exc)
