"""Run dates through the pipeline steps without Prefect, as the flow does: plan, stage, load, refresh.

Shared by the tests of several packages (a fixture module, not a test module). The runs
end `refreshed`: checks, publish and `success` are the flow's (tests/flows)."""

from __future__ import annotations

from datetime import date

from csi.pipeline import steps
from csi.settings import load_settings
from tests.pipeline.landing import RUN_AT


def run_dates(dates: list[date]) -> list[date]:
    """plan, stage, load and refresh `dates` as one run (settings from the environment); the dates
    the plan ran (a re-delivered file can add later ones)."""
    settings = load_settings()
    wh = steps.open_warehouse(settings)
    plan = steps.plan(wh, settings, dates, force=True)
    run_ids = []
    for d in plan.todo:
        summary = steps.stage(settings, d, RUN_AT, plan.duplicates[d], plan.files[d])
        run_ids.append(steps.load(wh, settings, summary, RUN_AT, 0.0).run_id)
    steps.refresh_marts(wh, settings, run_ids)
    wh.dispose()
    return plan.todo
