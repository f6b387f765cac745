"""The progress bar of a run in the terminal: it listens to the run's events (csi.events).

It shows the phase running, the dates done, failed and left, and an estimate of the
time left, from the events of csi.events.

While the bar is live it owns the terminal: rich redirects `sys.stdout` and
`sys.stderr` through its console, and every logging handler that writes to the
terminal (Prefect's `PrefectConsoleHandler` on the root logger holds the stream
it was configured with, so the redirect alone misses it) is pointed at the bar's
console for that time, so each log line prints whole above the bar. A child
process writing straight to the terminal's file descriptor (a Dask worker) is out
of its reach.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskProgressColumn, TextColumn
from rich.text import Text

from csi.events import Counter, listening

# phase -> (while it runs, once it ended)
PHASES: dict[str, tuple[str, str]] = {
    "prefect": ("starting Prefect…", "Prefect started"),
    "plan": ("planning…", "planned"),
    "load": ("loading dates…", "dates loaded"),
    "refresh": ("refreshing marts…", "marts refreshed"),
    "checks": ("running checks…", "checks run"),
    "publish": ("publishing…", "published"),
    "report": ("writing the report…", "finished"),
}


def _clock_text(seconds: float) -> str:
    return str(timedelta(seconds=max(0, int(seconds))))


class _PhaseColumn(ProgressColumn):
    """What the run is doing now and for how long (during the loads: the time left instead)."""

    def __init__(self, bar: BackfillProgress):
        super().__init__()
        self.bar = bar

    def render(self, task: Task) -> Text:
        return Text(self.bar.phase_text())


class _CountsColumn(ProgressColumn):
    """Dates done / failed / remaining, once the plan says how many there are."""

    def __init__(self, bar: BackfillProgress):
        super().__init__()
        self.bar = bar

    def render(self, task: Task) -> Text:
        c = self.bar.counter
        if not self.bar.is_planned:
            return Text("")
        text = Text()
        text.append(f"done {c.done}", style="green")
        text.append(" ")
        text.append(f"failed {c.failed}", style="red")
        text.append(f" remaining {c.remaining}")
        return text


class _ElapsedColumn(ProgressColumn):
    """The run's wall time so far."""

    def __init__(self, bar: BackfillProgress):
        super().__init__()
        self.bar = bar

    def render(self, task: Task) -> Text:
        return Text(_clock_text(self.bar.clock() - self.bar.started_at), style="progress.elapsed")


class BackfillProgress:
    """A rich progress bar: the phase of the run, dates done / failed / remaining, elapsed
    time, and an estimate of the time left while the dates load.

    `clock` (seconds, monotonic) is there for tests; the bar reads it on every refresh."""

    def __init__(self, console: Console | None = None, label: str = "backfill",
                 clock: Callable[[], float] = time.monotonic):
        self.counter = Counter()
        self.clock = clock
        self.started_at = clock()
        self.is_planned = False
        self.phase: str | None = None
        self.phase_state = "start"
        self.phase_started_at = self.started_at
        self.finished_in_load = 0  # dates loaded or failed since the loads began (skips cost nothing)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=20),
            TaskProgressColumn(),
            _CountsColumn(self),
            _PhaseColumn(self),
            _ElapsedColumn(self),
            console=console,
            transient=False,
            redirect_stdout=True,
            redirect_stderr=True,
            get_time=clock,
        )
        self.task = self.progress.add_task(label, total=None)
        self._routed: list[tuple[object, str, object]] = []
        self._lines_above: _LinesAbove | None = None

    def phase_text(self) -> str:
        if self.phase is None:
            return "starting…"
        running, ended = PHASES.get(self.phase, (f"{self.phase}…", f"{self.phase} done"))
        if self.phase_state != "start":
            return ended
        if self.phase == "load":
            eta = self.eta_seconds()
            return running if eta is None else f"{running} ETA {_clock_text(eta)}"
        return f"{running} {_clock_text(self.clock() - self.phase_started_at)}"

    def eta_seconds(self) -> float | None:
        """Time left at the pace of the dates loaded (or failed) since the loads began; None before
        the first."""
        if not self.finished_in_load:
            return None
        pace = (self.clock() - self.phase_started_at) / self.finished_in_load
        return pace * self.counter.remaining

    def __call__(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "phase":
            if event.get("state") not in ("start", "end"):
                return
            if event["state"] == "end" and event.get("phase") != self.phase:
                return  # a late end of an earlier phase never hides the one running
            self.phase, self.phase_state = str(event["phase"]), event["state"]
            if self.phase_state == "start":
                self.phase_started_at = self.clock()
                self.finished_in_load = 0
        elif kind == "planned":
            self.counter.total = int(event["total"])
            self.is_planned = True
        elif kind == "date":
            self.counter.add(event["status"])
            if self.phase == "load" and self.phase_state == "start" and event["status"] != "skipped":
                self.finished_in_load += 1
        else:
            return
        c = self.counter
        self.progress.update(self.task, total=c.total or None, completed=c.done + c.failed)
        self._route_logs()  # handlers Prefect configured since the bar started
        self.progress.refresh()

    def __enter__(self) -> BackfillProgress:
        console = self.progress.console
        self._terminal = _terminal_streams(console)
        self._lines_above = _LinesAbove(console)
        self._child_output = _ChildOutput(console)
        self._child_output.start()
        self.progress.start()
        self._route_logs()
        self._ctx = listening(self)
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._ctx.__exit__(*exc)
        try:
            self._child_output.drain()  # what this process wrote prints above the final bar
            self.progress.stop()
        finally:
            self._unroute_logs()
            self._child_output.stop()

    def _route_logs(self) -> None:
        """Point every logging handler that writes to the terminal at the bar's console."""
        if self._lines_above is None:
            return
        for handler in _all_handlers():
            if isinstance(handler, logging.StreamHandler) and id(handler.stream) in self._terminal:
                self._routed.append((handler, "stream", handler.setStream(self._lines_above)))
            inner = getattr(handler, "console", None)  # PrefectConsoleHandler prints through its own Console
            if isinstance(inner, Console) and id(inner.file) in self._terminal:
                self._routed.append((inner, "file", inner.file))
                inner.file = self._lines_above

    def _unroute_logs(self) -> None:
        for obj, attr, original in reversed(self._routed):
            if attr == "stream":
                obj.setStream(original)
            else:
                obj.file = original
        self._routed.clear()
        if self._lines_above is not None:
            self._lines_above.flush()


def _terminal_streams(console: Console) -> set[int]:
    """The streams that reach the terminal the bar draws on (ids: streams need not be hashable)."""
    streams = (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__, console.file)
    return {id(getattr(s, "rich_proxied_file", s)) for s in streams if s is not None} | \
        {id(s) for s in streams if s is not None}


def _all_handlers() -> Iterator[logging.Handler]:
    loggers = [logging.getLogger(), *(lg for lg in logging.Logger.manager.loggerDict.values()
                                      if isinstance(lg, logging.Logger))]
    seen: set[int] = set()
    for lg in loggers:
        for handler in list(lg.handlers):
            if id(handler) not in seen:
                seen.add(id(handler))
                yield handler


class _LinesAbove(io.TextIOBase):
    """A text stream that prints each complete line through a console, so a live bar on that
    console moves down instead of having the line written over it. ANSI colours (Prefect's
    highlighted levels) are kept. Not rich's FileProxy: a Console handed a FileProxy as its
    file unwraps it and writes to the terminal directly."""

    def __init__(self, console: Console):
        self._console = console
        self._partial: list[str] = []
        self._write_lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._write_lock:
            *lines, rest = (("".join(self._partial)) + text).split("\n")
            self._partial = [rest] if rest else []
        for line in lines:
            self._console.print(Text.from_ansi(line), soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        with self._write_lock:
            rest, self._partial = "".join(self._partial), []
        if rest:
            self._console.print(Text.from_ansi(rest), soft_wrap=True)

    def isatty(self) -> bool:
        return self._console.is_terminal

    @property
    def encoding(self) -> str:
        return self._console.encoding


class _ChildOutput:
    """While the bar is live on a terminal at file descriptor 1 or 2, descriptors 1 and 2 are
    a pipe whose lines print above the bar, and the bar's console writes to a copy of the
    terminal's descriptor. That catches what no Python-level redirect can: child processes
    (Prefect's temporary server, started during the run, inherits descriptors 1 and 2) and
    C code writing to the descriptors. The reader thread outlives the bar: a child still
    running afterwards keeps printing, through the console, to the restored terminal."""

    def __init__(self, console: Console):
        self.console = console
        self._saved: dict[int, int] = {}
        self._file_before = None
        self._marker = f"\x00csi-progress-drained-{id(self)}\n".encode()
        self._drained = threading.Event()

    def start(self) -> None:
        try:
            fd = self.console.file.fileno()
        except (AttributeError, OSError, ValueError):
            return  # not a real file (a test's StringIO): nothing reaches it from below Python
        if fd not in (1, 2) or not os.isatty(fd):
            return
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        self._saved = {n: os.dup(n) for n in (1, 2)}
        read_fd, write_fd = os.pipe()
        for n in (1, 2):
            os.dup2(write_fd, n)
        os.close(write_fd)
        # rich has no public getter for it: None means the console follows sys.stdout/sys.stderr
        self._file_before = self.console._file
        self.console.file = open(os.dup(self._saved[fd]), "w", encoding=self.console.encoding,  # noqa: SIM115
                                 errors="replace", buffering=1)
        threading.Thread(target=self._forward, args=(read_fd,), name="csi-progress-output",
                         daemon=True).start()

    def _forward(self, read_fd: int) -> None:
        with open(read_fd, "rb") as pipe:
            for raw in iter(pipe.readline, b""):
                if raw == self._marker:
                    self._drained.set()
                    continue
                with contextlib.suppress(Exception):  # a line that cannot print never stops the rest
                    self.console.print(Text.from_ansi(raw.decode("utf-8", "replace").rstrip("\r\n")),
                                       soft_wrap=True)

    def drain(self, timeout_seconds: float = 5.0) -> None:
        """Wait until the lines written so far are printed: a marker through the pipe (FIFO)."""
        if not self._saved:
            return
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os.write(1, self._marker)
        self._drained.wait(timeout_seconds)

    def stop(self) -> None:
        if not self._saved:
            return
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        terminal = self.console.file
        for n, saved in self._saved.items():
            os.dup2(saved, n)
            os.close(saved)
        self._saved = {}
        self.console.file = self._file_before
        terminal.close()
