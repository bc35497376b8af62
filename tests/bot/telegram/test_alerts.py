"""Push alerts through TelegramChannel and the real PTB Bot to the stand-in: a paper fill, a group daily report
with its picture, a kill-switch alert, RetryAfter honoured, a 10,000-character report split in order."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from bot.notify.base import Alert, AlertKind, NotifyError, RetryableNotifyError
from bot.telegram.channel import TelegramChannel, TelegramDeliveryError
from tests.bot.telegram.harness import GROUP, OWNER, running
from tests.standins.telegram import tg_len
from tools.catalog import invoke
from trading.events import Event, EventKind

# PTB's own RetryAfter constructor warns that retry_after will become a timedelta (we read both).
pytestmark = pytest.mark.filterwarnings("ignore:.*`retry_after`:telegram.warnings.PTBDeprecationWarning")


def _alert(kind: AlertKind, title: str, text: str, at, **kw) -> Alert:  # noqa: ANN001
    return Alert(kind=kind, title=title, text=text, at=at, **kw)


async def test_a_paper_fill_is_pushed_to_the_owner() -> None:
    async with running() as h:
        h.tg.add_chat(OWNER)
        channel = h.front.channel
        assert channel.chats_for(AlertKind.FILL) == (OWNER,)  # alert chats default to the owner's
        pushed: list[Event] = []

        async def bridge(event: Event) -> None:  # what the fan-out does with a fill event
            if event.kind is EventKind.ORDER_FILLED:
                pushed.append(event)
                await channel.send(_alert(AlertKind.FILL, f"Filled [{event.mode.upper()}]", event.text, event.at),
                                   silent=False)

        h.runtime.bus.subscribe(bridge)
        await h.runtime.autopilot.watch_fills()  # the watcher's first look: nothing new yet
        await h.say(OWNER, OWNER, "/buy ETH/USD 0.5")  # a real paper fill through Telegram
        await h.runtime.autopilot.watch_fills()  # the scheduler's fill watcher finds it and publishes
        [event] = pushed
        alert = await h.tg.wait_for(lambda: [s for s in h.tg.sent_to(OWNER) if s.text.startswith("Filled")])
        assert alert[0].raw.startswith("<b>Filled [PAPER]</b>\nfilled: buy 0.5 ETH/USD @ ")
        assert not alert[0].disable_notification and alert[0].text.endswith(")")


async def test_group_daily_report_with_its_picture() -> None:
    async with running() as h:
        h.tg.add_chat(GROUP, "group")
        h.tg.add_chat(OWNER)
        await h.say(OWNER, OWNER, "/buy BTC/USD 0.01")
        h.clock.advance(timedelta(hours=2))
        await h.say(OWNER, OWNER, "/sell BTC/USD 0.01")
        report = await invoke(h.agent.ctx, "report", {"period": "today"})
        photo = report.chart.read_bytes()
        alert = _alert(AlertKind.DAILY_REPORT, "Daily report 2024-05-06 [PAPER]", report.text(), h.clock.now(),
                       photo=photo, photo_name="equity_2024-05-06.png")
        assert h.front.channel.chats_for(AlertKind.DAILY_REPORT) == (GROUP, OWNER)
        await h.front.channel.send(alert, silent=True)
        text, picture = h.tg.sent_to(GROUP)
        assert text.raw.startswith("<b>Daily report 2024-05-06 [PAPER]</b>\nReport 2024-05-06, so far")
        assert "Trades 1" in text.text and "won" in text.text
        assert picture.method == "sendPhoto" and picture.photo == photo and photo.startswith(b"\x89PNG")
        assert picture.text == "Daily report 2024-05-06 [PAPER]" and picture.filename == "equity_2024-05-06.png"
        assert text.disable_notification and picture.disable_notification  # silent as asked
        assert [s.method for s in h.tg.sent_to(OWNER)[-2:]] == ["sendMessage", "sendPhoto"]


async def test_report_command_sends_the_equity_picture_in_the_group() -> None:
    async with running() as h:
        [picture, text] = await h.say(GROUP, 300, "/report", "group", n=2)
        assert picture.method == "sendPhoto" and picture.photo.startswith(b"\x89PNG")
        assert picture.text == "Report 2024-05-06, so far" and picture.filename.startswith("equity_today")
        assert text.text.startswith("Report 2024-05-06, so far") and "/" not in text.text.split("\n")[0]
        assert text.buttons == [("🔄 Refresh", "rf:report")]
        answer = await h.press(text, 300, "rf:report")
        assert answer["text"] in ("Updated.", "Already up to date.")
        assert len([s for s in h.tg.sent if s.method == "sendPhoto"]) == 1  # a refresh edits the text only
        [chart] = await h.say(GROUP, 300, "/chart ETH/USD 6", "group")
        assert chart.method == "sendPhoto" and chart.photo.startswith(b"\x89PNG")
        assert chart.text.startswith("Chart of ETH/USD, last 72 candles") and chart.text.endswith(".png\nPAPER · as of 2024-05-06 14:07 UTC")
        assert "/tmp" not in chart.text and str(h.settings.data_dir) not in chart.text


async def test_kill_switch_alert_is_loud() -> None:
    async with running() as h:
        h.tg.add_chat(OWNER)
        alert = _alert(AlertKind.KILL_SWITCH, "Kill switch TRIPPED [PAPER]",
                       "Daily loss 5.2% > 5.0% limit: no new trades until 00:00 UTC. <reset: /killswitch reset>",
                       h.clock.now())
        await h.front.channel.send(alert, silent=False)
        [sent] = h.tg.sent_to(OWNER)
        assert sent.text.startswith("Kill switch TRIPPED [PAPER]\nDaily loss 5.2%") and not sent.disable_notification
        assert "&lt;reset: /killswitch reset&gt;" in sent.raw  # escaped: Telegram would refuse a bare '<'


async def test_retry_after_is_honoured_and_delivered_once() -> None:
    async with running() as h:
        h.tg.add_chat(OWNER)
        h.expected_errors.append("Too Many Requests")
        h.tg.retry_after_next("sendMessage", 1)
        started = time.monotonic()
        await h.front.channel.send(_alert(AlertKind.FILL, "Filled", "buy 0.1 BTC/USD", h.clock.now()), silent=False)
        assert time.monotonic() - started >= 1.0
        assert [s.text for s in h.tg.sent_to(OWNER)] == ["Filled\nbuy 0.1 BTC/USD"]
        assert h.tg.calls["sendMessage"] == 2 and h.tg.errors == [("sendMessage", 429, "Too Many Requests: retry after 1")]
        h.tg.retry_after_next("sendMessage", 1)  # a chat reply is retried the same way
        [status] = await h.say(OWNER, OWNER, "/status", timeout=5)
        assert status.text.startswith("Mode PAPER") and len(h.tg.sent_to(OWNER)) == 2


async def test_a_10000_character_report_is_split_in_order() -> None:
    async with running() as h:
        h.tg.add_chat(GROUP, "group")
        h.tg.add_chat(OWNER)
        lines = [f"line {i:04d}: BTC/USD buy 0.01 @ 64,000.0 & fee <0.26> ✅ " + "." * 40 for i in range(110)]
        body = "\n".join(lines)
        assert len(body) >= 10_000
        await h.front.channel.send(_alert(AlertKind.DAILY_REPORT, "Long report", body, h.clock.now()), silent=True)
        parts = h.tg.sent_to(GROUP)
        assert len(parts) == 3 and all(p.disable_notification for p in parts)
        assert all(tg_len(p.raw) <= 4096 and tg_len(p.text) <= 4096 for p in parts)
        assert all(tg_len(p.raw) > 3900 for p in parts[:-1])  # full parts, cut at line ends
        assert parts[0].raw.startswith("<b>Long report</b>\nline 0000")
        numbers = [int(n) for p in parts for n in re.findall(r"line (\d{4})", p.text)]
        assert numbers == list(range(110))  # every line once, in order
        assert "\n".join(p.text for p in parts) == f"Long report\n{body}"


async def test_a_failing_chat_does_not_stop_the_others_and_a_retry_sends_only_what_is_missing() -> None:
    async with running() as h:
        h.tg.add_chat(OWNER)
        h.expected_errors.append("chat not found")
        channel = TelegramChannel(h.front.app.bot, {AlertKind.FILL: (-999, OWNER)})
        alert = _alert(AlertKind.FILL, "Filled", "sell 0.1 BTC/USD", h.clock.now())
        with pytest.raises(TelegramDeliveryError, match="-999") as failed:
            await channel.send(alert, silent=False)
        assert isinstance(failed.value, NotifyError) and not failed.value.retryable  # a refusal: final
        assert len(h.tg.sent_to(OWNER)) == 1  # the owner got it although the first chat failed
        h.tg.add_chat(-999, "group")  # the bot was added to the group: the fan-out retries
        await channel.send(alert, silent=False)
        assert len(h.tg.sent_to(OWNER)) == 1 and len(h.tg.sent_to(-999)) == 1  # no duplicate to the owner
        await channel.close()


async def test_flood_control_longer_than_we_wait_is_handed_back_as_retryable() -> None:
    async with running() as h:
        h.tg.add_chat(OWNER)
        h.expected_errors.append("Too Many Requests")
        h.tg.retry_after_next("sendMessage", 120)
        alert = _alert(AlertKind.BRACKET_EXIT, "Stop-loss hit", "sold 0.1 BTC/USD", h.clock.now())
        with pytest.raises(RetryableNotifyError) as later:
            await h.front.channel.send(alert, silent=False)  # not slept through: the fan-out decides
        assert later.value.retry_after == 120 and "flood control" in later.value.message
        assert h.tg.sent_to(OWNER) == []


async def test_a_channel_with_its_own_bot_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(telegram_alert_chats=f"{OWNER},{GROUP}") as h:
        h.tg.add_chat(OWNER)
        h.tg.add_chat(GROUP, "group")
        channel = TelegramChannel.from_settings(h.settings)  # no running app: it makes its own Bot
        try:
            await channel.send(_alert(AlertKind.AUTOPILOT_ERROR, "Autopilot error", "BTC/USD: feed timed out",
                                      h.clock.now()), silent=False)
        finally:
            await channel.close()
        assert {s.chat_id for s in h.tg.sent if s.text.startswith("Autopilot error")} == {OWNER, GROUP}


async def test_backtest_command_answers_with_its_equity_picture() -> None:
    async with running() as h:
        [result] = await h.say(OWNER, OWNER, "/backtest ETH/USD 4", timeout=30)
        assert result.method == "sendPhoto" and result.photo.startswith(b"\x89PNG")
        assert result.text.startswith("Backtest ETH/USD\nData: offline replay at its real dates: LTC/BTC")
        assert "2018-01-26 00:00 → 2018-01-30 04:55" in result.text
        [usage] = await h.say(OWNER, OWNER, "/backtest ETH/USD 400")
        assert "Usage: /backtest PAIR [DAYS]" in usage.text
