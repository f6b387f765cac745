"""Quality fixtures: a fresh warehouse per backend with the schema, full mart rows, and a Data Docs
site built from two small suites (`data_docs_suites`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from csi.settings import load_settings
from csi.warehouse.ddl import create_schema
from csi.warehouse.engine import Warehouse
from csi.warehouse.tables_alerts import MART_ALERTS
from csi.warehouse.tables_core import DIM_SITE
from tests.hand_made import full_rows
from tests.warehouse.backends import BACKENDS, fresh_url


@pytest.fixture(params=BACKENDS)
def schema_url(request, tmp_path):
    """The URL of a fresh warehouse (DuckDB file or PostgreSQL database) holding the empty schema."""
    with fresh_url(request.param, tmp_path) as url:
        wh = Warehouse(url)
        try:
            create_schema(wh)
        finally:
            wh.dispose()
        yield url


@pytest.fixture
def rows():
    return full_rows


SUITES = (MART_ALERTS, DIM_SITE)


@pytest.fixture
def data_docs_suites():
    """The tables whose suites the `data_docs` site holds."""
    return SUITES


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
