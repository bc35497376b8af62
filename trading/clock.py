"""Injectable UTC clocks: the system clock for the service, a manual one for tests and backtests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current UTC time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real UTC wall clock."""

    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (tests, backtests)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware UTC datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The clock's current time."""
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by a timedelta or a number of seconds."""
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to a given UTC time."""
        self._now = when.astimezone(UTC)


def utc(dt: datetime) -> datetime:
    """Return dt as an aware UTC datetime (naive values are taken as UTC)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def from_ms(ms: int | float) -> datetime:
    """UTC datetime from epoch milliseconds."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def to_ms(dt: datetime) -> int:
    """Epoch milliseconds of a datetime."""
    return int(utc(dt).timestamp() * 1000)


def next_tick_after(now: datetime, delay_seconds: float, minutes: int = 5) -> datetime:
    """The next candle close (every `minutes`, UTC) plus the delay, strictly after now."""
    base = now.replace(second=0, microsecond=0, minute=now.minute - now.minute % minutes)
    nxt = base + timedelta(seconds=delay_seconds)
    while nxt <= now:
        nxt += timedelta(minutes=minutes)
    return nxt
