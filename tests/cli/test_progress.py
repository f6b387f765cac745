"""The progress bar: phase words and counters from a fake event sequence, and every line
written while the bar is live (a log record, a child process) printed whole above it."""

from __future__ import annotations

import io
import logging
import os
import re
import select
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from csi import events
from csi.cli import progress

ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def screen_lines(raw: str) -> list[str]:
    """What a terminal shows of `raw`: each line as its last carriage return left it, no colours."""
    return [ANSI.sub("", line.split("\r")[-1]) for line in raw.replace("\r\n", "\n").split("\n")]


def showing(buf: io.StringIO) -> str:
    """The bar as the terminal shows it right now (the last line drawn)."""
    return [line for line in screen_lines(buf.getvalue()) if line][-1]


def phase(name: str, state: str) -> dict:
    return {"event": "phase", "phase": name, "state": state}


def test_the_bar_names_each_phase_with_its_time_and_counts_the_dates():
    now = [1000.0]  # a hand-driven clock: every time below is worked out from it
    buf = io.StringIO()
    console = Console(file=buf, record=True, force_terminal=True, width=100)
    with progress.BackfillProgress(console, clock=lambda: now[0]) as bar:
        events.emit(phase("prefect", "start"))
        now[0] += 20
        bar.progress.refresh()
        assert "starting Prefect… 0:00:20" in showing(buf)
        assert "remaining" not in showing(buf) and "?" not in showing(buf)  # nothing is known yet
        events.emit(phase("prefect", "end"))
        events.emit(phase("plan", "start"))
        events.emit({"event": "planned", "total": 5})
        events.emit({"event": "date", "business_date": "2026-01-27", "status": "skipped"})
        assert "planning… 0:00:00" in showing(buf)
        events.emit(phase("plan", "end"))
        events.emit(phase("load", "start"))
        events.emit(phase("plan", "end"))  # late: ignored
        assert "loading dates…" in showing(buf) and "ETA" not in showing(buf)  # no pace before a date
        now[0] += 30
        events.emit({"event": "date", "business_date": "2026-01-28", "status": "loaded"})
        now[0] += 30
        events.emit({"event": "date", "business_date": "2026-01-29", "status": "failed"})
        # 60 s for 2 dates loaded or failed (the skip cost nothing): 30 s a date, 2 left -> 60 s
        assert "done 2 failed 1 remaining 2 loading dates… ETA 0:01:00" in showing(buf)
        for d in ("2026-01-30", "2026-01-31"):
            events.emit({"event": "date", "business_date": d, "status": "loaded"})
        events.emit(phase("load", "end"))
        # 1 skipped + 3 loaded done, 1 failed, 0 remaining: the bar is full, and says why it waits
        for name, words in (("refresh", "refreshing marts…"), ("checks", "running checks…"),
                            ("publish", "publishing…"), ("report", "writing the report…")):
            events.emit(phase(name, "start"))
            now[0] += 12
            bar.progress.refresh()
            line = showing(buf)
            assert "100% done 4 failed 1 remaining 0" in line
            assert f"{words} 0:00:12" in line, line
            events.emit(phase(name, "end"))
        assert (bar.counter.loaded, bar.counter.skipped, bar.counter.failed) == (3, 1, 1)
    # 20 s Prefect + 60 s loads + 4 phases x 12 s = 128 s
    assert showing(buf).endswith("finished 0:02:08")
    assert "remaining ?" not in console.export_text()
    assert events._listeners == []


def test_a_log_record_while_the_bar_is_live_prints_on_its_own_line():
    buf = io.StringIO()
    console = Console(file=buf, record=True, force_terminal=True, width=100)
    handler = logging.StreamHandler(buf)  # like Prefect's console handler: the terminal's stream
    handler.setFormatter(logging.Formatter("%(levelname)s | %(message)s"))
    logger = logging.getLogger("tests.progress.glue")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with progress.BackfillProgress(console) as bar:
            events.emit(phase("prefect", "start"))
            logger.warning("Starting temporary server on http://127.0.0.1:8123")
            assert handler.stream is not buf  # routed through the bar's console meanwhile
            assert bar.counter.total == 0
        assert handler.stream is buf  # and given back afterwards
        logger.warning("after the bar")
    finally:
        logger.removeHandler(handler)
    lines = screen_lines(buf.getvalue())
    assert "WARNING | Starting temporary server on http://127.0.0.1:8123" in lines
    assert "WARNING | after the bar" in lines


CHILD = """
import logging, os, subprocess, sys
from rich.console import Console
from csi import events
from csi.cli import progress

logging.basicConfig(format="%(levelname)s | %(message)s")  # a handler holding sys.stderr, as Prefect's
console = Console(force_terminal=True, width=100)
with progress.BackfillProgress(console):
    events.emit({"event": "phase", "phase": "prefect", "state": "start"})
    logging.getLogger("x").warning("a log line")
    subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write('a child line' + chr(10))"], check=True)
    os.write(2, b"a raw line" + bytes([10]))
    events.emit({"event": "phase", "phase": "report", "state": "start"})
    events.emit({"event": "phase", "phase": "report", "state": "end"})
print("after the bar")
"""


def test_output_from_below_python_prints_above_the_bar_on_a_terminal():
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdin=slave, stdout=slave, stderr=slave,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child's side of the terminal is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0, out.decode("utf-8", "replace")
    lines = screen_lines(out.decode("utf-8", "replace"))
    for expected in ("WARNING | a log line", "a child line", "a raw line", "after the bar"):
        assert expected in lines, lines
    assert any(line.startswith("backfill") and line.endswith("finished 0:00:00") for line in lines), lines
