"""Fresh warehouses for tests, on DuckDB and on the PostgreSQL server of tests/pg_server.sh.

Every PostgreSQL test gets its own database (CREATE DATABASE, dropped WITH (FORCE)
afterwards), so tests stay independent exactly as they are with a DuckDB file each.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

BACKENDS = ("duckdb", "postgres")
PG_ENV = "CSI_TEST_PG_URL"


def pg_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is unset: start a server with `tests/pg_server.sh start` "
                    "(make test / tests/run_tests.sh do it)")
    return url


@contextmanager
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty warehouse on the backend, removed afterwards."""
    if backend == "duckdb":
        yield f"duckdb:///{tmp_path / f'wh-{uuid.uuid4().hex[:8]}.duckdb'}"
        return
    admin = pg_admin_url()
    name = f"csi_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
