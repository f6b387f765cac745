"""Wall time and peak RSS per labelled phase, sampled by a background thread.

Phases nest (`with meter.phase("stage"): ... with meter.phase("stage.read")`); wall
time accumulates over every entry of a label, peak RSS is the highest resident
set size of this process seen while the label was open (sampled every 10 ms, plus
one sample on entry and exit). RSS is whole-process: it includes what earlier
phases left allocated (start_rss_mib says how much that was).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from contextlib import contextmanager

import psutil

MIB = 2**20


class Meter:
    def __init__(self, interval: float = 0.01):
        self._proc = psutil.Process()
        self._interval = interval
        self._open: dict[str, int] = {}  # label -> nesting depth
        self._lock = threading.Lock()
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)
        self.start_rss: dict[str, int] = {}
        self.overall_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="bench-meter")
        self._thread.start()

    def _sample(self) -> None:
        rss = self._proc.memory_info().rss
        with self._lock:
            self.overall_peak = max(self.overall_peak, rss)
            for label in self._open:
                if rss > self.peak[label]:
                    self.peak[label] = rss

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    @contextmanager
    def phase(self, label: str):
        with self._lock:
            self._open[label] = self._open.get(label, 0) + 1
        self.start_rss.setdefault(label, self._proc.memory_info().rss)
        self._sample()
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[label] += time.perf_counter() - t0
            self.calls[label] += 1
            self._sample()
            with self._lock:
                self._open[label] -= 1
                if not self._open[label]:
                    del self._open[label]

    def add(self, label: str, seconds: float) -> None:
        """Record a duration measured elsewhere (no memory attribution)."""
        self.seconds[label] += seconds
        self.calls[label] += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def table(self) -> dict[str, dict]:
        return {label: {"seconds": round(s, 3), "calls": self.calls[label],
                        "peak_rss_mib": round(self.peak[label] / MIB, 1) if label in self.peak else None,
                        "start_rss_mib": round(self.start_rss[label] / MIB, 1) if label in self.start_rss
                        else None}
                for label, s in self.seconds.items()}
