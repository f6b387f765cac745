"""Events of a run, for whoever listens: the CLI's progress bar, the bench, a test.

The run owner (csi.pipeline.run) never talks to the terminal: it calls `emit()` with a
small dict per event. Events:

- `{"event": "phase", "phase": name, "state": "start" | "end"}` around each phase of a run,
  in this order: `prefect` (emitted by the CLI before the flow starts; it ends when the run
  begins), `plan`, `load` (staging and loading the dates), `refresh` (the marts),
  `checks` (Great Expectations), `publish` (the read-only copy), `report`;
- `{"event": "planned", "total": n}` once, after planning;
- `{"event": "loaded", "business_date": "YYYY-MM-DD"}` when a date's load committed;
- `{"event": "date", "business_date": "YYYY-MM-DD", "status": "loaded" | "success" | "skipped" | "failed"}`
  once per date, in the order dates finish.

Listeners live in this process only (a deployment run has no terminal: its progress is in
the Prefect logs and artifacts).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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
