"""Per-date progress of a run: events from the flow, a rich progress bar in the terminal.

The flow never talks to the terminal: it calls `emit()` with a small dict per
event, and whoever listens (the CLI's `BackfillProgress`, a test) hears it. Events:

- `{"event": "planned", "total": n}` once, after planning;
- `{"event": "date", "business_date": "YYYY-MM-DD", "status": "loaded" | "skipped" | "failed"}`
  once per date, in the order dates finish.

Listeners live in this process only (a deployment run has no terminal: its
progress is in the Prefect logs and artifacts).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

Listener = Callable[[dict], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


def emit(event: dict) -> None:
    """Tell every listener; a listener that fails never breaks the run."""
    with _lock:
        listeners = list(_listeners)
    for fn in listeners:
        with contextlib.suppress(Exception):  # progress is cosmetic: it never breaks a run
            fn(event)


@contextmanager
def listening(fn: Listener) -> Iterator[Listener]:
    with _lock:
        _listeners.append(fn)
    try:
        yield fn
    finally:
        with _lock:
            _listeners.remove(fn)


class Counter:
    """Counts dates by status; the numbers the bar and the logs show."""

    def __init__(self, total: int = 0):
        self.total = total
        self.loaded = self.skipped = self.failed = 0

    @property
    def done(self) -> int:
        return self.loaded + self.skipped

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.done - self.failed)

    def add(self, status: str) -> None:
        if status == "failed":
            self.failed += 1
        elif status == "skipped":
            self.skipped += 1
        else:
            self.loaded += 1

    def line(self) -> str:
        return (
            f"{self.done + self.failed}/{self.total} dates: done {self.done} "
            f"(loaded {self.loaded}, skipped {self.skipped}), failed {self.failed}, "
            f"remaining {self.remaining}"
        )


class BackfillProgress:
    """A rich progress bar: dates done / failed / remaining, elapsed time and an ETA."""

    def __init__(self, console: Console | None = None, label: str = "backfill"):
        self.counter = Counter()
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn(
                "[green]done {task.fields[done]}[/] [red]failed {task.fields[failed]}[/] "
                "remaining {task.fields[remaining]}"
            ),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task = self.progress.add_task(label, total=None, done=0, failed=0, remaining="?")

    def __call__(self, event: dict) -> None:
        if event.get("event") == "planned":
            self.counter.total = int(event["total"])
        elif event.get("event") == "date":
            self.counter.add(event["status"])
        else:
            return
        c = self.counter
        self.progress.update(
            self.task,
            total=c.total or None,
            completed=c.done + c.failed,
            done=c.done,
            failed=c.failed,
            remaining=c.remaining,
        )

    def __enter__(self) -> BackfillProgress:
        self.progress.start()
        self._ctx = listening(self)
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._ctx.__exit__(*exc)
        self.progress.stop()
