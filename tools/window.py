"""A window of time for trade history and reports: last N hours, today, yesterday, since a day or a time, or
between two times. Held in UTC; shown in UTC and, when the owner lives elsewhere, in their zone (ZYN_TIMEZONE)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from trading.errors import InputError


@dataclass(frozen=True)
class Window:
    """[since, until): either end may be open. Both ends are aware datetimes."""

    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise InputError("the start of the window must be before its end")

    def __contains__(self, at: datetime) -> bool:
        return (self.since is None or at >= self.since) and (self.until is None or at < self.until)

    @property
    def open(self) -> bool:
        return self.since is None and self.until is None

    def words(self, zone: str = "UTC") -> str:
        """'from 2024-05-05 00:00 UTC (...) to ...', 'since ...', 'until ...' (empty when open)."""
        if self.since is not None and self.until is not None:
            return f"from {both(self.since, zone)} to {both(self.until, zone)}"
        if self.since is not None:
            return f"since {both(self.since, zone)}"
        return f"until {both(self.until, zone)}" if self.until is not None else ""


def both(at: datetime, zone: str) -> str:
    """'2024-05-05 18:00 UTC (Sun 14:00 America/New_York)': UTC, and the owner's clock when it differs."""
    utc = f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if str(zone) in ("", "UTC"):
        return utc
    return f"{utc} ({at.astimezone(ZoneInfo(str(zone))):%a %d %b %H:%M} {zone})"


def last_hours(hours: float, now: datetime) -> Window:
    """The window of the last `hours` hours up to now."""
    if not 0 < hours <= 24 * 3660:
        raise InputError("give the hours as a positive number, e.g. 24")
    return Window(now - timedelta(hours=hours), None)


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def moment(text: str, now: datetime, zone: str, *, end: bool = False) -> datetime:
    """One end of a window from the owner's words: 'today', 'yesterday', '2024-05-06', '14:00' (today's),
    '2024-05-06 14:00', or an ISO time with its offset. Times without an offset are in the owner's zone;
    a bare day means its start (or, as an end, the start of the next day, so the day is included)."""
    tz = _zone(zone)
    word = text.strip().lower()
    local_today = now.astimezone(tz).date()
    if word in ("now", ""):
        return now
    if word in ("today", "yesterday"):
        day = local_today - timedelta(days=1 if word == "yesterday" else 0)
        return _start(day + timedelta(days=1) if end else day, tz)
    if _DAY.fullmatch(word):
        day = _date(word)
        return _start(day + timedelta(days=1) if end else day, tz)
    if (hit := _CLOCK.fullmatch(word)) is not None:
        at = datetime.combine(local_today, _clock(hit), tzinfo=tz)
        return (at - timedelta(days=1) if at > now else at).astimezone(UTC)
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"'{text}' is not a time; write today, yesterday, 2024-05-06, 14:00 or "
                         "'2024-05-06 14:00'") from None
    return (at if at.tzinfo is not None else at.replace(tzinfo=tz)).astimezone(UTC)


def window_of(since: str | None, until: str | None, hours: float | None, now: datetime, zone: str) -> Window:
    """The window a person typed (the CLI's --since/--until/--hours), or InputError."""
    if hours is not None:
        if since is not None:
            raise InputError("give --hours or --since, not both")
        start = last_hours(hours, now).since
        return Window(start, moment(until, now, zone, end=True) if until else None)
    return Window(moment(since, now, zone) if since else None, moment(until, now, zone, end=True) if until else None)


def _zone(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(str(zone) or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone '{zone}' (ZYN_TIMEZONE), e.g. Europe/Paris") from None


def _start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text} is not a date; write it like 2024-05-06") from None


def _clock(hit: re.Match[str]) -> time:
    hour, minute = int(hit[1]), int(hit[2])
    if hour > 23 or minute > 59:
        raise InputError(f"{hit[0]} is not a time; write it like 14:05")
    return time(hour, minute)
