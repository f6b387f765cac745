"""Re-delivered files: whatever order the dates run in, the warehouse equals one clean run in date order.

The same content is ingested once, by its first delivery (smallest drop date, then path).
A file that arrives in an earlier drop after the later drop loaded, or an original that
leaves its drop, changes that; the plan then re-runs the other drops holding the content.
"""

from __future__ import annotations

import os
import shutil

import pytest

from csi.warehouse.tables import TABLES
from tests.conftest import read_table, table_digest, write_csv
from tests.pipeline import landing
from tests.pipeline.landing import DATES
from tests.pipeline.runs import run_dates

COMPARED = [d.name for d in TABLES if d.layer in ("dim", "fct", "stg", "mart")] + ["ops_quarantine",
                                                                                  "ops_ingested_file"]
D1, D2, D3 = (f"dt={d.isoformat()}" for d in DATES)
EXTRA = landing.SALES_HEADER + "O9,1,sale,C3,S2,app,2026-01-29 12:00:00,服装,1,50,0,50,20,CNY\n"


def digests(url: str) -> dict[str, str]:
    return {t: table_digest(url, t) for t in COMPARED}


def clean_run(env, tmp_path, name: str) -> dict[str, str]:
    """One run of every date into a fresh warehouse, on the landing as it is now."""
    url = f"duckdb:///{tmp_path / f'{name}.duckdb'}"
    saved = os.environ["CSI_WAREHOUSE_URL"], os.environ["CSI_WORK_DIR"]
    os.environ["CSI_WAREHOUSE_URL"], os.environ["CSI_WORK_DIR"] = url, str(tmp_path / f"{name}-work")
    try:
        run_dates(DATES)
    finally:
        os.environ["CSI_WAREHOUSE_URL"], os.environ["CSI_WORK_DIR"] = saved
    return digests(url)


def test_a_file_redelivered_into_an_earlier_drop_is_ingested_once(env, tmp_path):
    landing.build(env["landing"])
    write_csv(env["landing"] / f"sales/{D3}/extra.csv", EXTRA)
    run_dates(DATES)
    shutil.copy(env["landing"] / f"sales/{D3}/extra.csv", env["landing"] / f"sales/{D1}/extra_resent.csv")
    assert run_dates([DATES[0]]) == [DATES[0], DATES[2]]  # the later drop's copy turns into a duplicate
    files = read_table(env["url"], "SELECT drop_date, file_path, status, duplicate_of FROM ops_ingested_file "
                                   "WHERE file_path LIKE '%extra%' ORDER BY 1")
    assert files.rows() == [(DATES[0], f"sales/{D1}/extra_resent.csv", "ingested", None),
                            (DATES[2], f"sales/{D3}/extra.csv", "duplicate", f"sales/{D1}/extra_resent.csv")]
    assert read_table(env["url"], "SELECT count(*) AS n FROM stg_sales_line WHERE order_id = 'O9'")["n"][0] == 1
    assert digests(env["url"]) == clean_run(env, tmp_path, "clean")


def test_an_original_that_leaves_its_drop_makes_the_later_copy_the_original(env, tmp_path):
    landing.build(env["landing"])  # day 2 carries pos_copy.csv, a copy of day 1's pos.csv
    run_dates(DATES)
    (env["landing"] / f"sales/{D1}/pos.csv").unlink()
    assert run_dates([DATES[0]]) == [DATES[0], DATES[1]]
    files = read_table(env["url"], "SELECT file_path, status FROM ops_ingested_file WHERE source = 'sales' "
                                   "ORDER BY 1")
    assert (f"sales/{D2}/pos_copy.csv", "ingested") in files.rows()
    assert digests(env["url"]) == clean_run(env, tmp_path, "clean")


@pytest.mark.parametrize("order", [[2, 1, 0], [1, 2, 0], [2, 0, 1]])
def test_any_date_order_gives_the_clean_run(env, tmp_path, order):
    landing.build(env["landing"])
    write_csv(env["landing"] / f"sales/{D1}/extra.csv", EXTRA)
    write_csv(env["landing"] / f"sales/{D3}/extra_resent.csv", EXTRA)  # the same bytes, re-sent later
    for i in order:
        run_dates([DATES[i]])
    assert digests(env["url"]) == clean_run(env, tmp_path, "clean")
