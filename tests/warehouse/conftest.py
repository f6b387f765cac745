"""Warehouse fixtures: every test taking `warehouse_url` runs on DuckDB and on PostgreSQL."""

from __future__ import annotations

import pytest

from tests.warehouse.backends import BACKENDS, fresh_url


@pytest.fixture(params=BACKENDS)
def warehouse_url(request, tmp_path):
    """The URL of a fresh, empty warehouse; the postgres param skips only without CSI_TEST_PG_URL."""
    with fresh_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def wh_env(env, warehouse_url, monkeypatch):
    """`env` (landing, work dir) pointed at the fresh warehouse of `warehouse_url`."""
    monkeypatch.setenv("CSI_WAREHOUSE_URL", warehouse_url)
    return {**env, "url": warehouse_url}
