"""One writer per warehouse: a second run exits with a clear message (status 2) or waits."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from csi.cli.commands import wait_for_warehouse
from csi.pipeline.lock import WarehouseBusy, lock_key, warehouse_lock

REPO = Path(__file__).resolve().parents[2]


def test_second_process_exits_with_the_message_while_the_lock_is_held(env):
    cmd = [sys.executable, "-m", "csi.cli"]
    with warehouse_lock(env["work"], env["url"]):
        for args in (["run", "--date", "2026-01-30"],
                     ["backfill", "--start", "2026-01-30", "--end", "2026-02-01", "--wait", "1"]):
            started = time.monotonic()
            done = subprocess.run(cmd + args, cwd=REPO, env=dict(os.environ), capture_output=True, text=True,
                                  timeout=120)
            assert done.returncode == 2, done.stderr
            assert "csi: error: the warehouse is being written by pid" in done.stderr
            assert "pass --wait SECONDS" in done.stderr
            assert "Traceback" not in done.stderr
    assert time.monotonic() - started >= 1  # --wait 1 waited before giving up


def test_wait_returns_when_the_holder_finishes(env):
    held = threading.Event()

    def holder():
        with warehouse_lock(env["work"], env["url"]):
            held.set()
            time.sleep(1.5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    started = time.monotonic()
    wait_for_warehouse(10)  # flock: another open file in this process conflicts like another process
    assert 1 <= time.monotonic() - started < 10
    thread.join()


def test_the_lock_is_the_warehouses_whatever_the_options_password_or_path_spelling(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    same = ["duckdb:///wh.duckdb", f"duckdb:///{tmp_path / 'wh.duckdb'}", "duckdb:///wh.duckdb?memory_limit=6026MiB"]
    assert len({lock_key(u) for u in same}) == 1
    assert lock_key("postgresql+psycopg://csi:a@db:5432/csi") == lock_key(
        "postgresql+psycopg://csi:b@db:5432/csi?sslmode=require")
    assert lock_key("duckdb:///other.duckdb") != lock_key(same[0])
    assert lock_key("postgresql+psycopg://csi@db:5432/csi") != lock_key("postgresql+psycopg://csi@db:5432/csi2")
    with warehouse_lock(tmp_path / "work", same[0]), pytest.raises(WarehouseBusy), \
            warehouse_lock(tmp_path / "work", same[2]):
        pass
