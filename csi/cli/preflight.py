"""Checks of the configuration and the command line before anything heavy starts.

`csi run` / `csi backfill` call these before importing Prefect or the flows, so a
bad warehouse URL, an unwritable work dir or `--end` before `--start` is one
`csi: error: ...` line within a second, not a traceback after Prefect's server has
started. Each problem is a ConfigError naming the setting (its `CSI_*` variable)
and its value, with any password masked. Nothing here creates or writes a file:
"can be created" is judged from the nearest existing parent directory.

The URL rules mirror csi.warehouse.engine.make_engine (which stays the authority
at run time); this module only parses the URL, it opens no connection.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from csi.clock import UnknownTimeZone, business_today, zone
from csi.secrets import mask_url
from csi.settings import ConfigError, Settings

SUPPORTED_URLS = "duckdb:///path/to/warehouse.duckdb or postgresql+psycopg://user@host:5432/db"


def check(settings: Settings, *, needs_landing: bool) -> None:
    """Raise ConfigError (one line) for the first setting that cannot work."""
    check_warehouse_url(settings.warehouse_url.get_secret_value())  # as configured (url adds the memory limit)
    check_timezone(settings.timezone)
    check_writable_dir("CSI_WORK_DIR", settings.work_dir)
    if settings.publish_path:
        check_writable_dir("CSI_PUBLISH_PATH", Path(settings.publish_path).parent, shown=settings.publish_path)
    if settings.quality_checks:
        check_writable_dir("CSI_DATA_DOCS_DIR", settings.data_docs_dir)
    if needs_landing:
        check_landing(settings.landing_dir)


def check_warehouse_url(url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    # quoted: a later mask_url of the message would take a ':' after "?password=***" for the secret
    shown = f"CSI_WAREHOUSE_URL='{mask_url(url)}'"
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"{shown}: not a SQLAlchemy URL; use {SUPPORTED_URLS}") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "duckdb":
        if driver:
            raise ConfigError(f"{shown}: DuckDB URLs have no driver part; use duckdb:///path/to/warehouse.duckdb")
        if parsed.database and parsed.database != ":memory:":
            check_duckdb_file(shown, Path(parsed.database))
        return
    if backend == "postgresql":
        if driver != "psycopg":
            raise ConfigError(f"{shown}: PostgreSQL needs the psycopg driver: postgresql+psycopg://... "
                              f"(not {parsed.drivername})")
        return
    raise ConfigError(f"{shown}: unsupported database {backend!r}; use {SUPPORTED_URLS}")


def check_duckdb_file(shown: str, path: Path) -> None:
    if path.is_dir():
        raise ConfigError(f"{shown}: {path} is a directory, not a DuckDB file")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise ConfigError(f"{shown}: the file {path} is not writable")
    check_writable_dir("CSI_WAREHOUSE_URL", path.parent, shown=shown.partition("=")[2])


def check_writable_dir(name: str, path: Path, *, shown: object = None) -> None:
    """The directory exists and is writable, or could be created (its nearest existing parent is
    a writable directory)."""
    path = Path(path)
    label = f"{name}={shown if shown is not None else path}"
    probe = path.absolute()
    while not probe.exists() and not probe.is_symlink() and probe.parent != probe:
        probe = probe.parent
    if probe == path.absolute():
        if not probe.is_dir():
            raise ConfigError(f"{label}: {probe} exists and is not a directory")
        if not os.access(probe, os.W_OK | os.X_OK):
            raise ConfigError(f"{label}: the directory {probe} is not writable")
        return
    if not probe.is_dir():
        raise ConfigError(f"{label}: cannot create {path}: {probe} is not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f"{label}: cannot create {path}: the directory {probe} is not writable")


def check_timezone(tz: str, name: str = "CSI_TIMEZONE") -> None:
    try:
        zone(tz)
    except UnknownTimeZone:
        raise ConfigError(f"{name}={tz!r} is not a known IANA time zone (e.g. Asia/Shanghai, Europe/Berlin, UTC)") \
            from None


def check_landing(landing_dir: Path) -> None:
    path = Path(landing_dir)
    if not path.is_dir():
        where = "" if path.is_absolute() else f" (= {path.absolute()})"
        what = "is not a directory" if path.exists() else "does not exist"
        raise ConfigError(f"CSI_LANDING_DIR={path}{where} {what}; set CSI_LANDING_DIR to the landing zone, "
                          f"or create sample data with `csi demo` or `csi generate --out {path}`")


def check_date_range(start: date, end: date) -> None:
    if end < start:
        raise ConfigError(f"--end {end} is before --start {start}")


def check_not_future(last: date, tz: str, *, allow_future: bool, option: str) -> None:
    """A drop dated after today in business time is refused unless --allow-future (the flow
    refuses it too; this says so before Prefect starts)."""
    today = business_today(tz)
    if last > today and not allow_future:
        raise ConfigError(f"{option} {last} is after today ({today} in CSI_TIMEZONE={tz}); "
                          "pass --allow-future to process a drop dated in the future")
