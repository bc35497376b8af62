"""The daily reporter: once per UTC day (a claim in the database, across restarts), catch-up, the job."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.notify.base import Alert, AlertKind
from bot.notify.fanout import ChannelResult, NotifyResult, Outcome
from bot.reports import CATCH_UP_JOB, REPORT_JOB, DailyReporter, ReportSchedule, channel_results
from bot.scheduler import make_scheduler
from tests.tools.test_report import DAY, World, build_history, make_world, png_size
from trading.autopilot.engine import Autopilot
from trading.config import TradingConfig
from trading.events import EventBus
from trading.risk.limits import DailyLimits, KillSwitch

D = Decimal
REPORT_AT = DAY + timedelta(hours=21)


@dataclass
class Settings:
    report_time: str = "21:00"


class RecordingNotifier:
    """Our notify(alert) interface, recorded; answers per channel (channel -> True, False, "off" or an error
    text) as the fan-out's NotifyResult."""

    def __init__(self, answer: dict[str, Any] | None = None, fail: Exception | None = None) -> None:
        self.alerts: list[Alert] = []
        self.answer = answer if answer is not None else {"telegram": True, "email": "RuntimeError: smtp down"}
        self.fail = fail

    async def notify(self, alert: Alert) -> NotifyResult:
        self.alerts.append(alert)
        if self.fail is not None:
            raise self.fail
        return NotifyResult(alert, tuple(_result(channel, v) for channel, v in self.answer.items()))


def _result(channel: str, value: Any) -> ChannelResult:
    if value is True:
        return ChannelResult(channel, Outcome.SENT)
    if value == "off":
        return ChannelResult(channel, Outcome.OFF)
    return ChannelResult(channel, Outcome.FAILED, error=None if value is False else str(value))


@pytest.fixture
async def world(tmp_path: Path) -> World:
    w = make_world(tmp_path)
    await build_history(w)
    w.at(REPORT_AT)
    yield w
    w.db.close()


def reporter(w: World, notifier: RecordingNotifier, time: str = "21:00") -> DailyReporter:
    return DailyReporter(w.ctx, notifier, w.clock, Settings(time))


async def test_the_report_is_sent_once_with_its_picture(world: World) -> None:
    notifier = RecordingNotifier()
    rep = reporter(world, notifier)
    run = await rep.run_once(DAY.date())
    assert await rep.run_once(DAY.date()) is None  # claimed: never twice
    [alert] = notifier.alerts
    assert alert.kind is AlertKind.DAILY_REPORT and alert.at == REPORT_AT and alert.key == "2024-05-06"
    assert alert.title == "Daily report 2024-05-06: -23.71 USD [PAPER]"
    # The 24 hours up to the report time: consecutive daily reports cover every trade exactly once.
    assert "24 h to 05-06 21:00" in alert.text and "05-05 21:00 – 05-06 21:00 UTC" in alert.text
    assert "Trades 2" in alert.text
    assert png_size(alert.photo) == (1000, 600) and alert.photo_name == "equity_2024-05-06.png"
    assert run.status == "sent" and run.sent_at == REPORT_AT and run.channels_ok == ("telegram",)
    assert run.channels_failed == {"email": "RuntimeError: smtp down"}
    assert world.db.get_report_run("daily", DAY.date()) == run


async def test_claimed_once_across_a_restart_and_concurrent_runs(world: World) -> None:
    first = RecordingNotifier()
    results = await asyncio.gather(reporter(world, first).run_once(DAY.date()),
                                   reporter(world, first).run_once(DAY.date()))
    assert sum(r is not None for r in results) == 1 and len(first.alerts) == 1
    world.reopen()  # the process restarts on the same file
    again = RecordingNotifier()
    rep = reporter(world, again)
    assert await rep.run_once(DAY.date()) is None and again.alerts == []
    assert rep.catch_up_day() is None and await rep.catch_up() is None
    assert world.db.get_report_run("daily", DAY.date()).status == "sent"


async def test_a_report_nobody_received_is_sent_again(world: World) -> None:
    down = RecordingNotifier(fail=ConnectionError("all channels down"))
    run = await reporter(world, down).run_once(DAY.date())
    assert run.status == "failed" and run.channels_ok == ()
    assert "ConnectionError" in run.channels_failed["notifier"]
    nobody = RecordingNotifier(answer={"telegram": False, "sms": "HTTP 500"})
    run = await reporter(world, nobody).run_once(DAY.date())
    assert run.status == "failed" and run.attempts == 2 and run.channels_failed == {"telegram": "failed",
                                                                                    "sms": "HTTP 500"}
    ok = RecordingNotifier(answer={"telegram": True})
    run = await reporter(world, ok).run_once(DAY.date())
    assert run.status == "sent" and run.attempts == 3 and run.channels_ok == ("telegram",)
    assert await reporter(world, ok).run_once(DAY.date()) is None and len(ok.alerts) == 1


async def test_catch_up_at_start_after_the_report_time(world: World) -> None:
    notifier = RecordingNotifier()
    world.at(DAY + timedelta(hours=20, minutes=59))  # before the time: nothing to catch up
    scheduler = make_scheduler()
    scheduler.start(paused=True)
    assert reporter(world, notifier).attach(scheduler) is False and scheduler.get_job(CATCH_UP_JOB) is None
    world.at(DAY + timedelta(hours=22, minutes=30))  # started after 21:00, nothing sent today yet
    rep = reporter(world, notifier)
    assert rep.attach(scheduler) is True and rep.attach(scheduler) is True  # replace_existing: no duplicates
    assert sorted(j.id for j in scheduler.get_jobs()) == [REPORT_JOB, CATCH_UP_JOB]
    trigger = scheduler.get_job(REPORT_JOB).trigger
    fields = {f.name: str(f) for f in trigger.fields if f.name in ("hour", "minute")}
    assert fields == {"hour": "21", "minute": "0"}
    assert str(trigger.timezone) == "UTC"
    scheduler.resume()  # the catch-up job runs at once on this loop
    try:
        for _ in range(200):
            if notifier.alerts and world.db.get_report_run("daily", DAY.date()).status == "sent":
                break
            await asyncio.sleep(0.02)
    finally:
        scheduler.shutdown(wait=False)
    [alert] = notifier.alerts
    assert "05-05 21:00 – 05-06 21:00 UTC" in alert.text  # the window up to the missed report time
    assert world.db.get_report_run("daily", DAY.date()).claimed_by == "catch-up"
    assert reporter(world, notifier).attach(make_scheduler()) is False  # sent: no second catch-up


async def test_no_catch_up_for_a_day_gone_by(world: World) -> None:
    world.at(DAY + timedelta(days=1, hours=3))  # yesterday's report was never sent; today's is not due
    rep = reporter(world, RecordingNotifier())
    assert rep.catch_up_day() is None and await rep.catch_up() is None
    assert await rep.run_once(date(2024, 5, 8)) is None  # a day that has not begun is never claimed
    assert world.db.get_report_run("daily", date(2024, 5, 8)) is None


async def test_the_scheduled_job_reports_the_day_so_far_and_midnight_the_day_before(world: World) -> None:
    notifier = RecordingNotifier()
    await reporter(world, notifier).run_scheduled()
    assert notifier.alerts[-1].key == "2024-05-06"
    world.at(DAY + timedelta(days=1, seconds=2))
    await reporter(world, notifier, "00:00").run_scheduled()  # at midnight: the whole day just ended
    assert notifier.alerts[-1].key == "2024-05-06"
    assert len(notifier.alerts) == 1  # already sent at 21:00: the claim holds for that day
    schedule = ReportSchedule.parse("00:00")
    assert schedule.report_day(datetime(2024, 5, 7, 0, 0, 5, tzinfo=UTC)) == date(2024, 5, 6)
    with pytest.raises(Exception, match="UTC time like 21:00"):
        ReportSchedule.parse("9pm")


async def test_an_empty_day_report(tmp_path: Path) -> None:
    w = make_world(tmp_path, REPORT_AT)
    notifier = RecordingNotifier(answer={"telegram": True})
    run = await reporter(w, notifier).run_once(DAY.date())
    assert run.status == "sent" and "No trades in this period" in notifier.alerts[0].text
    assert notifier.alerts[0].title == "Daily report 2024-05-06: +0.00 USD [PAPER]"
    w.db.close()


async def test_autopilot_ticks_record_the_equity_the_report_draws(world: World) -> None:
    cfg = TradingConfig(universe=("BTC/USD",))
    pilot = Autopilot(world.ctx.exchange, world.db, DailyLimits(world.db, cfg.risk, world.clock),
                      KillSwitch(world.db, cfg.risk, world.clock), world.clock, cfg, EventBus())
    for minutes in (0, 5, 10):
        world.at(REPORT_AT + timedelta(minutes=minutes))
        await pilot.tick()  # no candles: nothing to decide, but the equity is recorded
    points = world.db.equity_points(DAY, REPORT_AT + timedelta(hours=1))
    assert [p[0] for p in points] == [REPORT_AT + timedelta(minutes=m) for m in (0, 5, 10)]
    assert all(p[1].quantize(D("0.01")) == D("10045.94") for p in points)
    notifier = RecordingNotifier()
    await reporter(world, notifier).run_once(DAY.date())
    # The service started at 21:00: the fills draw the day until then, the snapshots after.
    assert "Curve: from fills until 21:00" in notifier.alerts[0].text


def test_channel_results_name_who_got_it_and_why_not() -> None:
    alert = Alert(kind=AlertKind.DAILY_REPORT, title="t", text="x", at=datetime(2024, 6, 30, tzinfo=UTC))
    result = RecordingNotifier({"telegram": True, "webhook": "off", "sms": True, "email": "auth"})
    assert channel_results(NotifyResult(alert, tuple(_result(c, v) for c, v in result.answer.items()))) == (
        ["sms", "telegram"], {"email": "auth"})
