"""Every output table is identical, row for row, to the warehouse the code before the renovation
(issue 14) and the speed work (issue 15) built from the same landing files (tests/data/README.md,
golden/warehouse_digests.json)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from csi.generate import generate
from csi.pipeline.run import run_dates
from csi.settings import load_settings
from tests.digests import COMPARED, warehouse_digests

GOLDEN = Path(__file__).parents[1] / "data" / "golden" / "warehouse_digests.json"
# 231fc65 added some all-sites sums in an arbitrary order: two of its runs differ in the 16th digit
FLOAT_DECIMALS = 10
START, DAYS = date(2026, 3, 1), 30


def test_the_warehouse_equals_the_one_built_before_the_renovation(tmp_path, monkeypatch):
    monkeypatch.setenv("CSI_TIMEZONE", "Asia/Shanghai")
    generate(tmp_path / "landing", customers=150, days=DAYS, seed=11, start_date=START, history_days=60)
    settings = load_settings(warehouse_url=f"duckdb:///{tmp_path / 'wh.duckdb'}", landing_dir=tmp_path / "landing",
                             work_dir=tmp_path / "work", data_docs_dir=tmp_path / "docs", quality_checks=False,
                             report_after_run=False)
    result = run_dates(settings, [START + timedelta(days=i) for i in range(DAYS)], force=False)
    assert {r.status for r in result.dates} == {"success"}
    golden = json.loads(GOLDEN.read_text())
    assert set(golden) == set(COMPARED)  # a table added since needs its own golden line
    now = warehouse_digests(settings.url, float_decimals=FLOAT_DECIMALS)
    assert {t: now[t] for t in golden if now[t] != golden[t]} == {}
