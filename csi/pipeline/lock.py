"""One writer per warehouse: a second run waits for the lock or exits with a clear message."""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WarehouseBusy(Exception):
    """Another csi run holds the warehouse lock."""


@contextmanager
def warehouse_lock(work_dir: Path, url: str, wait_seconds: float = 0.0) -> Iterator[None]:
    """Exclusive lock keyed by the warehouse URL (a file under work_dir)."""
    Path(work_dir).mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    path = Path(work_dir) / f"warehouse-{key}.lock"
    fh = open(path, "a+")  # noqa: SIM115 - held for the whole run, closed in finally
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "another process"
                    raise WarehouseBusy(
                        f"the warehouse is being written by {holder}; wait for it to finish "
                        f"(or pass --wait SECONDS). Lock file: {path}") from None
                time.sleep(0.5)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        fh.close()
