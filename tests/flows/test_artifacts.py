"""The run summary: artifacts in Prefect, the progress counter, the bar."""

from __future__ import annotations

import io
from datetime import date

from rich.console import Console

from csi import events
from csi.cli import progress
from csi.flows import artifacts
from csi.pipeline.run import RunResult
from csi.pipeline.steps import DateResult

RESULT = RunResult(
    title="csi backfill",
    dates=[
        DateResult(date(2026, 1, 30), "r1", "success", rows_read={"sales": 4, "surveys": 4},
                   rows_loaded={"sales": 3, "surveys": 2}, rows_quarantined={"sales": 1, "surveys": 2},
                   top_reasons=[("response_id+question_id:duplicate", 2), ("quantity:not_positive", 1)]),
        DateResult(date(2026, 1, 31), "", "skipped"),
        DateResult(date(2026, 2, 1), "", "failed", error="no drop for 2026-02-01: none of x exists"),
    ],
    marts_seconds={"mart_satisfaction_monthly": 0.5, "dim_customer": 0.1},
    seconds=12.5,
)


def test_summary_markdown():
    text = artifacts.summary_markdown(RESULT)
    assert "**3 date(s)**: success 1, skipped 1, failed 1. Duration 12.5 s." in text
    assert "| sales | 4 | 3 | 1 |" in text and "| complaints | 0 | 0 | 0 |" in text
    assert "- `response_id+question_id:duplicate`: 2" in text
    assert "`mart_satisfaction_monthly`" in text
    assert "- 2026-02-01: no drop for 2026-02-01" in text


def test_quarantine_rows():
    assert artifacts.quarantine_rows(RESULT) == [
        {"business_date": "2026-01-30", "reason": "response_id+question_id:duplicate", "records": 2},
        {"business_date": "2026-01-30", "reason": "quantity:not_positive", "records": 1},
    ]


def test_progress_bar_counts_dates():
    out = io.StringIO()
    with progress.BackfillProgress(Console(file=out, width=150, force_terminal=False)) as bar:
        events.emit({"event": "planned", "total": 4})
        for status in ("loaded", "skipped", "failed"):
            events.emit({"event": "date", "business_date": "2026-01-30", "status": status})
        c = bar.counter
        assert (c.done, c.failed, c.remaining) == (2, 1, 1)
    assert "done 2" in out.getvalue() and "failed 1" in out.getvalue() and "remaining 1" in out.getvalue()
    assert events._listeners == []


def test_nightly_run_defaults_to_yesterday_and_publishes_artifacts(flow_env, monkeypatch):
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    import csi.flows.pipeline as pipeline
    from tests.pipeline import landing

    landing.build(flow_env["landing"])
    monkeypatch.setattr(pipeline, "business_yesterday", lambda tz: date(2026, 1, 30))
    result = pipeline.run_flow()
    assert [(r.business_date, r.status) for r in result.dates] == [(date(2026, 1, 30), "success")]

    async def latest(key):
        async with get_client() as client:
            found = await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                                                sort=ArtifactSort.CREATED_DESC, limit=1)
            return found[0] if found else None

    md = asyncio.run(latest("csi-run-summary"))
    table = asyncio.run(latest("csi-quarantine-reasons"))
    assert md is not None and "| sales | 4 | 3 | 1 |" in md.data and "# csi run 2026-01-30" in md.data
    assert table is not None and "quantity:not_positive" in str(table.data)
