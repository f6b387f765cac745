"""The end-of-run summary, printed from hand-made flow results."""

from __future__ import annotations

import io
from datetime import date

from rich.console import Console

from csi.cli.summary import print_summary
from csi.pipeline.run import RunResult
from csi.pipeline.steps import DateResult


def as_result(spec: dict) -> RunResult:
    """A RunResult written as a dict, for readability."""
    dates = [DateResult(date.fromisoformat(r["business_date"]), "", r["status"],
                        rows_loaded=r.get("rows_loaded", {}), rows_quarantined=r.get("rows_quarantined", {}),
                        problem_files=r.get("problem_files", []), error=r.get("error")) for r in spec["dates"]]
    return RunResult(title=spec.get("title", ""), dates=dates, phases=spec.get("phases", {}),
                     checks=spec.get("checks"), published=spec.get("published"),
                     bad_folders=[(f["path"], f["why"]) for f in spec.get("bad_folders", [])],
                     seconds=spec.get("seconds", 0.0), wall_seconds=spec.get("wall_seconds"))


def printed(result: dict) -> tuple[int, str]:
    out = Console(file=io.StringIO(), width=220, record=True, color_system=None)
    code = print_summary(as_result(result), out)
    return code, out.export_text()


def test_a_backfill_summary_names_every_file_and_folder_not_loaded_and_the_phases():
    result = {
        "title": "csi backfill 2026-01-02 .. 2026-01-04",
        "dates": [
            {"business_date": "2026-01-02", "status": "success",
             "rows_loaded": {"sales": 10, "surveys": 4, "complaints": 1},
             "rows_quarantined": {"sales": 2}},
            {"business_date": "2026-01-03", "status": "success",
             "rows_loaded": {"sales": 7, "surveys": 0, "complaints": 2},
             "rows_quarantined": {"sales": 1, "surveys": 3, "complaints": 0},
             "problem_files": [
                 {"path": "sales/dt=2026-01-03/notes.txt", "status": "unsupported", "why": "extension .txt"},
                 {"path": "surveys/dt=2026-01-03/broken.parquet", "status": "unreadable", "why": "not a Parquet file"},
                 {"path": "sales/dt=2026-01-03/twice.csv", "status": "quarantined", "why": "column revenue twice"},
                 {"path": "sales/dt=2026-01-03/link.csv", "status": "refused", "why": "outside the landing zone"},
             ]},
            {"business_date": "2026-01-04", "status": "skipped"},
        ],
        "bad_folders": [{"path": "sales/dt=2024-02-30", "why": "not a date"}],
        "phases": {"prefect": 3.14, "stage": 1.0, "load": 2.04, "refresh": 5.5, "checks": 4.0, "publish": 0.25},
        "checks": {"checked": 47, "failed": 0},
        "published": "/srv/csi/warehouse.read.duckdb",
        "seconds": 16.04,
    }
    code, text = printed(result)
    assert code == 0
    lines = [line.rstrip() for line in text.splitlines()]
    assert lines[0].strip() == "csi backfill 2026-01-02 .. 2026-01-04"
    assert [line.split("│")[1:3] for line in lines if "2026-01-0" in line and "│" in line] == [
        [" 2026-01-02 ", " success "], [" 2026-01-03 ", " success "], [" 2026-01-04 ", " skipped "]]
    # rows loaded 15 + 9; quarantined 2 + 4 (whatever rows_quarantined sums to, file-level included)
    assert "dates: 3  success: 2  skipped: 1  failed: 0  |  rows loaded: 24  quarantined: 6  |  16.0 s" in lines
    assert "not read: sales/dt=2026-01-03/notes.txt (unsupported: extension .txt)" in lines
    assert "not read: surveys/dt=2026-01-03/broken.parquet (unreadable: not a Parquet file)" in lines
    assert "not loaded: sales/dt=2026-01-03/twice.csv (quarantined: column revenue twice)" in lines
    assert "not read: sales/dt=2026-01-03/link.csv (refused: outside the landing zone)" in lines
    assert "bad folder: sales/dt=2024-02-30 (not a date)" in lines
    assert ("time: prefect 3.1 s · stage 1.0 s · load 2.0 s · refresh 5.5 s · checks 4.0 s · publish 0.2 s"
            in lines)
    assert "quality checks: 47 expectations, 0 failed" in lines
    assert "read-only copy for BI: /srv/csi/warehouse.read.duckdb" in lines


def test_a_failed_run_exits_1_and_names_the_date_with_the_first_line_of_its_error():
    result = {
        "title": "csi run 2026-01-05",
        "dates": [{"business_date": "2026-01-05", "status": "failed",
                   "error": "no drop for 2026-01-05: expected sales/dt=2026-01-05\nsecond line", "rows_loaded": {},
                   "rows_quarantined": {"file": 1}}],
        "checks": None,
        "published": None,
        "seconds": 2.0,
        "wall_seconds": 13.46,  # Prefect's start included (call_flow)
    }
    code, text = printed(result)
    assert code == 1
    lines = [line.rstrip() for line in text.splitlines()]
    assert lines[0].strip() == "csi run 2026-01-05"
    assert "dates: 1  success: 0  skipped: 0  failed: 1  |  rows loaded: 0  quarantined: 1  |  13.5 s" in lines
    assert "failed 2026-01-05: no drop for 2026-01-05: expected sales/dt=2026-01-05" in lines
    assert "quality checks: not run" in lines
    assert not any(line.startswith(("read-only copy", "time:", "not read", "bad folder")) for line in lines)
    assert "second line" not in text
    assert lines[-1] == "fix the cause and re-run the same command: only the unfinished dates run again."


def test_without_a_title_the_summary_is_neutral_and_markup_in_paths_is_printed_as_is():
    result = {"dates": [{"business_date": "2026-01-06", "status": "success", "rows_loaded": {"sales": 1},
                         "problem_files": [{"path": "sales/dt=2026-01-06/[red]x.txt", "status": "unsupported",
                                            "why": "extension .txt"}]}]}
    code, text = printed(result)
    assert code == 0
    assert text.splitlines()[0].strip() == "csi summary"
    assert "not read: sales/dt=2026-01-06/[red]x.txt (unsupported: extension .txt)" in text
    assert "quality checks: not run" in text  # a run without checks says so
