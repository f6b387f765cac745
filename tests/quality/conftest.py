"""Quality-scope fixtures: a fresh warehouse per backend with the schema, and full mart rows."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from csi.warehouse.ddl import create_schema
from csi.warehouse.declare import TableDecl
from csi.warehouse.engine import Warehouse
from tests.warehouse.backends import BACKENDS, fresh_url

ZERO = {"text": "x", "int": 0, "bigint": 0, "double": 0.0, "bool": False, "date": date(2026, 1, 1),
        "timestamp": datetime(2026, 1, 1)}


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


def full_rows(decl: TableDecl, rows: list[dict]) -> pl.DataFrame:
    """Full rows of `decl`: the given values, 0 / 'x' in other NOT NULL columns, null elsewhere."""
    filled = [{c.name: row.get(c.name, None if c.nullable else ZERO[c.type]) for c in decl.columns} for row in rows]
    return pl.DataFrame(filled, schema=decl.polars_schema)


@pytest.fixture
def rows():
    return full_rows
