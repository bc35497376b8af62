"""Notifier: one alert to every channel at once, as the per-(kind, channel) settings say.

Each channel is isolated: its own timeout per attempt, retries with exponential backoff (or the wait the
remote asked for), a deadline for the whole delivery, and failures logged (component "notify"), never
raised. A cooldown per (kind, key, channel) drops repeats in a storm; the next alert that goes out says
how many were dropped. Events from the bus are turned into alerts and sent from tracked tasks, so the
autopilot's publish() never waits for a channel; close() lets them finish (bounded), then closes channels.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from loguru import logger

from bot.notify.base import Alert, AlertKind, Channel, Delivery, NotifyError
from bot.notify.messages import alert_for
from memory.vocab import default_delivery
from trading.clock import Clock, SystemClock
from trading.events import Event, EventBus

_log = logger.bind(component="notify")
CooldownKey = tuple[str, str, str]  # (kind, key, channel)


class Outcome(StrEnum):
    SENT = "sent"  # delivered (with or without sound)
    FAILED = "failed"  # not delivered after the retries allowed
    OFF = "off"  # switched off for this kind
    SUPPRESSED = "suppressed"  # a repeat within the cooldown


@dataclass(frozen=True)
class ChannelResult:
    """What happened to one alert on one channel."""

    channel: str
    outcome: Outcome
    silent: bool = False
    attempts: int = 0
    error: str | None = None  # short, safe to show

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SENT


@dataclass(frozen=True)
class NotifyResult:
    """Per-channel results of one notify(); `sent` and `failed` name the channels (off/suppressed are neither)."""

    alert: Alert
    results: tuple[ChannelResult, ...] = ()

    @property
    def sent(self) -> tuple[str, ...]:
        return tuple(r.channel for r in self.results if r.outcome is Outcome.SENT)

    @property
    def failed(self) -> dict[str, str]:
        return {r.channel: r.error or "failed" for r in self.results if r.outcome is Outcome.FAILED}

    @property
    def skipped(self) -> dict[str, str]:
        return {r.channel: r.outcome.value for r in self.results if r.outcome in (Outcome.OFF, Outcome.SUPPRESSED)}

    def __getitem__(self, channel: str) -> ChannelResult:
        return next(r for r in self.results if r.channel == channel)


class AlertSettings(Protocol):
    """memory.stores.alerts.AlertStoreMixin, as the notifier reads it (at every alert, so CLI changes apply at once)."""

    def alert_deliveries(self, kind: str | None = None) -> dict[tuple[str, str], str]: ...


class Cooldown:
    """Admits one alert per (kind, key, channel) per window and counts the ones it drops."""

    def __init__(self, seconds: float) -> None:
        self.window = timedelta(seconds=seconds)
        self._last: dict[CooldownKey, datetime] = {}
        self._dropped: dict[CooldownKey, int] = {}

    def admit(self, key: CooldownKey, now: datetime) -> tuple[bool, int]:
        """(whether it may go out, how many were dropped before it); a dropped one is counted."""
        last = self._last.get(key)
        if self.window and last is not None and timedelta(0) <= now - last < self.window:
            self._dropped[key] = self._dropped.get(key, 0) + 1
            return False, 0
        self._last[key] = now
        if len(self._last) > 4096:  # keys such as report days accumulate: forget the ones out of the window
            self._last = {k: t for k, t in self._last.items() if now - t < self.window}
        return True, self._dropped.pop(key, 0)

    def undo(self, key: CooldownKey, dropped: int) -> None:
        """The admitted alert was not delivered: do not hold the next one back, and keep the count."""
        self._last.pop(key, None)
        if dropped:
            self._dropped[key] = self._dropped.get(key, 0) + dropped


def with_suppressed_note(alert: Alert, dropped: int) -> Alert:
    """The alert with a last line saying how many similar ones the cooldown dropped (unchanged for 0)."""
    if not dropped:
        return alert
    note = f"({dropped} similar alert{'s' if dropped != 1 else ''} suppressed since the last one)"
    return dataclasses.replace(alert, text=f"{alert.text}\n\n{note}" if alert.text else note)


class Notifier:
    """Fan-out of alerts to channels; see the module docstring."""

    def __init__(self, channels: Iterable[Channel] = (), store: AlertSettings | None = None,
                 clock: Clock | None = None, *, cooldown_seconds: float = 60.0, retries: int = 3,
                 backoff: float = 1.0, max_backoff: float = 30.0, timeout: float = 30.0, deadline: float = 180.0,
                 max_retry_after: float = 120.0, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self._channels: list[Channel] = []
        for channel in channels:
            self.add_channel(channel)
        self.store = store
        self.clock = clock or SystemClock()
        self.cooldown = Cooldown(cooldown_seconds)
        self.retries, self.backoff, self.max_backoff = retries, backoff, max_backoff
        self.timeout, self.deadline, self.max_retry_after = timeout, deadline, max_retry_after
        self._sleep = sleep
        self._tasks: set[asyncio.Task[NotifyResult]] = set()
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Any, store: AlertSettings | None = None, clock: Clock | None = None,
                      **options: Any) -> Notifier:
        """A notifier with the webhook, email and SMS channels the settings configure, and their cooldown."""
        from bot.notify.channels import build_channels

        return cls(build_channels(settings, clock=clock), store, clock,
                   cooldown_seconds=settings.alert_cooldown_seconds, **options)

    @property
    def channels(self) -> tuple[Channel, ...]:
        return tuple(self._channels)

    @property
    def pending(self) -> int:
        """Alerts being sent in the background."""
        return len(self._tasks)

    def add_channel(self, channel: Channel) -> None:
        """Add a channel (Telegram, Discord...); one per name, since settings are per channel name."""
        if any(c.name == channel.name for c in self._channels):
            raise ValueError(f"there is already a {channel.name} channel")
        self._channels.append(channel)

    def deliveries(self, kind: AlertKind) -> dict[str, Delivery]:
        """channel name -> on | silent | off for one kind (stored settings, else the defaults)."""
        stored: dict[tuple[str, str], str] = {}
        if self.store is not None:
            try:
                stored = self.store.alert_deliveries(kind.value)
            except Exception as exc:  # noqa: BLE001 - an unreadable setting must not cost the alert
                _log.warning("alert settings unreadable ({}); using the defaults", type(exc).__name__)
        out: dict[str, Delivery] = {}
        for channel in self._channels:
            value = stored.get((kind.value, channel.name)) or default_delivery(kind.value, channel.name)
            try:
                out[channel.name] = Delivery(value)
            except ValueError:  # a value written by a newer Zyn, say: deliver rather than lose the alert
                out[channel.name] = Delivery.ON
        return out

    async def notify(self, alert: Alert) -> NotifyResult:
        """Send one alert to every channel concurrently and wait for all (bounded); never raises."""
        try:
            return await self._notify(alert)
        except Exception as exc:  # noqa: BLE001 - alerts must never break the caller
            _log.opt(exception=exc).error("{} alert could not be fanned out", getattr(alert, "kind", "?"))
            return NotifyResult(alert)

    async def _notify(self, alert: Alert) -> NotifyResult:
        channels = list(self._channels)
        now = self.clock.now()
        deliveries = self.deliveries(alert.kind)
        results: dict[str, ChannelResult] = {}
        jobs: list[tuple[Channel, CooldownKey, int, Delivery]] = []
        for channel in channels:
            delivery = deliveries[channel.name]
            if delivery is Delivery.OFF:
                results[channel.name] = ChannelResult(channel.name, Outcome.OFF)
                continue
            key = (alert.kind.value, alert.key, channel.name)
            admitted, dropped = self.cooldown.admit(key, now)
            if not admitted:
                _log.debug("{} alert to {} suppressed by the cooldown", alert.kind.value, channel.name)
                results[channel.name] = ChannelResult(channel.name, Outcome.SUPPRESSED)
                continue
            jobs.append((channel, key, dropped, delivery))
        done = await asyncio.gather(*(self._deliver(ch, with_suppressed_note(alert, dropped), d is Delivery.SILENT)
                                      for ch, _, dropped, d in jobs))
        for (channel, key, dropped, _), result in zip(jobs, done, strict=True):
            if not result.ok:
                self.cooldown.undo(key, dropped)
            results[channel.name] = result
        if not channels:
            _log.debug("{} alert: no channel configured", alert.kind.value)
        return NotifyResult(alert, tuple(results[c.name] for c in channels))

    async def _deliver(self, channel: Channel, alert: Alert, silent: bool) -> ChannelResult:
        """One channel: attempts with a timeout each, waits between them, all within the deadline."""
        loop = asyncio.get_running_loop()
        started, attempts, error = loop.time(), 0, ""
        try:
            async with asyncio.timeout(self.deadline):
                while True:
                    attempts += 1
                    try:
                        async with asyncio.timeout(self.timeout):
                            await channel.send(alert, silent=silent)
                        _log.info("{} alert sent to {}{}", alert.kind.value, channel.name,
                                  f" (attempt {attempts})" if attempts > 1 else "")
                        return ChannelResult(channel.name, Outcome.SENT, silent, attempts)
                    except Exception as exc:  # noqa: BLE001 - any channel failure is isolated here
                        error, retryable, asked = self._describe(channel, exc)
                        unknown = None if isinstance(exc, (NotifyError, TimeoutError)) else exc
                    wait = self._wait(attempts, asked)
                    left = self.deadline - (loop.time() - started)
                    if not retryable or attempts > self.retries or wait is None or wait >= left:
                        why = ("not retryable" if not retryable else f"asked to wait {asked:g}s" if wait is None
                               else f"after {attempts} attempt(s)")
                        _log.opt(exception=unknown).warning(
                            "{} alert NOT delivered to {} ({}): {}", alert.kind.value, channel.name, why, error)
                        return ChannelResult(channel.name, Outcome.FAILED, silent, attempts, error)
                    _log.info("{} alert to {} failed ({}); retry {} of {} in {:.1f}s", alert.kind.value,
                              channel.name, error, attempts, self.retries, wait)
                    await self._sleep(wait)
        except TimeoutError:
            error = f"{channel.name}: gave up after {self.deadline:g}s" + (f" ({error})" if error else "")
            _log.warning("{} alert NOT delivered to {}: {}", alert.kind.value, channel.name, error)
            return ChannelResult(channel.name, Outcome.FAILED, silent, attempts, error)

    def _describe(self, channel: Channel, exc: Exception) -> tuple[str, bool, float | None]:
        """(short error, retryable, seconds the remote asked to wait)."""
        if isinstance(exc, NotifyError):
            return exc.message, exc.retryable, exc.retry_after
        if isinstance(exc, TimeoutError):
            return f"{channel.name}: no answer within {self.timeout:g}s", True, None
        asked = getattr(exc, "retry_after", None)  # e.g. a library's own flood-control error
        if isinstance(asked, timedelta):
            asked = asked.total_seconds()
        asked = float(asked) if isinstance(asked, int | float) else None
        # Unknown errors are retried: channels such as Telegram raise their own types and resume safely.
        return f"{channel.name}: {type(exc).__name__}: {str(exc)[:200]}", True, asked

    def _wait(self, attempt: int, asked: float | None) -> float | None:
        """Seconds before the next attempt: what the remote asked for, else exponential backoff; None: too long."""
        if asked is not None:
            return asked if asked <= self.max_retry_after else None
        return min(self.max_backoff, self.backoff * 2 ** (attempt - 1))

    # ---- events -------------------------------------------------------------------------------------

    def submit(self, alert: Alert) -> asyncio.Task[NotifyResult] | None:
        """Send an alert in the background (a tracked task); None once closed."""
        if self._closed:
            _log.warning("{} alert after close: not sent", alert.kind.value)
            return None
        task = asyncio.get_running_loop().create_task(self.notify(alert), name=f"notify:{alert.kind.value}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def on_event(self, event: Event) -> None:
        """Bus handler: turn an event into an alert and send it in the background (returns at once)."""
        try:
            alert = alert_for(event)
        except Exception as exc:  # noqa: BLE001 - a malformed event must not disturb the publisher
            _log.opt(exception=exc).error("no alert for a {} event", getattr(event, "kind", "?"))
            return
        if alert is not None:
            self.submit(alert)

    def attach(self, bus: EventBus) -> None:
        """Subscribe to a bus: fills, bracket exits, kill-switch trips and autopilot errors become alerts."""
        bus.subscribe(self.on_event)

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait for the background sends (up to timeout seconds); True if none is left."""
        loop = asyncio.get_running_loop()
        end = None if timeout is None else loop.time() + timeout
        while self._tasks:
            left = None if end is None else end - loop.time()
            if left is not None and left <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=left)
        return True

    async def close(self, timeout: float | None = None) -> None:
        """Stop taking alerts, let the background sends finish (bounded), cancel the rest, close channels."""
        self._closed = True
        if not await self.drain(self.deadline + 5 if timeout is None else timeout):
            _log.warning("{} alert(s) still sending at shutdown: cancelled", len(self._tasks))
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for channel in self._channels:
            try:
                await channel.close()
            except Exception as exc:  # noqa: BLE001 - closing one channel must not stop the others
                _log.warning("closing the {} channel failed: {}", channel.name, type(exc).__name__)
