"""Data Docs fixtures: headless Chromium and a Data Docs site built from two small suites."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from csi.settings import load_settings
from csi.warehouse.ddl import create_schema
from csi.warehouse.engine import Warehouse
from csi.warehouse.tables_alerts import MART_ALERTS
from csi.warehouse.tables_core import DIM_SITE

SUITES = (MART_ALERTS, DIM_SITE)


@pytest.fixture(scope="session")
def chromium() -> str:
    """$CSI_TEST_CHROMIUM (tests/run_tests.sh sets it), else tests/chromium.sh installs and names it."""
    path = os.environ.get("CSI_TEST_CHROMIUM")
    if not path:
        script = Path(__file__).resolve().parents[1] / "chromium.sh"
        proc = subprocess.run(["bash", str(script)], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.fail(f"no headless Chromium: tests/chromium.sh failed: {proc.stderr.strip()[-500:]}")
        path = proc.stdout.strip()
    return path


@pytest.fixture(scope="module")
def data_docs(tmp_path_factory) -> Path:
    """The Data Docs site of a fresh warehouse checked on two suites: its index.html."""
    from csi.quality.checkpoint import run_checks

    tmp = tmp_path_factory.mktemp("docs")
    url = f"duckdb:///{tmp / 'wh.duckdb'}"
    wh = Warehouse(url)
    create_schema(wh)
    wh.dispose()
    result = run_checks(load_settings(warehouse_url=url, data_docs_dir=tmp / "data_docs"), tables=SUITES)
    assert result.success, result.failed
    return result.data_docs
