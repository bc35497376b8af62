"""The watchdog on a real scheduler, database, notifier and webhook stand-in: alert once, repair, clear."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bot.notify.fanout import Notifier
from bot.notify.webhook import WebhookChannel
from bot.scheduler import (
    AUTOPILOT_JOB,
    FILL_WATCH_JOB,
    make_scheduler,
    schedule_autopilot,
    schedule_fill_watch,
)
from bot.watchdog import Probes, Watchdog
from memory import open_database
from tests.bot.notify.standins import WebhookReceiver
from tests.fakes import FakeFeed
from trading.clock import ManualClock
from trading.domain import Candle, Mode

NOW = datetime(2024, 5, 6, 14, 0, 5, tzinfo=UTC)


async def _noop() -> None:
    return None


def _candles(feed: FakeFeed, newest_open: datetime) -> None:
    p = Decimal("100")
    feed.candles["BTC/USD"] = [Candle("BTC/USD", newest_open - timedelta(minutes=5 * k), p, p, p, p, Decimal(1))
                               for k in (2, 1, 0)]


async def test_late_tick_stale_feed_and_a_dead_job_are_alerted_once_repaired_and_cleared(tmp_path: Path) -> None:
    clock, feed = ManualClock(NOW), FakeFeed()
    db = open_database(Mode.PAPER, tmp_path)
    db.set_autopilot_enabled(True, by="test")
    db.record_tick(NOW - timedelta(minutes=5), None, None)
    _candles(feed, NOW - timedelta(minutes=5))
    scheduler = make_scheduler()
    ticks, reconnects = [], []

    async def tick() -> None:
        ticks.append(clock.now())
        db.record_tick(clock.now(), None, None)

    async def reconnect() -> None:
        reconnects.append(clock.now())
        _candles(feed, clock.now().replace(second=0) - timedelta(minutes=5))  # the feed answers again

    async def newest() -> datetime | None:
        return max(c.timestamp for c in await feed.fetch_ohlcv("BTC/USD") if c.timestamp + timedelta(minutes=5)
                   <= clock.now())

    async with WebhookReceiver() as hook:
        notifier = Notifier([WebhookChannel(hook.url)], db, clock)
        scheduler.start(paused=True)
        schedule_autopilot(scheduler, _noop, 5)
        schedule_fill_watch(scheduler, _noop)
        dog = Watchdog(Probes(
            now=clock.now, autopilot=lambda: (db.get_autopilot_state().enabled, db.get_autopilot_state().last_tick_at),
            newest_candle=newest, jobs=lambda: {j.id for j in scheduler.get_jobs()},
            expected_jobs={AUTOPILOT_JOB: lambda: schedule_autopilot(scheduler, _noop, 5),
                           FILL_WATCH_JOB: lambda: schedule_fill_watch(scheduler, _noop)},
            reconnect_feed=reconnect, run_tick=tick, notify=notifier.submit))
        assert await dog.check() == []  # all well

        clock.advance(timedelta(minutes=16))  # no tick for 21 minutes and no new candle
        scheduler.remove_job(FILL_WATCH_JOB)  # a job died
        found = await dog.check()
        assert sorted(p.key for p in found) == ["job:fill_watch", "late_tick", "stale_feed"]
        assert FILL_WATCH_JOB in {j.id for j in scheduler.get_jobs()} and ticks and reconnects  # repaired
        await notifier.drain(5)
        titles = [r["title"] if "title" in r else str(r) for r in hook.received]
        assert len(hook.received) == 3 and all("Watchdog" in t for t in titles)

        clock.advance(timedelta(seconds=30))
        assert await dog.check() == []  # the repairs held: each problem clears, once
        await notifier.drain(5)
        assert len(hook.received) == 6 and sum("back to normal" in str(r) for r in hook.received) == 3

        db.set_alert_delivery("watchdog", "webhook", "off", by="test", at=clock.now())
        scheduler.remove_job(AUTOPILOT_JOB)
        assert [p.key for p in await dog.check()] == ["job:autopilot"]
        await notifier.drain(5)
        assert len(hook.received) == 6  # switched off like any other kind
        await notifier.close(5)
    scheduler.shutdown(wait=False)
    db.close()
