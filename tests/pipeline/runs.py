"""Run dates through the pipeline steps without Prefect: plan, stage, load, refresh (a fixture module).

Shared by the tests of several packages. The runs end `refreshed`: checks, publish, alerts and
`success` are the run owner's (csi.pipeline.run, tested in tests/pipeline/test_run.py and
tests/flows)."""

from __future__ import annotations

from datetime import date, datetime

from csi.pipeline import handle, steps
from csi.pipeline import plan as planning
from csi.settings import Settings, load_settings
from csi.warehouse.engine import Warehouse
from tests.pipeline.landing import RUN_AT


def load_and_refresh(wh: Warehouse, settings: Settings, dates: list[date], now: datetime = RUN_AT,
                     force: bool = True) -> tuple[list[date], list[str]]:
    """plan, stage, load and refresh `dates` as one run, every date's run started `now`: the dates the
    plan ran (a re-delivered file can add later ones) and their run ids."""
    plan = planning.plan(wh, settings, dates, force=force)
    # one batch per date, as a nightly loads them; a rejected drop's run stays `failed`
    results = [result for d in plan.todo for result in steps.load_batch(wh, settings, [steps.Staged(
        steps.stage(settings, d, now, plan.duplicates[d], plan.files[d]), now, 0.0)])]
    run_ids = [r.run_id for r in results if r.status == "loaded"]
    steps.refresh_marts(wh, settings, run_ids)
    return plan.todo, run_ids


def run_dates(dates: list[date]) -> list[date]:
    """load_and_refresh `dates` with the settings of the environment; the dates the plan ran."""
    settings = load_settings()
    wh = handle.open_warehouse(settings)
    try:
        return load_and_refresh(wh, settings, dates)[0]
    finally:
        handle.release(settings)
