"""The service's watchdog: a late tick, a stale feed or a dead scheduler job is alerted and repaired where it can be.

A job of the service itself (every minute). Each problem is alerted once when it starts (AlertKind.WATCHDOG,
on | silent | off per channel like the other kinds) and once more when it clears; the repair is tried on
every run while it lasts: a missing job is added again, a stale feed is reconnected, a late tick is run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from loguru import logger

from bot.notify.base import Alert, AlertKind

_log = logger.bind(component="watchdog")
WATCHDOG_JOB = "watchdog"
CANDLE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing found wrong, and what was done about it."""

    key: str  # late_tick | stale_feed | job:<id>
    text: str
    repair: str = ""


@dataclass
class Probes:
    """What the watchdog looks at and how it repairs, given by the service (narrow: no whole service passed)."""

    now: Callable[[], datetime]
    autopilot: Callable[[], tuple[bool, datetime | None]]  # (enabled, last tick at)
    newest_candle: Callable[[], Awaitable[datetime | None]]  # open time of the newest closed candle
    jobs: Callable[[], set[str]]  # ids of the scheduled jobs
    expected_jobs: dict[str, Callable[[], None]]  # id -> re-add it
    reconnect_feed: Callable[[], Awaitable[None]]
    run_tick: Callable[[], Awaitable[object]]
    notify: Callable[[Alert], object]
    mode: str = "paper"


class Watchdog:
    """Finds late ticks, stale feeds and dead jobs; alerts once per episode and repairs."""

    def __init__(self, probes: Probes) -> None:
        self.p = probes
        self.open: dict[str, Problem] = {}  # problems alerted and not cleared yet

    async def check(self) -> list[Problem]:
        """One run: find, repair, alert; returns the problems found now. Never raises."""
        found: list[Problem] = []
        try:
            found += self._dead_jobs()
            found += await self._late_tick()
            found += await self._stale_feed()
        except Exception as exc:  # noqa: BLE001 - the watchdog must outlive what it watches
            _log.warning("watchdog run failed: {}", exc)
        now = self.p.now()
        for problem in found:
            if problem.key not in self.open:
                self.p.notify(Alert(AlertKind.WATCHDOG, f"Watchdog: {problem.text} [{self.p.mode.upper()}]",
                                    f"{problem.text}\n{problem.repair}".strip(), now, key=problem.key))
            self.open[problem.key] = problem
        for key in [k for k in self.open if k not in {p.key for p in found}]:
            cleared = self.open.pop(key)
            self.p.notify(Alert(AlertKind.WATCHDOG, f"Watchdog: back to normal [{self.p.mode.upper()}]",
                                f"cleared: {cleared.text}", now, key=f"{key}:cleared"))
        return found

    def _dead_jobs(self) -> list[Problem]:
        present = self.p.jobs()
        out = []
        for job_id, re_add in self.p.expected_jobs.items():
            if job_id in present:
                continue
            try:
                re_add()
                repair = f"the {job_id} job was added again"
            except Exception as exc:  # noqa: BLE001 - said in the alert; tried again next run
                repair = f"re-adding the {job_id} job failed: {type(exc).__name__}"
            out.append(Problem(f"job:{job_id}", f"the scheduler job '{job_id}' was not running", repair))
        return out

    async def _late_tick(self) -> list[Problem]:
        enabled, last = self.p.autopilot()
        now = self.p.now()
        if not enabled or last is None or now - last <= 2 * CANDLE:
            return []
        minutes = int((now - last).total_seconds() // 60)
        try:
            await self.p.run_tick()
            repair = "a tick was run now"
        except Exception as exc:  # noqa: BLE001
            repair = f"running a tick failed: {type(exc).__name__}"
        return [Problem("late_tick", f"the autopilot's last tick was {minutes} min ago ({last:%H:%M} UTC)", repair)]

    async def _stale_feed(self) -> list[Problem]:
        now = self.p.now()
        try:
            newest = await self.p.newest_candle()
        except Exception as exc:  # noqa: BLE001 - an unreachable feed is a stale feed
            newest, why = None, f"market data unreachable ({type(exc).__name__})"
        else:
            why = "no closed candle" if newest is None else ""
        if newest is not None and now - (newest + CANDLE) <= 2 * CANDLE:
            return []
        if newest is not None:
            why = f"the newest closed candle is from {newest:%H:%M} UTC"
        try:
            await self.p.reconnect_feed()
            repair = "the market data was reconnected"
        except Exception as exc:  # noqa: BLE001
            repair = f"reconnecting the market data failed: {type(exc).__name__}"
        return [Problem("stale_feed", f"stale market data: {why}", repair)]
