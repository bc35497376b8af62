"""Alerts the service's way: autopilot events on the bus -> the fan-out (bot/notify/fanout.Notifier) -> the
Telegram channel the front end gave it -> the stand-in; the daily report from the real DailyReporter."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.reports import DailyReporter
from tests.bot.telegram.harness import GROUP, OWNER, running
from trading.events import EventKind, KillSwitchTripped

pytestmark = pytest.mark.filterwarnings("ignore:.*`retry_after`:telegram.warnings.PTBDeprecationWarning")


async def test_a_paper_fill_reaches_the_owner_through_the_notifier() -> None:
    async with running(with_notifier=True) as h:
        assert [c.name for c in h.notifier.channels] == ["telegram"]
        await h.runtime.autopilot.watch_fills()  # the fill watcher's first look
        await h.say(OWNER, OWNER, "/buy SOL/USD 2")  # a chat order fills on the paper exchange
        await h.runtime.autopilot.watch_fills()  # the scheduled watcher finds it: an event on the bus
        await h.notifier.drain(5)
        [alert] = [s for s in h.tg.sent_to(OWNER) if s.text.startswith("Filled:")]
        assert alert.raw.startswith("<b>Filled: buy 2 SOL/USD @ ") and alert.raw.split("\n")[0].endswith(
            "[PAPER]</b>")
        assert "Bought 2 SOL/USD at" in alert.text and "Mode PAPER" in alert.text
        assert not alert.disable_notification


async def test_kill_switch_event_is_pushed_and_flood_control_is_waited_out() -> None:
    async with running(with_notifier=True) as h:
        h.tg.add_chat(OWNER)
        h.expected_errors.append("Too Many Requests")
        h.tg.retry_after_next("sendMessage", 1)
        event = KillSwitchTripped(EventKind.KILL_SWITCH_TRIPPED, h.clock.now(), "paper",
                                  "daily loss 5.20% > limit 5.00%", equity=Decimal("9480"),
                                  start_equity=Decimal("10000"), loss_fraction=Decimal("0.052"))
        await h.runtime.bus.publish(event)  # what the autopilot publishes when the switch trips
        await h.notifier.drain(10)
        [alert] = h.tg.sent_to(OWNER)
        assert alert.text.startswith("KILL SWITCH tripped: down 5.20% today [PAPER]")
        assert "Equity 9,480.00 vs 10,000.00" in alert.text and not alert.disable_notification
        assert h.tg.calls["sendMessage"] == 2  # 429 once, then delivered once


async def test_daily_report_goes_to_the_group_with_its_picture() -> None:
    async with running(with_notifier=True) as h:
        h.tg.add_chat(GROUP, "group")
        await h.say(OWNER, OWNER, "/buy BTC/USD 0.02")
        h.clock.advance(timedelta(hours=3))
        await h.say(OWNER, OWNER, "/sell BTC/USD 0.01")
        reporter = DailyReporter(h.runtime.services.tools, h.notifier, h.clock, h.settings)
        run = await reporter.run_once(h.clock.now().date())
        assert run is not None and run.status != "failed"
        text, picture = h.tg.sent_to(GROUP)
        assert text.text.startswith("Daily report 2024-05-06: ") and "Trades 1" in text.text
        assert picture.method == "sendPhoto" and picture.photo.startswith(b"\x89PNG")
        assert picture.filename == "equity_2024-05-06.png" and picture.text.startswith("Daily report 2024-05-06")
        assert [s.method for s in h.tg.sent_to(OWNER)[-2:]] == ["sendMessage", "sendPhoto"]  # alert chat too
        assert await reporter.run_once(h.clock.now().date()) is None  # never twice for one day
        assert len(h.tg.sent_to(GROUP)) == 2
