"""The run owner (csi.pipeline.run) without Prefect: the policy of a run, typed results, settings
passed in and never re-read."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from pydantic import SecretStr

from csi import events
from csi.pipeline.run import INLINE, Inline, RunResult, run_dates
from csi.settings import load_settings
from tests.conftest import read_table
from tests.pipeline import landing
from tests.pipeline.landing import DATES


@pytest.fixture
def settings(env, monkeypatch):
    monkeypatch.setenv("CSI_QUALITY_CHECKS", "false")
    monkeypatch.setenv("CSI_REPORT_AFTER_RUN", "false")
    landing.build(env["landing"])
    return load_settings()


def test_a_run_of_three_dates_is_typed_and_in_order_with_a_missing_drop_failed_alone(settings, env, tmp_path):
    for source in ("sales", "complaints"):  # the middle drop goes missing
        shutil.move(env["landing"] / source / f"dt={DATES[1]}", tmp_path / source)
    heard: list[dict] = []
    with events.listening(heard.append):
        result = run_dates(settings, DATES, force=False, title="csi backfill")
    assert isinstance(result, RunResult) and result.title == "csi backfill"
    assert [(r.business_date, r.status) for r in result.dates] == [
        (date(2026, 1, 30), "success"), (date(2026, 1, 31), "failed"), (date(2026, 2, 1), "success")]
    assert result.dates[1].error.startswith("no drop for 2026-01-31")
    assert [r.business_date for r in result.failed] == [date(2026, 1, 31)]
    # 4 sales lines on day 1, one of them quarantined (quantity 0): 3 loaded
    assert (result.dates[0].rows_read["sales"], result.dates[0].rows_loaded["sales"]) == (4, 3)
    assert list(result.phases) == ["plan", "load", "refresh", "checks", "publish"]
    assert result.checks is None and result.published and result.published.endswith("wh.read.duckdb")
    assert [e["business_date"] for e in heard if e["event"] == "loaded"] == ["2026-01-30", "2026-02-01"]
    runs = read_table(env["url"], "SELECT business_date, status FROM ops_pipeline_run ORDER BY 1")
    assert runs.rows() == [(DATES[0], "success"), (DATES[1], "failed"), (DATES[2], "success")]
    assert result.to_dict()["dates"][0]["business_date"] == "2026-01-30"  # JSON-able for Prefect


def test_settings_are_passed_in_never_read_again(settings, env, monkeypatch, tmp_path):
    """The landing dir of the settings object counts, whatever the environment says meanwhile."""
    monkeypatch.setenv("CSI_LANDING_DIR", str(tmp_path / "nowhere"))
    result = run_dates(settings, DATES[:1], force=True)
    assert [r.status for r in result.dates] == ["success"]


class BrokenRefresh(Inline):
    def refresh(self, settings, run_ids):
        raise RuntimeError("disk full")


def test_a_failed_refresh_fails_every_pending_date_and_the_next_run_finishes_them_without_loading(settings, env):
    first = run_dates(settings, DATES, force=False, runner=BrokenRefresh())
    assert {r.status for r in first.dates} == {"failed"}
    assert {r.error for r in first.dates} == {"marts refresh failed: RuntimeError: disk full"}
    assert "refresh" in first.phases and "checks" not in first.phases  # nothing after a failed refresh
    staged = read_table(env["url"], "SELECT count(*) AS n FROM stg_sales_line")["n"][0]

    second = run_dates(settings, DATES, force=False, runner=INLINE)
    assert {r.status for r in second.dates} == {"success"}
    # a failed date runs again whole: its rows replaced, never doubled
    assert read_table(env["url"], "SELECT count(*) AS n FROM stg_sales_line")["n"][0] == staged
    statuses = read_table(env["url"], "SELECT status, count(*) AS n FROM ops_pipeline_run GROUP BY 1 ORDER BY 1")
    assert statuses.rows() == [("failed", 3), ("success", 3)]


class CountingBatches(Inline):
    def __init__(self, poison: date | None = None):
        self.batches: list[list[date]] = []
        self.poison = poison

    def load(self, settings, batch):
        days = [s.summary.business_date for s in batch]
        self.batches.append(days)
        if self.poison in days:
            raise ValueError(f"cannot load {self.poison}")
        return super().load(settings, batch)


def test_dates_load_in_batches_and_a_batch_that_fails_is_loaded_date_by_date(settings, env):
    runner = CountingBatches(poison=DATES[1])
    result = run_dates(settings.model_copy(update={"load_batch_days": 2}), DATES, force=False, runner=runner)
    # [d1, d2] fails whole and is retried alone: d1 loads, d2 fails; then [d3]
    assert runner.batches == [[DATES[0], DATES[1]], [DATES[0]], [DATES[1]], [DATES[2]]]
    assert [(r.business_date, r.status) for r in result.dates] == [
        (DATES[0], "success"), (DATES[1], "failed"), (DATES[2], "success")]
    assert result.dates[1].error == "ValueError: cannot load 2026-01-31"


def test_batches_of_any_size_give_the_warehouse_of_date_by_date_loads(settings, env, tmp_path):
    from tests.digests import warehouse_digests

    run_dates(settings.model_copy(update={"load_batch_days": 1}), DATES, force=False)
    one_by_one = warehouse_digests(env["url"])
    other = settings.model_copy(update={"warehouse_url": SecretStr(f"duckdb:///{tmp_path / 'batched.duckdb'}"),
                                        "work_dir": tmp_path / "work2"})
    run_dates(other.model_copy(update={"load_batch_days": 3}), DATES, force=False)
    assert warehouse_digests(other.url) == one_by_one


def test_dates_that_end_together_log_one_line(settings, caplog):
    """A backfill's dates reach success at one moment: one line for them, not one per date; a
    re-run's skipped dates likewise."""
    with caplog.at_level("INFO", logger="csi.run"):
        run_dates(settings, DATES, force=False)
        run_dates(settings, DATES, force=False)
    lines = [r.getMessage() for r in caplog.records if r.name == "csi.run" and "dates: done" in r.getMessage()]
    assert lines == [
        "3 dates (2026-01-30 .. 2026-02-01) success; 3/3 dates: done 3 (loaded 3, skipped 0), failed 0, remaining 0",
        "3 dates (2026-01-30 .. 2026-02-01) skipped; 3/3 dates: done 3 (loaded 0, skipped 3), failed 0, remaining 0",
    ]
