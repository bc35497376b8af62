"""The daily report: the `report` tool's text and equity PNG, sent once per UTC day through the notifier.

Which day: the report sent at ZYN_REPORT_TIME (UTC, default 21:00) covers the UTC day it is sent on, from
00:00 up to the moment it is built ("so far"). With ZYN_REPORT_TIME=00:00 it covers the whole UTC day that
just ended instead (a report of a day that has not started would be empty).

Once only: before anything is sent, a (kind, day) row is claimed in the database; a second run, another
process or a restart then finds it taken. A run that delivered to no channel is marked failed and may be
claimed again; a run that crashed mid-send stays claimed (at most once beats twice). After a restart past
the report time, today's report is sent at once if it was not sent yet (catch-up), the same UTC day only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from loguru import logger

from bot.notify.base import Alert, AlertKind
from bot.notify.fanout import NotifyResult
from tools.catalog import invoke
from tools.context import ToolContext
from tools.report import ReportResult, signed
from trading.clock import Clock
from trading.errors import ConfigError, ZynError

REPORT_JOB = "daily_report"
CATCH_UP_JOB = "daily_report_catch_up"
KIND = "daily"
_log = logger.bind(component="report")


class Notifier(Protocol):
    """The alert fan-out (bot/notify/fanout.py): sends one alert to every configured channel."""

    async def notify(self, alert: Alert) -> NotifyResult: ...


class ReportStore(Protocol):
    """memory.stores.reports.ReportStoreMixin, as the reporter uses it."""

    def claim_report(self, kind: str, day: date, at: datetime, by: str = "") -> bool: ...

    def finish_report(self, kind: str, day: date, *, at: datetime, ok: list[str], failed: dict[str, str],
                      error: str | None = None) -> Any: ...

    def get_report_run(self, kind: str, day: date) -> Any: ...


@dataclass(frozen=True)
class ReportSchedule:
    """When the daily report goes out: a UTC time of day."""

    at: time

    @classmethod
    def parse(cls, text: str) -> ReportSchedule:
        """From "HH:MM" (UTC)."""
        try:
            hour, minute = (int(part) for part in text.strip().split(":"))
            return cls(time(hour, minute))
        except ValueError:
            raise ConfigError(f"ZYN_REPORT_TIME must be a UTC time like 21:00 (got {text!r})") from None

    def report_day(self, fired: datetime) -> date:
        """The UTC day a report sent at `fired` covers: that day so far, or at 00:00 the day just ended."""
        day = fired.astimezone(UTC).date()
        return day - timedelta(days=1) if self.at == time(0, 0) else day

    def due_today(self, now: datetime) -> datetime:
        """Today's report time."""
        today = now.astimezone(UTC).date()
        return datetime.combine(today, self.at, tzinfo=UTC)


class DailyReporter:
    """Builds the daily report with the `report` tool and sends it once per UTC day through the notifier."""

    def __init__(self, tools: ToolContext, notifier: Notifier, clock: Clock, settings: Any, *,
                 store: ReportStore | None = None) -> None:
        self.tools, self.notifier, self.clock = tools, notifier, clock
        self.store: ReportStore = store if store is not None else tools.store
        if self.store is None:
            raise ConfigError("the daily report needs the mode's database")
        self.schedule = ReportSchedule.parse(getattr(settings, "report_time", "21:00"))

    # ---- scheduling ---------------------------------------------------------------------------------

    def attach(self, scheduler: BaseScheduler) -> bool:
        """Add the daily job (id "daily_report") and, when today's report is overdue, a catch-up run now."""
        at = self.schedule.at
        scheduler.add_job(self.run_scheduled, CronTrigger(hour=at.hour, minute=at.minute, timezone=UTC),
                          id=REPORT_JOB, name="daily report", replace_existing=True, max_instances=1,
                          coalesce=True, misfire_grace_time=3600)
        due = self.catch_up_day() is not None
        if due:  # no run_date: the scheduler runs it as soon as it is running
            scheduler.add_job(self.catch_up, id=CATCH_UP_JOB, name="daily report catch-up",
                              replace_existing=True, max_instances=1, misfire_grace_time=3600)
        _log.info("daily report scheduled at {:%H:%M} UTC{}", at, "; today's is overdue: now" if due else "")
        return due

    async def run_scheduled(self) -> None:
        """The scheduled job: today's report (never raises into the scheduler)."""
        await self.run_once(self.schedule.report_day(self.clock.now()))

    def catch_up_day(self) -> date | None:
        """The day whose report time has passed today without a report sent or being sent; else None."""
        now = self.clock.now()
        if now < self.schedule.due_today(now):
            return None
        day = self.schedule.report_day(self.schedule.due_today(now))
        run = self.store.get_report_run(KIND, day)
        return day if run is None or run.status == "failed" else None

    async def catch_up(self) -> Any:
        """Send today's overdue report, if it still is (a restart after the report time)."""
        day = self.catch_up_day()
        if day is None:
            return None
        _log.info("catching up on the daily report of {}", day)
        return await self.run_once(day, by="catch-up")

    # ---- one report ---------------------------------------------------------------------------------

    async def run_once(self, day: date, *, by: str = "scheduler") -> Any:
        """Claim, build and send the report of one UTC day; None when it was claimed before (not sent again).

        Returns the stored record of this attempt (memory.stores.reports.ReportRun). Never raises.
        """
        now = self.clock.now()
        if day > now.astimezone(UTC).date():
            _log.warning("daily report of {} asked for before that day began; nothing sent", day)
            return None
        try:
            if not self.store.claim_report(KIND, day, now, by=by):
                _log.info("daily report of {} already sent or being sent; not sending it again", day)
                return None
        except Exception as exc:  # noqa: BLE001 - a database hiccup must not crash the scheduler
            _log.opt(exception=exc).error("daily report of {}: claim failed", day)
            return None
        try:
            alert = await self.build_alert(day)
        except Exception as exc:  # noqa: BLE001 - recorded, logged, and retried at the next start
            message = exc.message if isinstance(exc, ZynError) else type(exc).__name__
            _log.opt(exception=not isinstance(exc, ZynError)).error("daily report of {} not built: {}", day,
                                                                    message)
            return self._finish(day, [], {}, f"not built: {message}")
        try:
            ok, failed = channel_results(await self.notifier.notify(alert))
        except Exception as exc:  # noqa: BLE001 - the fan-out should not raise; if it does, nothing went out
            _log.opt(exception=exc).error("daily report of {}: the notifier failed", day)
            ok, failed = [], {"notifier": f"{type(exc).__name__}: {exc}"[:300]}
        run = self._finish(day, ok, failed, None)
        _log.info("daily report of {}: sent to {}; failed {}", day, ", ".join(ok) or "none",
                  ", ".join(failed) or "none")
        return run

    async def build_alert(self, day: date) -> Alert:
        """The report of `day` as an alert: title, phone text and the equity PNG."""
        # The 24 hours up to this day's report time: consecutive reports cover every trade exactly once.
        until = datetime.combine(day, self.schedule.at, tzinfo=UTC) + (
            timedelta(days=1) if self.schedule.at == time(0, 0) else timedelta(0))
        result: ReportResult = await invoke(self.tools, "report", {"period": "day", "until": until.isoformat()})
        photo = result.chart.read_bytes() if result.chart is not None and result.chart.exists() else None
        mode = result.mode.value.upper()
        title = f"Daily report {day.isoformat()}: {signed(result.realized_pnl)} {result.quote} [{mode}]"
        return Alert(kind=AlertKind.DAILY_REPORT, title=title, text=result.text(), at=self.clock.now(),
                     photo=photo, photo_name=f"equity_{day.isoformat()}.png", key=day.isoformat())

    def _finish(self, day: date, ok: list[str], failed: dict[str, str], error: str | None) -> Any:
        try:
            return self.store.finish_report(KIND, day, at=self.clock.now(), ok=ok, failed=failed, error=error)
        except Exception as exc:  # noqa: BLE001 - the claim stays: at most once
            _log.opt(exception=exc).error("daily report of {}: result not recorded", day)
            return None


def channel_results(result: NotifyResult) -> tuple[list[str], dict[str, str]]:
    """(channels that delivered, channel -> error) of one notify(); switched-off or suppressed are neither."""
    return sorted(result.sent), {k: v[:300] for k, v in result.failed.items()}
