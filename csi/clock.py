"""The one business clock: every "now" and "today" of csi, in the configured time zone.

Landing timestamps are naive business time (METRICS 0). Comparing them with the
host's naive local time (`datetime.now()`) would make a UTC host running the
02:30 Asia/Shanghai nightly treat every order after 18:30 as being in the future,
so nothing in csi calls `datetime.now()` or `date.today()` directly: it asks this
module, with the time zone from the settings.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class UnknownTimeZone(ValueError):
    """The configured time zone is not an IANA name this machine knows."""


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimeZone(f"CSI_TIMEZONE={tz!r} is not a known IANA time zone (e.g. Asia/Shanghai)") from None


def business_now(tz: str) -> datetime:
    """The current wall-clock time in the business time zone, naive (like landing timestamps)."""
    return datetime.now(zone(tz)).replace(tzinfo=None)


def business_today(tz: str) -> date:
    return business_now(tz).date()


def business_yesterday(tz: str) -> date:
    """The nightly run's default business date."""
    return business_today(tz) - timedelta(days=1)
