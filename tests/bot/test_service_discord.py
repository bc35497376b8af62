"""The whole service as `make run` starts it with both chat tokens set: a chat order placed from Discord is
announced on Telegram and on Discord alike; Discord unreachable at start is retried, a refused token is not;
the token is in no output. Real discord.py and PTB against their stand-ins, on the offline replay feed."""

from __future__ import annotations

import io
import socket

import pytest
from rich.console import Console

from bot.service import Service, retry_job
from bot.settings import load_settings
from tests.standins.discord import DiscordStandin
from tests.standins.telegram import TelegramStandin

TG_TOKEN = "123456789:ZYN-service-test-token-0123456789abcdef"
DC_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GZyn02.service-test-discord-token-0123456789"
OWNER, DC_OWNER, ALERTS = 4242, 1001, 6002


def _discord_env(monkeypatch: pytest.MonkeyPatch, dc: DiscordStandin | None, *, api: str = "", gw: str = "") -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    monkeypatch.setenv("ZYN_DISCORD_TOKEN", DC_TOKEN)
    monkeypatch.setenv("ZYN_DISCORD_API_URL", api or (dc.url if dc else ""))
    monkeypatch.setenv("ZYN_DISCORD_GATEWAY_URL", gw or (dc.gateway_url if dc else ""))
    monkeypatch.setenv("ZYN_DISCORD_OWNER_ID", str(DC_OWNER))
    monkeypatch.setenv("ZYN_DISCORD_GUILD_IDS", "5000")
    monkeypatch.setenv("ZYN_DISCORD_ALERT_CHANNELS", str(ALERTS))


async def test_a_discord_order_is_announced_on_telegram_and_discord(monkeypatch: pytest.MonkeyPatch,
                                                                     capfd: pytest.CaptureFixture[str]) -> None:
    async with TelegramStandin(TG_TOKEN) as tg, DiscordStandin(DC_TOKEN) as dc:
        _discord_env(monkeypatch, dc)
        monkeypatch.setenv("ZYN_TELEGRAM_TOKEN", TG_TOKEN)
        monkeypatch.setenv("ZYN_TELEGRAM_API_URL", tg.url)
        monkeypatch.setenv("ZYN_TELEGRAM_OWNER_ID", str(OWNER))
        out = io.StringIO()
        service = Service(load_settings(), console=Console(file=out, width=160))
        await service.start()
        try:
            assert service.telegram is not None and service.discord is not None
            assert {c.name for c in service.notifier.channels} == {"telegram", "discord"}
            tg.push_command(OWNER, OWNER, "/status")  # the owner has talked to the bot on Telegram
            await tg.wait_for(lambda: tg.sent_to(OWNER), 10)
            await dc.say(DC_OWNER, "buy 0.001 btc")  # a DM to Zyn on Discord
            await dc.wait_for(lambda: any("BTC/USD market" in m.text() for m in dc.in_channel(DC_OWNER + 1)), 10)
            await service.rt.autopilot.watch_fills()  # what the 20-second job does
            await service.notifier.drain(10)
            assert any("0.001" in m.text and "BTC/USD" in m.text for m in tg.sent_to(OWNER))
            [alert] = dc.in_channel(ALERTS)
            assert "0.001" in alert.text() and "BTC/USD" in alert.text()
            # A late answer (how an order of unknown outcome ended) goes back to the DM or channel it was asked in.
            await service.discord.tell(str(DC_OWNER + 1), "Resolved: your buy 0.001 BTC/USD was placed")
            await service.discord.tell("6001", "Resolved: your sell 0.001 BTC/USD was not placed")
            assert dc.in_channel(DC_OWNER + 1)[-1].text() == "Resolved: your buy 0.001 BTC/USD was placed"
            assert dc.in_channel(6001)[-1].text() == "Resolved: your sell 0.001 BTC/USD was not placed"
        finally:
            await service.stop()
    text = out.getvalue() + "".join(capfd.readouterr())
    assert "Telegram ON · Discord ON" in text and "alerts: telegram, discord" in text
    assert DC_TOKEN not in text and TG_TOKEN not in text


async def test_discord_unreachable_is_retried_and_a_refused_token_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _discord_env(monkeypatch, None, api=f"http://127.0.0.1:{port}/api/v10", gw=f"ws://127.0.0.1:{port}/gateway")
    out = io.StringIO()
    service = Service(load_settings(), console=Console(file=out, width=160))
    await service.start()
    try:
        assert service.discord is None and service.scheduler.get_job(retry_job("discord")) is not None
        async with DiscordStandin(DC_TOKEN) as dc:
            monkeypatch.setenv("ZYN_DISCORD_API_URL", dc.url)
            monkeypatch.setenv("ZYN_DISCORD_GATEWAY_URL", dc.gateway_url)
            service.settings = load_settings()
            await service._start_front(next(f for f in service.front_ends if f.name == "discord"), retrying=True)
            assert service.discord is not None and service.scheduler.get_job(retry_job("discord")) is None
            await service.discord.stop()
            service.running.clear()
    finally:
        await service.stop()
    assert "retrying every minute" in out.getvalue() and "Discord is connected now" in out.getvalue()

    async with DiscordStandin("another-token-entirely") as dc:
        _discord_env(monkeypatch, dc)
        out = io.StringIO()
        service = Service(load_settings(), console=Console(file=out, width=160))
        await service.start()
        try:
            assert service.discord is None and service.scheduler.get_job(retry_job("discord")) is None
        finally:
            await service.stop()
    assert "Discord did not start (LoginFailure)" in out.getvalue() and DC_TOKEN not in out.getvalue()
