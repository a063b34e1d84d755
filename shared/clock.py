"""Time. Everything that depends on "now" takes a Clock so tests can set it."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


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


def local_text(dt: datetime, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return utc(dt).astimezone(ZoneInfo(tz)).strftime(fmt)
