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


def lock_key(url: str) -> str:
    """The warehouse's identity in a URL: backend, host, user, database (a DuckDB file by its absolute
    path), without the password and the options (a memory limit that differs between two hosts or
    settings must not give the same warehouse two locks)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url).set(query={})
    if parsed.get_backend_name() == "duckdb" and parsed.database and parsed.database != ":memory:":
        parsed = parsed.set(database=str(Path(parsed.database).resolve()))
    return hashlib.sha256(parsed.render_as_string(hide_password=True).encode()).hexdigest()[:16]


@contextmanager
def warehouse_lock(work_dir: Path, url: str, wait_seconds: float = 0.0) -> Iterator[None]:
    """Exclusive lock keyed by the warehouse (`lock_key`; a file under work_dir)."""
    Path(work_dir).mkdir(parents=True, exist_ok=True)
    key = lock_key(url)
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
