"""Time. Everything that depends on "now" takes a Clock so tests can set it."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import chinese_calendar


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests: stands still until moved."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)


def utc(dt: datetime) -> datetime:
    """Normalise to aware UTC. Naive values are taken as UTC (MongoDB returns naive UTC)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def end_of_day(day: date, tz: str) -> datetime:
    """A deadline written as a date ("于6月20日前报送") means the end of that day in the node's zone."""
    local = datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)


def local_year(dt: datetime, tz: str) -> int:
    """The year an instant falls in, in the node's zone (收文/发文 are filed by it)."""
    return utc(dt).astimezone(ZoneInfo(tz)).year


def local_text(dt: datetime, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return utc(dt).astimezone(ZoneInfo(tz)).strftime(fmt)


def is_working_day(day: date) -> bool:
    """China's statutory calendar (holidays and adjusted weekends); Monday–Friday outside the years it knows."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def working_days_before(day: date, n: int) -> date:
    """The n-th working day before ``day`` (``day`` itself not counted)."""
    while n > 0:
        day -= timedelta(days=1)
        n -= is_working_day(day)
    return day
