"""`csi check`: every quality check on every table whole, on demand; exit status 1 on a failure."""

from __future__ import annotations

import pytest

from csi.cli import main
from csi.pipeline.run import run_dates
from csi.settings import load_settings
from csi.warehouse.engine import Warehouse
from tests.pipeline import landing
from tests.pipeline.landing import DATES


@pytest.fixture
def loaded(env, monkeypatch):
    """The small landing zone run once with the checks off (so the journal still holds every write)."""
    monkeypatch.setenv("CSI_REPORT_AFTER_RUN", "false")
    landing.build(env["landing"])
    result = run_dates(load_settings(quality_checks=False), DATES, force=False)
    assert {r.status for r in result.dates} == {"success"}
    return env


def test_csi_check_checks_everything_and_names_a_broken_row(loaded, capsys):
    """A passing whole check is tests/quality/test_checkpoint.py's; here the command on a broken old row."""
    wh = Warehouse(loaded["url"])
    with wh.transaction() as tx:  # an old row goes bad behind the pipeline's back
        tx.execute("UPDATE fct_sales SET quantity = -3 WHERE order_id = 'O1' AND line_no = 1")
    wh.dispose()
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert " whole) in " in out and "Data Docs:" in out  # every table, whole
    assert "fct_sales.quantity" in out and "1 row, e.g. -3" in out
