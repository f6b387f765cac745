"""Named crash points, so the chaos test can kill a run exactly where it wants.

`crash_point("load")` does nothing unless the environment variable
`CSI_TEST_CRASH_AT` names that point: `CSI_TEST_CRASH_AT=load:2` kills the process
(SIGKILL, no clean-up, no `finally`) the second time a run passes "load". The
variable is read once per process; it is a test hook, not configuration, and is
never set by csi itself. The points and what is on disk when they fire are listed
in docs/operations.md ("Crash safety").
"""

from __future__ import annotations

import os
import signal
import threading

ENV = "CSI_TEST_CRASH_AT"
POINTS = (
    "flow_start",      # the flow body began: nothing done yet
    "staged",          # a date was staged (Parquet on disk), not loaded
    "load",            # inside a load transaction, after its writes, before its commit
    "loaded",          # a load committed, later dates not yet loaded
    "refresh",         # inside the refresh, after the facts were rebuilt, before the marts
    "refreshed",       # the refresh committed, checks not yet run
    "checks",          # inside the Great Expectations checks
    "checked",         # checks passed, publish not yet begun
    "publish",         # the read-only copy is written to its temporary file, not yet renamed
    "published",       # the copy is in place, the runs not yet marked success
)
_spec: tuple[str, int] | None | bool = False
_seen: dict[str, int] = {}
_lock = threading.Lock()


def _target() -> tuple[str, int] | None:
    global _spec
    if _spec is False:
        raw = os.environ.get(ENV, "").strip()
        if not raw:
            _spec = None
        else:
            name, _, nth = raw.partition(":")
            if name not in POINTS:
                raise ValueError(f"{ENV}={raw!r}: unknown crash point (one of {', '.join(POINTS)})")
            _spec = (name, int(nth or 1))
    return _spec  # type: ignore[return-value]


def crash_point(name: str) -> None:
    target = _target()
    if target is None or target[0] != name:
        return
    with _lock:
        _seen[name] = _seen.get(name, 0) + 1
        if _seen[name] == target[1]:
            os.kill(os.getpid(), signal.SIGKILL)
