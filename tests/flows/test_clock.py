"""One business clock: the nightly run on a host whose clock is far from business time.

The reported failure: a 02:30 Asia/Shanghai run on a UTC host compared order times
(naive business time) with the host's naive local time, so every order after 18:30
was `ordered_at:in_future` and the drop was rejected. Here the host runs at UTC-12
and the business at UTC+14, 26 hours apart: the run for business yesterday must load
every order of that day, up to 23:59, and nothing may be quarantined as in the future.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from csi.clock import business_today
from tests.conftest import read_table, write_csv
from tests.pipeline import landing

HOST_TZ, BUSINESS_TZ = "Etc/GMT+12", "Etc/GMT-14"  # POSIX names: Etc/GMT+12 is UTC-12


@pytest.mark.parametrize(("host_tz", "business_tz"), [(HOST_TZ, BUSINESS_TZ), (BUSINESS_TZ, HOST_TZ)])
def test_nightly_on_a_host_26_hours_away_loads_yesterday_whole(env, prefect_server, host_tz, business_tz):
    yesterday = business_today(business_tz) - timedelta(days=1)
    dt = f"dt={yesterday.isoformat()}"
    # 120 orders spread over the whole business day, the last at 23:50
    rows = "".join(
        f"O{i},1,sale,C{i % 7},S1,store,{yesterday} {i * 12 // 60:02d}:{i * 12 % 60:02d}:00,食品,1,10,0,10,4,CNY\n"
        for i in range(120))
    write_csv(env["landing"] / f"sales/{dt}/pos.csv", landing.SALES_HEADER + rows)
    child = {k: v for k, v in os.environ.items() if not k.startswith("CSI_")}
    child.update(TZ=host_tz, CSI_TIMEZONE=business_tz, CSI_LANDING_DIR=str(env["landing"]),
                 CSI_WORK_DIR=str(env["work"]), CSI_WAREHOUSE_URL=env["url"], CSI_QUALITY_CHECKS="false",
                 CSI_REPORT_AFTER_RUN="false", PREFECT_API_URL=prefect_server.api_url)
    done = subprocess.run([sys.executable, "-m", "csi.cli", "run", "--no-progress"], env=child,
                          capture_output=True, text=True, timeout=300)  # no --date: yesterday in business time
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    runs = read_table(env["url"], "SELECT business_date, status, sales_rows_loaded, sales_rows_quarantined "
                                  "FROM ops_pipeline_run")
    assert runs.rows() == [(yesterday, "success", 120, 0)]
    assert read_table(env["url"], "SELECT count(*) AS n FROM fct_sales")["n"][0] == 120
    assert read_table(env["url"], "SELECT count(*) AS n FROM ops_quarantine")["n"][0] == 0


def test_a_drop_dated_after_business_today_is_refused_unless_allowed(flow_env):
    from csi.flows.pipeline import backfill_flow

    tomorrow = business_today("Asia/Shanghai") + timedelta(days=1)
    write_csv(flow_env["landing"] / f"sales/dt={tomorrow.isoformat()}/pos.csv", landing.SALES_HEADER +
              f"O1,1,sale,C1,S1,store,{tomorrow - timedelta(days=1)} 10:00:00,食品,1,10,0,10,4,CNY\n")
    result = backfill_flow(start=tomorrow.isoformat(), end=tomorrow.isoformat())
    (r,) = result.dates
    assert r.status == "failed" and "is dated after today" in r.error and "--allow-future" in r.error
    assert read_table(flow_env["url"], "SELECT count(*) AS n FROM stg_sales_line")["n"][0] == 0
    allowed = backfill_flow(start=tomorrow.isoformat(), end=tomorrow.isoformat(), allow_future=True)
    assert [d.status for d in allowed.dates] == ["success"]
