"""The settings object: what it derives from the configuration (the rest is tested where it is used)."""

import os

import pytest
import sqlalchemy as sa

from csi.settings import ConfigError, duckdb_size, load_settings, memory_bytes
from csi.warehouse.engine import Warehouse


def test_a_duckdb_url_carries_the_memory_limit_unless_it_names_one():
    quarter = memory_bytes() // 4 // 2**20  # the default: 25% of the memory, in MiB
    assert load_settings(warehouse_url="duckdb:///w.duckdb").url == f"duckdb:///w.duckdb?memory_limit={quarter}MiB"
    assert load_settings(warehouse_url="duckdb:///w.duckdb", duckdb_memory_limit="2GB").url == \
        "duckdb:///w.duckdb?memory_limit=2GB"
    assert load_settings(warehouse_url="duckdb:///w.duckdb", duckdb_memory_limit="512MiB").url == \
        "duckdb:///w.duckdb?memory_limit=512MiB"
    assert load_settings(warehouse_url="duckdb:///w.duckdb?memory_limit=8GB").url == \
        "duckdb:///w.duckdb?memory_limit=8GB"
    assert load_settings(warehouse_url="duckdb:///w.duckdb", duckdb_memory_limit="").url == "duckdb:///w.duckdb"
    pg = "postgresql+psycopg://csi:s3cret@db:5432/csi"
    assert load_settings(warehouse_url=pg).url == pg


def test_the_limit_is_set_by_env_and_a_bad_size_is_one_line(monkeypatch):
    monkeypatch.setenv("CSI_DUCKDB_MEMORY_LIMIT", "1.5GB")
    assert load_settings(warehouse_url="duckdb:///w.duckdb").duckdb_memory_limit == "1.5GB"
    monkeypatch.setenv("CSI_DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value).splitlines() == [
        "invalid configuration: CSI_DUCKDB_MEMORY_LIMIT (duckdb_memory_limit) = 'lots': Value error, 'lots' "
        "is not a size such as 2GB, 512MiB or 25% (of the memory; empty: DuckDB's default)"]
    for share in ("0%", "150%"):
        monkeypatch.setenv("CSI_DUCKDB_MEMORY_LIMIT", share)
        with pytest.raises(ConfigError):
            load_settings()


def test_a_warehouse_opened_from_the_settings_runs_under_the_limit(tmp_path):
    # DuckDB reports 2GB (decimal) as 1.8 GiB and 512MiB as itself
    for limit, shown in (("2GB", "1.8 GiB"), ("512MiB", "512.0 MiB")):
        settings = load_settings(warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}", duckdb_memory_limit=limit)
        wh = Warehouse(settings.url)
        # another opener of the same file in the process (a test, GX) with the bare URL: DuckDB refuses
        # a second open with other open-time options, so the limit is set after opening, for both
        bare = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
        try:
            with wh.engine.connect() as conn, bare.engine.connect() as other:
                assert conn.execute(sa.text("SELECT current_setting('memory_limit')")).scalar() == shown
                assert other.execute(sa.text("SELECT current_setting('memory_limit')")).scalar() == shown
        finally:
            wh.dispose()
            bare.dispose()


def test_a_share_is_of_the_machine_or_of_a_lower_container_limit(tmp_path):
    machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    unlimited, one_gib = tmp_path / "memory.max", tmp_path / "limit_in_bytes"
    unlimited.write_text("max\n")
    one_gib.write_text("1073741824\n")
    assert memory_bytes((unlimited, tmp_path / "absent")) == machine
    assert memory_bytes((unlimited, one_gib)) == 2**30
    assert duckdb_size("25%", (one_gib,)) == "256MiB"  # a quarter of 1 GiB
    assert duckdb_size("4GB") == "4GB"
