"""The newcomer's first hour: `csi demo` lands in the configured landing dir, so the README's
`csi run --date ...` works on it afterwards, from the same directory, with no setting."""

from __future__ import annotations

import duckdb


def test_demo_then_the_readme_run_command_work_as_written(csi, tmp_path):
    # the README's situation: nothing configured, everything relative to the current directory
    (tmp_path / "landing").rmdir()
    demo = csi("demo", "--customers", "60", "--days", "3", "--history-days", "0", bare=True, timeout=600)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert (tmp_path / "landing" / "_manifest").is_dir()
    assert sorted(p.name for p in (tmp_path / "landing" / "sales").iterdir()) == [
        "dt=2026-01-01", "dt=2026-01-02", "dt=2026-01-03"]
    assert not (tmp_path / "demo").exists()
    assert "csi backfill 2026-01-01 .. 2026-01-03" in demo.stdout
    assert "`csi run --date 2026-01-03` re-runs one date" in " ".join(demo.stdout.split())
    logs = demo.stdout + demo.stderr  # one line for the three dates, none per task that went well
    assert "3 dates (2026-01-01 .. 2026-01-03) success; 3/3 dates: done 3" in logs
    assert [ln for ln in logs.splitlines() if "Task run" in ln] == []
    assert any("Flow run" in ln and ln.endswith("Finished in state Completed()") for ln in logs.splitlines())

    run = csi("run", "--date", "2026-01-02", bare=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "csi run 2026-01-02" in run.stdout
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        dates = con.execute("SELECT DISTINCT business_date FROM ops_pipeline_run ORDER BY 1").fetchall()
    assert [str(d) for (d,) in dates] == ["2026-01-01", "2026-01-02", "2026-01-03"]


def test_demo_refuses_a_landing_dir_holding_other_data(csi, tmp_path):
    (tmp_path / "landing" / "sales").mkdir()
    done = csi("demo", "--days", "2")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == (f"csi: error: CSI_LANDING_DIR={tmp_path / 'landing'} already holds data that is not "
                           "a demo's (no _manifest); pass --dir to land the demo elsewhere\n")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "notes.txt").write_text("mine")
    done = csi("demo", "--days", "2", "--dir", str(tmp_path / "elsewhere"))
    assert done.stderr.startswith(f"csi: error: --dir={tmp_path / 'elsewhere'} already holds data")
    assert sorted(p.name for p in (tmp_path / "landing").iterdir()) == ["sales"]  # nothing written
