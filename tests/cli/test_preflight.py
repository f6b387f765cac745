"""csi.preflight: every setting that cannot work is one line naming the variable and the value."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from csi.cli import preflight
from csi.clock import business_today
from csi.settings import ConfigError, Settings


def settings(tmp_path, **overrides) -> Settings:
    values = dict(warehouse_url=f"duckdb:///{tmp_path / 'wh.duckdb'}", landing_dir=tmp_path / "landing",
                  work_dir=tmp_path / "work", data_docs_dir=tmp_path / "docs")
    values.update(overrides)
    return Settings(**values)


def refused(s: Settings, needs_landing: bool = False) -> str:
    with pytest.raises(ConfigError) as err:
        preflight.check(s, needs_landing=needs_landing)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_a_good_configuration_passes_and_creates_nothing(tmp_path):
    (tmp_path / "landing").mkdir()
    preflight.check(settings(tmp_path, work_dir=tmp_path / "a" / "b" / "work"), needs_landing=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["landing"]  # "can be created" is judged, not tried


@pytest.mark.parametrize("url, expected", [
    ("mysql://csi:pw1@db/csi?password=pw2",
     "CSI_WAREHOUSE_URL='mysql://csi:***@db/csi?password=***': unsupported database 'mysql'; use duckdb:///"),
    ("sqlite:///x.db", "CSI_WAREHOUSE_URL='sqlite:///x.db': unsupported database 'sqlite'"),
    ("postgresql://csi:pw1@db/csi", "CSI_WAREHOUSE_URL='postgresql://csi:***@db/csi': PostgreSQL needs the psycopg "
     "driver: postgresql+psycopg://... (not postgresql)"),
    ("postgresql+psycopg2://csi@db/csi", "needs the psycopg driver: postgresql+psycopg://... (not postgresql+psycopg2)"),
    ("duckdb+odd:///x.duckdb", "CSI_WAREHOUSE_URL='duckdb+odd:///x.duckdb': DuckDB URLs have no driver part"),
    ("warehouse.duckdb", "CSI_WAREHOUSE_URL='warehouse.duckdb': not a SQLAlchemy URL; use duckdb:///"),
])
def test_unsupported_urls_are_named_with_the_password_masked(tmp_path, url, expected):
    message = refused(settings(tmp_path, warehouse_url=url))
    assert expected in message
    assert "pw1" not in message and "pw2" not in message


def test_postgresql_with_psycopg_and_in_memory_duckdb_pass(tmp_path):
    preflight.check(settings(tmp_path, warehouse_url="postgresql+psycopg://csi:pw@db:5432/csi"), needs_landing=False)
    preflight.check(settings(tmp_path, warehouse_url="duckdb:///:memory:"), needs_landing=False)


def test_the_duckdb_file_must_be_a_writable_place(tmp_path):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-dir").mkdir()
    under_a_file = f"duckdb:///{tmp_path / 'a-file' / 'wh.duckdb'}"
    assert refused(settings(tmp_path, warehouse_url=under_a_file)) == (
        f"CSI_WAREHOUSE_URL='{under_a_file}': {tmp_path / 'a-file'} exists and is not a directory")
    is_a_dir = f"duckdb:///{tmp_path / 'a-dir'}"
    assert refused(settings(tmp_path, warehouse_url=is_a_dir)) == (
        f"CSI_WAREHOUSE_URL='{is_a_dir}': {tmp_path / 'a-dir'} is a directory, not a DuckDB file")
    deep = f"duckdb:///{tmp_path / 'new' / 'deeper' / 'wh.duckdb'}"  # make_engine creates the directories
    preflight.check(settings(tmp_path, warehouse_url=deep), needs_landing=False)


def test_a_work_dir_that_cannot_be_created_is_named(tmp_path):
    (tmp_path / "a-file").write_text("x")
    work = tmp_path / "a-file" / "sub" / "work"
    assert refused(settings(tmp_path, work_dir=work)) == (
        f"CSI_WORK_DIR={work}: cannot create {work}: {tmp_path / 'a-file'} is not a directory")
    assert refused(settings(tmp_path, work_dir=tmp_path / "a-file")) == (
        f"CSI_WORK_DIR={tmp_path / 'a-file'}: {tmp_path / 'a-file'} exists and is not a directory")
    docs = tmp_path / "a-file" / "docs"
    assert refused(settings(tmp_path, data_docs_dir=docs)).startswith(f"CSI_DATA_DOCS_DIR={docs}: cannot create")
    publish = tmp_path / "a-file" / "read.duckdb"
    assert refused(settings(tmp_path, publish_path=publish)).startswith(f"CSI_PUBLISH_PATH={publish}: ")


def test_an_unknown_time_zone_is_named(tmp_path):
    assert refused(settings(tmp_path, timezone="Asia/Shanghaii")) == (
        "CSI_TIMEZONE='Asia/Shanghaii' is not a known IANA time zone (e.g. Asia/Shanghai, Europe/Berlin, UTC)")


def test_the_landing_dir_is_needed_only_when_asked(tmp_path):
    s = settings(tmp_path)
    preflight.check(s, needs_landing=False)
    assert refused(s, needs_landing=True) == (
        f"CSI_LANDING_DIR={tmp_path / 'landing'} does not exist; set CSI_LANDING_DIR to the landing zone, "
        f"or create sample data with `csi demo` or `csi generate --out {tmp_path / 'landing'}`")


def test_date_arguments():
    preflight.check_date_range(date(2026, 1, 1), date(2026, 1, 1))
    with pytest.raises(ConfigError, match=r"^--end 2026-01-01 is before --start 2026-01-02$"):
        preflight.check_date_range(date(2026, 1, 2), date(2026, 1, 1))


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Etc/GMT+12"])  # UTC+14 and UTC-12: a day apart
def test_a_date_after_business_today_needs_allow_future(tz):
    today = business_today(tz)
    preflight.check_not_future(today, tz, allow_future=False, option="--date")
    tomorrow = today + timedelta(days=1)
    with pytest.raises(ConfigError) as err:
        preflight.check_not_future(tomorrow, tz, allow_future=False, option="--end")
    assert str(err.value) == (f"--end {tomorrow} is after today ({today} in CSI_TIMEZONE={tz}); "
                              "pass --allow-future to process a drop dated in the future")
    preflight.check_not_future(tomorrow, tz, allow_future=True, option="--end")
