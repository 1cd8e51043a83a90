"""Clock and China Standard Time helpers (the shop's calendar is Beijing time)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


def china_date(moment: datetime) -> date:
    """Return the calendar date in Beijing of an aware datetime."""
    return moment.astimezone(CHINA_TZ).date()


def iso_china(moment: datetime | None) -> str | None:
    """Format an aware datetime as ISO 8601 with the +08:00 offset."""
    if moment is None:
        return None
    return moment.astimezone(CHINA_TZ).isoformat(timespec="seconds")


def iso_date(day: date | None) -> str | None:
    """Format a date as ``YYYY-MM-DD``."""
    return None if day is None else day.isoformat()


def fixed_clock(moment: datetime) -> Clock:
    """Return a clock that always reads ``moment`` (tests, seeding)."""
    return lambda: moment
