"""A Prefect server, a process work pool and a worker on this machine, each child in its own
process group; `stop()` terminates them all, worker first. `csi serve`, the schedule test
(tests/flows/test_schedule.py), the flow tests and the bench drive this same class."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO, Any

import psutil

from csi.cli.deployments import POOL, PREFECT_FILE, REPO

DEFAULT_PORT = 4200


class ServeError(Exception):
    """A part of the local Prefect install did not start; the message says which and where its log is."""


def free_port(host: str = "127.0.0.1", preferred: int | None = None) -> int:
    """`preferred` when it is free, else any free port."""
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise ServeError(f"no free port on {host}")


def prefect_exe() -> str:
    exe = Path(sys.executable).parent / "prefect"
    return str(exe) if exe.exists() else "prefect"


class LocalPrefect:
    """A Prefect server, a process work pool and a worker on this machine."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        home: Path | None = None,
        log_dir: Path | None = None,
        env: dict[str, str] | None = None,
        worker_env: dict[str, str] | None = None,
        echo_worker: bool = False,
    ):
        self.host = host
        self.port = port or free_port(host, DEFAULT_PORT)
        self.api_url = f"http://{host}:{self.port}/api"
        self.log_dir = Path(log_dir or Path(".csi") / "serve")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        base = dict(os.environ if env is None else env)
        base.pop("PREFECT_API_KEY", None)
        base.update(
            PREFECT_API_URL=self.api_url,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_SERVER_API_HOST=host,
            PREFECT_SERVER_API_PORT=str(self.port),
        )
        if home:
            base["PREFECT_HOME"] = str(home)
        self.env = base
        self.worker_env = {**base, **(worker_env or {})}
        self.echo_worker = echo_worker
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self._logs: list[IO] = []
        self._started: dict[int, str] = {}  # pid -> the child (server, worker) it belongs to

    # -- children -------------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str], env: dict[str, str], echo: bool = False) -> subprocess.Popen:
        out: Any = None
        if not echo:
            out = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
            self._logs.append(out)
        proc = subprocess.Popen(
            [prefect_exe(), *args],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )
        self.procs.append((name, proc))
        self._started[proc.pid] = name
        return proc

    def cli(self, *args: str, timeout: float = 120) -> str:
        """Run a prefect command against this server; its output, or ServeError with it."""
        done = subprocess.run(
            [prefect_exe(), *args], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode:
            raise ServeError(
                f"`prefect {' '.join(args)}` failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout

    def start_server(self, timeout: float = 90, ui: bool = True) -> None:
        args = ["server", "start", "--host", self.host, "--port", str(self.port), "--analytics-off"]
        proc = self._spawn("server", args + ([] if ui else ["--no-ui"]), self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ServeError(f"the Prefect server exited ({proc.returncode}); see {self.log_dir / 'server.log'}")
            if self.healthy():
                return
            time.sleep(0.5)
        raise ServeError(
            f"the Prefect server did not answer {self.api_url}/health within {timeout:.0f} s; "
            f"see {self.log_dir / 'server.log'}"
        )

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    def create_pool(self, pool: str = POOL) -> None:
        self.cli("work-pool", "create", pool, "--type", "process", "--overwrite")

    def deploy(self, prefect_file: Path = PREFECT_FILE) -> str:
        return self.cli("deploy", "--all", "--prefect-file", str(prefect_file), "--no-prompt", timeout=300)

    def start_worker(self, pool: str = POOL, name: str = "csi-local-worker") -> subprocess.Popen:
        return self._spawn(
            "worker",
            ["worker", "start", "--pool", pool, "--name", name, "--type", "process"],
            self.worker_env,
            echo=self.echo_worker,
        )

    def stop(self, grace: float = 15, only: str | None = None) -> None:
        """Terminate every child (worker first; or only the one named `only`) with its process
        group and its descendants (a worker starts each flow run in a session of its own), then
        kill what is left."""
        for name, proc in reversed(list(self.procs)):
            if only and name != only:
                continue
            self.procs.remove((name, proc))
            family = _descendants(proc.pid)
            self._started.update((p.pid, name) for p in family)
            _signal_group(proc, signal.SIGTERM)
            for p in family:
                with contextlib.suppress(psutil.Error):
                    p.terminate()
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(5)
            _signal_group(proc, signal.SIGKILL)  # anything the child left in its group
            _gone, alive = psutil.wait_procs(family, timeout=5)
            for p in alive:
                with contextlib.suppress(psutil.Error):
                    p.kill()
        if self.procs:
            return
        for fh in self._logs:
            fh.close()
        self._logs.clear()

    def leftovers(self, only: str | None = None) -> list[int]:
        """Pids of anything this object started (or saw its children start) still running."""
        alive = []
        for pid, name in self._started.items():
            if only and name != only:
                continue
            with contextlib.suppress(psutil.Error):
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
        return alive

    def __enter__(self) -> LocalPrefect:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the API --------------------------------------------------------------------------
    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.api_url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)
