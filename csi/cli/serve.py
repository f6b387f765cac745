"""`csi serve`: a one-machine Prefect install.

Starts a Prefect server on 127.0.0.1 (csi.cli.local_prefect), creates the process work
pool, deploys deployments/prefect.yaml (nightly schedule + backfill, csi.cli.deployments)
and starts a worker; Ctrl-C or SIGTERM stops them all, worker first.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from csi.cli.deployments import POOL, PREFECT_FILE, REPO, render_prefect_file
from csi.cli.local_prefect import LocalPrefect


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    pool: str = POOL,
    cron: str | None = None,
    timezone: str | None = None,
    work_dir: Path = Path(".csi"),
    say=print,
) -> int:
    """Start everything, wait for Ctrl-C or SIGTERM (or a child dying), stop everything."""
    stack = LocalPrefect(host, port, log_dir=Path(work_dir) / "serve", echo_worker=True)
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:  # also when started with SIGINT ignored (nohup, a background job)
        signal.signal(sig, _interrupt)
    try:
        say(f"starting the Prefect server on {stack.api_url} (log: {stack.log_dir / 'server.log'})")
        stack.start_server()
        say(f"creating the process work pool {pool!r}")
        stack.create_pool(pool)
        prefect_file = render_prefect_file(stack.log_dir / "prefect.yaml", cron=cron, timezone=timezone, pool=pool)
        say(f"deploying {PREFECT_FILE.relative_to(REPO)} (nightly + backfill)")
        stack.deploy(prefect_file)
        say(f"starting a worker on {pool!r}")
        stack.start_worker(pool)
        ui = stack.api_url.removesuffix("/api")
        say(
            f"\nready. UI: {ui}\n"
            f"  trigger tonight's run now:  PREFECT_API_URL={stack.api_url} prefect deployment run csi-run/nightly\n"
            f"  backfill:                   PREFECT_API_URL={stack.api_url} prefect deployment run "
            f"csi-backfill/backfill --param start=2026-01-01 --param end=2026-01-31\n"
            f"Ctrl-C stops the worker and the server."
        )
        while True:
            for name, proc in stack.procs:
                if proc.poll() is not None:
                    say(f"the {name} exited ({proc.returncode}); stopping (log: {stack.log_dir / (name + '.log')})")
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        say("stopping the worker and the server")
        return 0
    finally:
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupt(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    raise KeyboardInterrupt
