"""Helpers for the ingest tests: a landing dir with one drop, and reading one of its files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from csi.ingest.discover import LandingFile, discover
from csi.ingest.read import LandingRead, read_landing_file

D = date(2026, 1, 5)
DROP = "dt=2026-01-05"
SALES_HEADER = ("order_id,line_no,order_type,customer_id,site_id,channel,ordered_at,product_category,"
                "quantity,unit_price,discount,revenue,cost,currency\n")


@pytest.fixture
def put(tmp_path):
    """put(relative path, bytes) writes a file into the landing dir tmp_path."""
    def write(rel: str, data: bytes) -> Path:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path
    return write


def entry(landing: Path, rel: str) -> LandingFile:
    [f] = [f for f in discover(landing, D) if f.rel_path == rel]
    return f


def read(landing: Path, rel: str, text_questions: set[str] | None = None) -> LandingRead:
    return read_landing_file(entry(landing, rel), D, text_questions or set())


def sale(order_id: str, category: str = "grocery", line_no: int = 1) -> str:
    return f"{order_id},{line_no},sale,C1,S1,store,2026-01-05 10:00:00,{category},2,10.00,0.1,18.00,9.00,CNY\n"
