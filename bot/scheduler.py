"""APScheduler wiring: deterministic job ids, one job per concern, replace_existing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

AUTOPILOT_JOB = "autopilot"
FILL_WATCH_JOB = "fill_watch"


def make_scheduler() -> AsyncIOScheduler:
    """A scheduler on the running event loop, in UTC."""
    return AsyncIOScheduler(timezone=UTC)


def schedule_autopilot(scheduler: AsyncIOScheduler, job: Callable[[], Awaitable[object]], delay_seconds: float) -> None:
    """Run job at every 5-minute candle close plus a short delay (so the candle is final on the exchange)."""
    seconds = int(delay_seconds)
    scheduler.add_job(job, CronTrigger(minute="*/5", second=seconds, timezone=UTC), id=AUTOPILOT_JOB,
                      name="autopilot tick", replace_existing=True, max_instances=1, coalesce=True,
                      misfire_grace_time=120)


def schedule_fill_watch(scheduler: AsyncIOScheduler, job: Callable[[], Awaitable[object]], seconds: float = 20) -> None:
    """Look for new fills (stops, targets, chat orders) between ticks, so alerts go out within seconds."""
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler.add_job(job, IntervalTrigger(seconds=seconds, timezone=UTC), id=FILL_WATCH_JOB, name="fill watch",
                      replace_existing=True, max_instances=1, coalesce=True, misfire_grace_time=30)
