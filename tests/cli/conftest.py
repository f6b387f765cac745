"""Fixtures of the CLI tests: the real `csi` entry point in a subprocess, in a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CSI = Path(sys.executable).parent / "csi"  # the console script of this virtualenv (.venv/bin/csi)


@pytest.fixture
def cli_env(tmp_path) -> dict[str, str]:
    """This process's environment without csi or Prefect settings, pointed at tmp_path: a DuckDB
    warehouse, an existing landing dir, a work dir and Data Docs dir that do not exist yet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSI_", "PREFECT_"))}
    (tmp_path / "landing").mkdir()
    env.update(
        CSI_WAREHOUSE_URL=f"duckdb:///{tmp_path / 'wh.duckdb'}",
        CSI_LANDING_DIR=str(tmp_path / "landing"),
        CSI_WORK_DIR=str(tmp_path / "work"),
        CSI_DATA_DOCS_DIR=str(tmp_path / "data_docs"),
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        COLUMNS="200",
    )
    return env


@pytest.fixture
def csi(cli_env, tmp_path):
    """Run `csi ARGS` in tmp_path with cli_env plus `env` overrides (bare: no CSI_* variable at all,
    the defaults relative to tmp_path); the completed process."""
    def run(*args: str, env: dict[str, str] | None = None, bare: bool = False,
            timeout: float = 300) -> subprocess.CompletedProcess:
        base = {k: v for k, v in cli_env.items() if not (bare and k.startswith("CSI_"))}
        return subprocess.run([str(CSI), *args], env={**base, **(env or {})}, cwd=tmp_path,
                              capture_output=True, text=True, timeout=timeout)
    return run
