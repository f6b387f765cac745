"""The CLI announces Prefect's start to the progress listeners and reports it as the first phase."""

from __future__ import annotations

from csi import events
from csi.cli.commands import call_flow
from csi.pipeline.run import RunResult


def test_the_prefect_phase_comes_first_in_events_and_in_the_phases():
    heard: list[tuple[str, str]] = []

    def fake_flow(start: str, end: str) -> RunResult:
        events.emit({"event": "phase", "phase": "plan", "state": "start"})
        events.emit({"event": "phase", "phase": "plan", "state": "end"})
        return RunResult(title=f"csi backfill {start} .. {end}", phases={"plan": 0.5, "load": 2.0})

    with events.listening(lambda e: heard.append((e.get("phase"), e.get("state")))):
        result = call_flow(fake_flow, "backfill", False, start="2026-01-01", end="2026-01-02")
    assert heard == [("prefect", "start"), ("plan", "start"), ("plan", "end")]
    assert list(result.phases) == ["prefect", "plan", "load"]
    assert (result.phases["plan"], result.phases["load"]) == (0.5, 2.0)
    assert result.title == "csi backfill 2026-01-01 .. 2026-01-02"


def test_a_flow_that_reports_no_phase_gets_none_invented():
    result = call_flow(lambda: RunResult(title="csi run"), "run", False)
    assert result.phases == {}
    assert isinstance(result.wall_seconds, float)  # the totals line shows it instead of the run's seconds
