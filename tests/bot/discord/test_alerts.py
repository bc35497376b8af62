"""Alerts and reports on Discord: through the notifier to the configured channels as embeds with the PNG
attached (attachment://), silent as Discord's suppress-notifications flag, a 429 sat out for its retry_after;
and the gateway dropping the socket, the client resuming and still answering."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from bot.notify.base import Alert, AlertKind
from tests.bot.discord.harness import ALERTS, OWNER, REPORTS, running

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64
AT = datetime(2024, 5, 6, 21, 0, tzinfo=UTC)


async def test_an_alert_and_a_daily_report_with_its_chart_reach_their_channels() -> None:
    async with running(with_notifier=True) as h:
        fill = Alert(AlertKind.FILL, "Filled: buy 0.01 BTC/USD @ 64,250.5 [PAPER]", "Bought 0.01 BTC/USD", AT)
        result = await h.notifier.notify(fill)
        assert result.sent == ("discord",)
        [alert] = h.dc.in_channel(ALERTS)
        assert alert.embeds[0]["title"].startswith("Filled: buy 0.01 BTC/USD") and not alert.flags & 4096
        assert h.dc.in_channel(REPORTS) == []
        report = Alert(AlertKind.DAILY_REPORT, "Daily report 2024-05-06", "P&L +12.30 USD", AT, photo=PNG,
                       photo_name="equity.png")
        await h.notifier.notify(report)
        [daily] = h.dc.in_channel(REPORTS)
        assert daily.files == [("equity.png", PNG)] and daily.embeds[0]["image"]["url"] == "attachment://equity.png"
        assert len(h.dc.in_channel(ALERTS)) == 2  # the alert channels get the report too
        await h.front.channel.send(fill, silent=True)  # a retry of a delivered alert sends nothing again
        assert len(h.dc.in_channel(ALERTS)) == 2
        await h.front.channel.send(Alert(AlertKind.FILL, "Filled: sell", "Sold", AT), silent=True)
        assert h.dc.in_channel(ALERTS)[-1].flags & 4096  # suppress notifications


async def test_the_daily_report_goes_to_its_channels_once_with_the_equity_chart() -> None:
    from bot.reports import DailyReporter

    async with running(with_notifier=True, report_time="14:00") as h:
        reporter = DailyReporter(h.runtime.services.tools, h.notifier, h.clock, h.settings)
        await reporter.run_once(h.clock.now().date())
        await reporter.run_once(h.clock.now().date())  # a second run (a restart, another process): nothing
        [daily] = h.dc.in_channel(REPORTS)
        [(name, png)] = daily.files
        assert png.startswith(b"\x89PNG") and daily.embeds[0]["image"]["url"] == f"attachment://{name}"
        assert "2024-05-06" in daily.text() and "P&L" in daily.text()


async def test_a_429_on_a_send_is_honoured() -> None:
    async with running(with_notifier=True) as h:
        h.dc.rate_limit_next(f"/channels/{ALERTS}/messages", 0.4)
        started = time.monotonic()
        result = await h.notifier.notify(Alert(AlertKind.KILL_SWITCH, "Kill switch tripped", "Daily loss -3%", AT))
        [limited] = h.dc.rate_limited
        [alert] = h.dc.in_channel(ALERTS)
        assert result.sent == ("discord",) and alert.at - limited[1] >= 0.39 and time.monotonic() - started < 5
        h.dc.rate_limit_next(f"/channels/{ALERTS}/messages", 120)  # longer than we sit out: the fan-out decides
        try:
            await h.front.channel.send(Alert(AlertKind.FILL, "Filled", "x", AT), silent=False)
        except Exception as exc:  # noqa: BLE001
            assert exc.retryable and exc.retry_after == 120  # type: ignore[attr-defined]
        else:
            raise AssertionError("a long 429 must be handed back")


async def test_the_gateway_drops_the_socket_and_the_client_resumes() -> None:
    async with running() as h:
        await h.dc.drop()
        await h.dc.wait_for(lambda: h.dc.resumes == 1 and h.dc.connected, 10)
        assert h.dc.identifies == 1  # resumed, not a new session
        answer = await h.slash(OWNER, "status")
        assert "PAPER" in answer.text()
        h.assert_alive()


async def test_alerts_drained_after_the_front_end_stopped_still_reach_the_same_server() -> None:
    import discord.http

    async with running(with_notifier=True) as h:
        await h.front.stop()  # the service stops its front ends before the notifier drains
        assert discord.http.Route.BASE == "https://discord.com/api/v10"  # put back for the process
        result = await h.notifier.notify(Alert(AlertKind.FILL, "Filled late", "x", AT))
        assert result.sent == ("discord",) and len(h.dc.in_channel(ALERTS)) == 1  # the stand-in, not discord.com
        await h.front.start(h.ctx)
