"""One writer per warehouse: a second run exits with a clear message (status 2) or waits."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from csi.cli.commands import wait_for_warehouse
from csi.pipeline.lock import warehouse_lock

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
