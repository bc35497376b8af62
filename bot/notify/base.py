"""What an alert is and what a channel must do; the fan-out (bot/notify/fanout.py) sends one alert to all."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class AlertKind(StrEnum):
    FILL = "fill"  # an order of ours filled (autopilot or tools)
    BRACKET_EXIT = "bracket_exit"  # a stop-loss or take-profit leg closed a position
    KILL_SWITCH = "kill_switch"  # the daily-loss kill switch tripped
    AUTOPILOT_ERROR = "autopilot_error"  # a tick or a symbol failed
    DAILY_REPORT = "daily_report"  # the scheduled daily report (with an equity PNG)
    WATCHDOG = "watchdog"  # the service found itself unwell: a late tick, a stale feed, a dead job
    PROTECTION = "protection"  # a LIVE position's stop was refused, cancelled outside Zyn, replaced or is missing
    PROFIT_TARGET = "profit_target"  # the daily profit target was reached: no new entries until tomorrow


class Delivery(StrEnum):
    ON = "on"  # delivered with sound
    SILENT = "silent"  # delivered without a notification sound (where the channel can)
    OFF = "off"  # not delivered


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    title: str  # one short line, e.g. "Filled: buy 0.01 BTC/USD @ 64,250.5 [PAPER]"
    text: str  # plain text body (may be long; channels split or truncate it as they must)
    at: datetime  # UTC
    photo: bytes | None = None  # a PNG (daily report: the equity curve)
    photo_name: str = "chart.png"
    key: str = ""  # cooldown key within the kind (e.g. the symbol); "" = the kind as a whole


class Channel(Protocol):
    """One destination. send() raises on failure; the fan-out isolates, retries and logs it."""

    name: str  # "telegram" | "webhook" | "email" | "sms" | "discord"

    async def send(self, alert: Alert, *, silent: bool) -> None: ...

    async def close(self) -> None: ...


class NotifyError(Exception):
    """A channel could not deliver an alert. The message is short and never holds a secret (no URL, token)."""

    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after  # seconds the remote asked us to wait (Retry-After), if it said

    def __str__(self) -> str:
        return self.message


class RetryableNotifyError(NotifyError):
    """A transient failure (connection, timeout, HTTP 429 or 5xx, SMTP 4xx): the fan-out tries again."""

    retryable = True


class DeliveredParts:
    """Which parts of recent alerts already reached their destinations, so a retry of the same alert sends only
    what is missing (bounded: the newest `size` alerts are remembered)."""

    def __init__(self, size: int = 200) -> None:
        self.size = size
        self._parts: OrderedDict[tuple, set] = OrderedDict()

    def of(self, alert: Alert) -> set:
        """The (mutable) set of parts of this alert already delivered."""
        key = (alert.kind, alert.at, alert.key, alert.title, alert.text, len(alert.photo or b""))
        done = self._parts.pop(key, set())
        self._parts[key] = done
        while len(self._parts) > self.size:
            self._parts.popitem(last=False)
        return done
