"""LIVE: the journal reconciled against Kraken at the service's start and once a day (`zyn reconcile` by hand).

A run that found something (fills imported, differences) alerts the owner with its report; a clean run is
only logged. A failure is logged and tried again at the next run: it never stops the service.
"""

from __future__ import annotations

from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from loguru import logger

from bot.notify.base import Alert, AlertKind
from tools.catalog import invoke
from tools.context import ToolContext
from trading.clock import Clock
from trading.errors import ZynError

RECONCILE_JOB = "journal-reconcile"
DAILY_AT = {"hour": 0, "minute": 20}  # UTC: after the day's last trades are in Kraken's history
_log = logger.bind(component="reconcile")


class JournalReconcile:
    """Runs the reconcile_journal tool (its default window) and tells the owner when it found anything."""

    def __init__(self, tools: ToolContext, notifier: Any, clock: Clock) -> None:
        self.tools, self.notifier, self.clock = tools, notifier, clock

    def attach(self, scheduler: BaseScheduler) -> None:
        """The daily job (id "journal-reconcile")."""
        scheduler.add_job(self.run, CronTrigger(**DAILY_AT, timezone="UTC"), id=RECONCILE_JOB,
                          name="journal reconcile", replace_existing=True, max_instances=1, coalesce=True,
                          misfire_grace_time=3600)

    async def run(self) -> Any:
        """One reconcile; its result, or None when it failed (logged). Never raises."""
        try:
            result = await invoke(self.tools, "reconcile_journal", {})
        except Exception as exc:  # noqa: BLE001 - a scheduler job and the start-up must go on
            message = exc.message if isinstance(exc, ZynError) else type(exc).__name__
            _log.opt(exception=not isinstance(exc, ZynError)).warning("journal reconcile failed: {}", message)
            return None
        text = result.text()
        if result.report.clean:
            _log.info("journal reconcile: {}", text.replace("\n", " "))
            return result
        _log.warning("journal reconcile found differences:\n{}", text)
        alert = Alert(kind=AlertKind.WATCHDOG, title="Journal reconciled with Kraken: differences [LIVE]", text=text,
                      at=self.clock.now(), key="reconcile")
        try:
            await self.notifier.notify(alert)
        except Exception as exc:  # noqa: BLE001 - the report is in the log
            _log.warning("journal reconcile alert not sent: {}", exc)
        return result
