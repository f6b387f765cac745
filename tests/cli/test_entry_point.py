"""The real `csi` console script: operator errors are one `csi: error:` line, exit status 2, no
traceback, before Prefect starts; passwords never reach the output."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlalchemy.engine import make_url

from csi.clock import business_today

PW_USERINFO, PW_QUERY = "Userinfo-pw-7741", "Query-pw-9923"


def one_error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("csi: error: ")
    return lines[0]


@pytest.mark.parametrize("args", [["run", "--date", "2026-01-05"],
                                  ["backfill", "--start", "2026-01-01", "--end", "2026-01-03"]])
def test_a_bad_url_scheme_is_one_line_without_the_passwords(csi, args):
    url = f"mysql://csi:{PW_USERINFO}@db:3306/csi?password={PW_QUERY}"
    done = csi(*args, env={"CSI_WAREHOUSE_URL": url})
    assert one_error_line(done) == (
        "csi: error: CSI_WAREHOUSE_URL='mysql://csi:***@db:3306/csi?password=***': unsupported database 'mysql'; "
        "use duckdb:///path/to/warehouse.duckdb or postgresql+psycopg://user@host:5432/db")
    assert PW_USERINFO not in done.stdout + done.stderr and PW_QUERY not in done.stdout + done.stderr
    assert done.stdout == ""


def test_end_before_start_is_one_line(csi):
    done = csi("backfill", "--start", "2026-02-01", "--end", "2026-01-31")
    assert one_error_line(done) == "csi: error: --end 2026-01-31 is before --start 2026-02-01"


def test_a_work_dir_that_cannot_be_created_is_one_line(csi, tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    done = csi("run", "--date", "2026-01-05", env={"CSI_WORK_DIR": str(tmp_path / "a-file" / "work")})
    assert one_error_line(done) == (f"csi: error: CSI_WORK_DIR={tmp_path / 'a-file' / 'work'}: cannot create "
                                    f"{tmp_path / 'a-file' / 'work'}: {tmp_path / 'a-file'} is not a directory")
    assert not (tmp_path / "work").exists()


def test_a_missing_landing_dir_and_a_bad_time_zone_are_one_line(csi, tmp_path):
    done = csi("run", env={"CSI_LANDING_DIR": str(tmp_path / "nowhere")})
    assert one_error_line(done).startswith(f"csi: error: CSI_LANDING_DIR={tmp_path / 'nowhere'} does not exist; ")
    done = csi("backfill", "--start", "2026-01-01", "--end", "2026-01-02", env={"CSI_TIMEZONE": "Mars/Olympus"})
    assert one_error_line(done) == ("csi: error: CSI_TIMEZONE='Mars/Olympus' is not a known IANA time zone "
                                    "(e.g. Asia/Shanghai, Europe/Berlin, UTC)")


def test_a_future_date_is_refused_unless_allowed(csi):
    tomorrow = business_today("Pacific/Kiritimati") + timedelta(days=2)  # after today in any zone
    done = csi("run", "--date", tomorrow.isoformat(), env={"CSI_TIMEZONE": "Etc/GMT+12"})
    assert one_error_line(done).startswith(f"csi: error: --date {tomorrow} is after today (")
    assert done.stderr.rstrip().endswith("in CSI_TIMEZONE=Etc/GMT+12); pass --allow-future to process a drop "
                                         "dated in the future")


def test_argument_errors_are_one_line_too(csi):
    done = csi("run", "--date", "2026-02-30")
    assert one_error_line(done) == ("csi: error: argument --date: '2026-02-30' is not a date (YYYY-MM-DD) "
                                    "(see `csi run --help`)")
    done = csi("backfill", "--start", "2026-01-01", "--end", "2026-01-02", "--workers", "0")
    assert one_error_line(done) == "csi: error: argument --workers: 0 is below 1 (see `csi backfill --help`)"
    done = csi("run", "--wait", "-1")
    assert one_error_line(done) == "csi: error: argument --wait: -1 is below 0 (see `csi run --help`)"


def test_a_bad_setting_is_one_line(csi, tmp_path):
    done = csi("config", env={"CSI_MAX_QUARANTINE_PCT": "150"})
    assert one_error_line(done) == ("csi: error: invalid configuration: CSI_MAX_QUARANTINE_PCT (max_quarantine_pct) "
                                    "= '150': Value error, must be between 0 and 100")
    (tmp_path / "bad.yaml").write_text("warehouse_url: [1\n")
    done = csi("config", env={"CSI_CONFIG_FILE": str(tmp_path / "bad.yaml")})
    assert one_error_line(done).startswith(f"csi: error: CSI_CONFIG_FILE={tmp_path / 'bad.yaml'}: not valid YAML (line 2")


def test_config_masks_both_passwords_and_checks_the_configuration(csi):
    url = f"postgresql+psycopg://csi:{PW_USERINFO}@db.internal:5432/csi?password={PW_QUERY}&sslmode=require"
    done = csi("config", env={"CSI_WAREHOUSE_URL": url})
    assert done.returncode == 0, done.stderr
    assert PW_USERINFO not in done.stdout + done.stderr and PW_QUERY not in done.stdout + done.stderr
    shown = json.loads(done.stdout)
    assert shown["warehouse_url"] == "postgresql+psycopg://csi:***@db.internal:5432/csi?password=***&sslmode=require"
    assert done.stderr == "csi: configuration checked: ok\n"

    done = csi("config", env={"CSI_WAREHOUSE_URL": url.replace("+psycopg", "")})
    assert json.loads(done.stdout)["warehouse_url"].startswith("postgresql://csi:***@")
    assert one_error_line(done).startswith("csi: error: CSI_WAREHOUSE_URL='postgresql://csi:***@db.internal:5432/"
                                           "csi?password=***&sslmode=require': PostgreSQL needs the psycopg driver")
    assert PW_USERINFO not in done.stdout + done.stderr and PW_QUERY not in done.stdout + done.stderr


def test_config_says_when_the_landing_dir_is_not_there_yet(csi, tmp_path):
    done = csi("config", env={"CSI_LANDING_DIR": str(tmp_path / "later")})
    assert done.returncode == 0
    assert done.stderr == (f"csi: configuration checked: ok; CSI_LANDING_DIR={tmp_path / 'later'} does not exist "
                           "yet (`csi demo` creates it)\n")


def test_the_checks_before_a_run_import_neither_prefect_nor_the_flows(cli_env, tmp_path):
    script = textwrap.dedent("""
        import sys
        from csi.cli import main
        code = main(["run", "--date", "2026-01-05"])
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("prefect", "flows", "great_expectations"))
        print(code, heavy)
    """)
    env = {**cli_env, "CSI_WAREHOUSE_URL": "mysql://csi@db/csi"}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.stdout == "2 []\n", done.stderr


def test_a_run_failing_on_postgresql_never_shows_the_passwords(csi):
    """Past the checks: a wrong password on the real server fails in the flow (Prefect started),
    and neither password appears anywhere in what the run printed."""
    from tests.warehouse.backends import pg_admin_url

    admin = make_url(pg_admin_url())
    url = (f"postgresql+psycopg://{admin.username}:{PW_USERINFO}@{admin.host}:{admin.port}/{admin.database}"
           f"?password={PW_QUERY}")
    done = csi("run", "--date", "2026-01-05", env={"CSI_WAREHOUSE_URL": url})
    assert done.returncode in (1, 2), done.stderr
    output = done.stdout + done.stderr
    assert PW_USERINFO not in output and PW_QUERY not in output
    assert "password=***" in output  # the URL is named, masked


@pytest.mark.parametrize("host_tz, business_tz", [("Etc/GMT-14", "Etc/GMT+12"), ("Etc/GMT+12", "Etc/GMT-14")])
def test_the_future_is_judged_in_business_time_whatever_the_host_tz(cli_env, tmp_path, host_tz, business_tz):
    """The host 26 hours ahead of business time, then 26 hours behind: business today is accepted,
    business tomorrow refused, though the host's own date says otherwise for one of them."""
    today = business_today(business_tz)
    script = textwrap.dedent(f"""
        from datetime import date
        from csi.cli.preflight import check_not_future
        from csi.settings import ConfigError
        for d in ("{today}", "{today + timedelta(days=1)}"):
            try:
                check_not_future(date.fromisoformat(d), "{business_tz}", allow_future=False, option="--date")
                print(d, "accepted")
            except ConfigError:
                print(d, "refused")
    """)
    done = subprocess.run([sys.executable, "-c", script], env={**cli_env, "TZ": host_tz}, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.splitlines() == [f"{today} accepted", f"{today + timedelta(days=1)} refused"], done.stderr


def test_serve_checks_its_time_zone_before_starting_anything(csi):
    done = csi("serve", "--timezone", "Asia/Shangai")
    assert one_error_line(done) == ("csi: error: --timezone='Asia/Shangai' is not a known IANA time zone "
                                    "(e.g. Asia/Shanghai, Europe/Berlin, UTC)")


def test_generate_checks_its_output_dir_first(csi, tmp_path):
    (tmp_path / "a-file").write_text("x")
    done = csi("generate", "--out", str(tmp_path / "a-file" / "out"), "--days", "1", "--customers", "5")
    assert one_error_line(done) == (f"csi: error: --out={tmp_path / 'a-file' / 'out'}: cannot create "
                                    f"{tmp_path / 'a-file' / 'out'}: {tmp_path / 'a-file'} is not a directory")
