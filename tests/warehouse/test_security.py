"""Secrets stay secret and data stays data: masked passwords, hostile text loaded as text."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from csi.pipeline import steps
from csi.secrets import scrub
from csi.settings import load_settings
from csi.warehouse.engine import Warehouse, WarehouseError
from tests.conftest import read_table, write_csv
from tests.pipeline import landing
from tests.pipeline.landing import DATES
from tests.pipeline.runs import run_dates
from tests.warehouse.backends import pg_admin_url

HOSTILE = "'); DROP TABLE fct_sales; --"
SECRET = "s3cr3t-Pa55word"


def test_wrong_password_error_does_not_show_it():
    url = make_url(pg_admin_url()).set(password=SECRET).render_as_string(hide_password=False)
    wh = Warehouse(url)
    with pytest.raises(WarehouseError) as err, wh.transaction():
        pass
    assert SECRET not in str(err.value) and "***" in str(err.value)
    assert "password authentication failed" in str(err.value)
    with pytest.raises(WarehouseError) as err:  # recording the failure fails the same way
        steps.record_failure(wh, load_settings(warehouse_url=url), DATES[0], landing.RUN_AT,
                             f"boom connecting to {url}")
    assert SECRET not in str(err.value)
    assert SECRET not in scrub(f"failed: {url} / {SECRET}", url)


def test_unreachable_server_error_does_not_show_the_password():
    wh = Warehouse(f"postgresql+psycopg://csi:{SECRET}@127.0.0.1:1/csi")
    with pytest.raises(WarehouseError) as err, wh.transaction():
        pass
    assert SECRET not in str(err.value)


def test_csi_config_masks_the_password(tmp_path):
    env = {**os.environ, "CSI_WAREHOUSE_URL": f"postgresql+psycopg://csi:{SECRET}@db.example:5432/csi"}
    env.pop("CSI_CONFIG_FILE", None)
    out = subprocess.run([sys.executable, "-m", "csi.cli", "config"], env=env, capture_output=True,
                         text=True, cwd=tmp_path, check=True)
    assert SECRET not in out.stdout + out.stderr
    assert json.loads(out.stdout)["warehouse_url"] == "postgresql+psycopg://csi:***@db.example:5432/csi"


def test_hostile_customer_id_is_loaded_as_text(wh_env):
    rows = (f'X1,1,sale,"{HOSTILE}",S1,store,2026-01-30 10:00:00,食品,1,10,0,10,5,CNY\n'
            "X2,1,sale,C2,S1,store,2026-01-30 10:00:00,食品,1,10,0,10,5,CNY\n")
    write_csv(wh_env["landing"] / "sales/dt=2026-01-30/pos.csv", landing.SALES_HEADER + rows)
    run_dates(DATES[:1])
    sales = read_table(wh_env["url"], "SELECT order_id, customer_id FROM fct_sales ORDER BY 1")
    assert sales.rows() == [("X1", HOSTILE), ("X2", "C2")]
    customers = read_table(wh_env["url"], "SELECT customer_id FROM dim_customer ORDER BY 1")
    assert HOSTILE in customers["customer_id"].to_list()


def test_masking_is_idempotent_and_covers_the_query_string():
    from csi.secrets import mask_url

    url = "postgresql+psycopg://bob:s3cr3t@db:5432/csi?password=qq1&sslmode=require"
    once = mask_url(url)
    assert once == "postgresql+psycopg://bob:***@db:5432/csi?password=***&sslmode=require"
    assert mask_url(once) == once
    last = mask_url("postgresql+psycopg://db/csi?sslmode=require&password=qq1")
    assert last == "postgresql+psycopg://db/csi?sslmode=require&password=***"
    message = f"csi: error: CSI_WAREHOUSE_URL={last}: unsupported"
    assert mask_url(message) == message  # nothing after the mask is eaten on a second pass
