"""A nightly journals the drop, fact and customer-state tables it wrote from the dates it
rewrote, not as rows anywhere, so the scoped checks and the publish read only those rows
(csi.warehouse.changes). What makes that safe is checked here directly: in every table the
journal names from a date on, the rows before that date are exactly the rows before the run,
and every table it does not name is unchanged."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.settings import load_settings
from csi.warehouse.changes import Change, changes_by_table, mark_consumed
from csi.warehouse.engine import Warehouse
from csi.warehouse.tables import TABLES
from tests.conftest import write_csv
from tests.pipeline import landing
from tests.pipeline.landing import DATES
from tests.pipeline.runs import run_dates
from tests.warehouse.backends import BACKENDS, fresh_url

DECLS = {d.name: d for d in TABLES}
D3 = f"dt={DATES[2].isoformat()}"
# day 3 moves sale O4 from January 15 to 31 (its old row is the earliest either side touches) and
# re-delivers R1's NPS answer (January 30) as of February 1
MOVED_SALE = landing.SALES_HEADER + "O4,1,sale,C1,S1,store,2026-01-31 09:00:00,食品,3,10,0,30,12,CNY\n"
MOVED_ANSWER = landing.ANSWER_HEADER + "R1,nps,C1,S1,2026-02-01 08:30:00,email,9,\n"


def snapshot(wh: Warehouse) -> dict[str, pl.DataFrame]:
    with wh.transaction() as tx:
        return {name: tx.read(f"SELECT * FROM {tx.q(name)}") for name in DECLS}


def sorted_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_nightly_journals_what_it_rewrote_by_date_and_leaves_everything_else_as_it_was(
        env, tmp_path, monkeypatch, backend):
    with fresh_url(backend, tmp_path) as url:
        monkeypatch.setenv("CSI_WAREHOUSE_URL", url)
        landing.build(env["landing"])
        write_csv(env["landing"] / f"sales/{D3}/moved.csv", MOVED_SALE)
        write_csv(env["landing"] / f"surveys/{D3}/moved.csv", MOVED_ANSWER)
        run_dates(DATES[:2])
        wh = Warehouse(load_settings().url)
        try:
            with wh.transaction() as tx:
                mark_consumed(tx, "probe")
            before = snapshot(wh)
            run_dates([DATES[2]])
            after = snapshot(wh)
            with wh.transaction() as tx:
                journal = changes_by_table(tx, "probe")
        finally:
            wh.dispose()

    drop = Change("drop_date", date(2026, 2, 1))
    assert {t: journal[t] for t in ("stg_sales_line", "stg_survey_answer", "stg_complaint_version",
                                    "ops_quarantine", "ops_ingested_file")} == dict.fromkeys(
        ("stg_sales_line", "stg_survey_answer", "stg_complaint_version", "ops_quarantine", "ops_ingested_file"), drop)
    assert journal["fct_sales"] == Change("order_date", date(2026, 1, 15))  # O4's old row
    assert journal["fct_survey_answer"] == Change("submitted_date", date(2026, 1, 30))  # R1's old NPS answer
    assert journal["fct_survey_response"] == Change("submitted_date", date(2026, 1, 30))  # R1 moves to Feb 1
    for state in ("ops_customer_sales_stream", "ops_customer_order", "ops_customer_first_sale",
                  "ops_customer_state_day"):
        assert journal[state].column == DECLS[state].partition and journal[state].start <= date(2026, 1, 15), state

    for name in DECLS:
        change = journal.get(name)
        if change is None:  # not journaled: not written
            assert_frame_equal(sorted_rows(after[name]), sorted_rows(before[name]), check_dtypes=False)
        elif change.column is not None:  # journaled from a date: the rows before it stand
            old = before[name].filter(pl.col(change.column) < change.start)
            new = after[name].filter(pl.col(change.column) < change.start)
            assert_frame_equal(sorted_rows(new), sorted_rows(old), check_dtypes=False)
    # the nightly's facts really moved: O4 now on January 31, R1 on February 1
    assert after["fct_sales"].filter(pl.col("order_id") == "O4")["order_date"].to_list() == [date(2026, 1, 31)]
    assert after["fct_survey_response"].filter(pl.col("response_id") == "R1")["submitted_date"].to_list() == [
        date(2026, 2, 1)]
