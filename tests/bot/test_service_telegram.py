"""The whole service as `make run` starts it, with a Telegram token: the bot answers, a chat order's fill is
pushed as an alert by the fill watcher, and the daily report job is scheduled; all through real PTB polling
the Bot API stand-in, on the offline replay feed."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from bot.scheduler import AUTOPILOT_JOB, FILL_WATCH_JOB
from bot.service import Service
from bot.settings import load_settings
from tests.standins.telegram import TelegramStandin

TOKEN = "123456789:ZYN-service-test-token-0123456789abcdef"
OWNER = 4242


async def test_make_run_with_a_token_starts_telegram_alerts_and_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    async with TelegramStandin(TOKEN) as tg:
        monkeypatch.setenv("ZYN_OFFLINE", "1")
        monkeypatch.setenv("ZYN_TELEGRAM_TOKEN", TOKEN)
        monkeypatch.setenv("ZYN_TELEGRAM_API_URL", tg.url)
        monkeypatch.setenv("ZYN_TELEGRAM_OWNER_ID", str(OWNER))
        out = io.StringIO()
        service = Service(load_settings(), console=Console(file=out, width=160))
        await service.start()
        try:
            assert service.telegram is not None
            assert {c.name for c in service.notifier.channels} == {"telegram"}
            ids = {j.id for j in service.scheduler.get_jobs()}
            assert {AUTOPILOT_JOB, FILL_WATCH_JOB, "daily_report"} <= ids

            tg.push_command(OWNER, OWNER, "/status")
            await tg.wait_for(lambda: any("PAPER" in m.text for m in tg.sent_to(OWNER)), 10)

            tg.push_text(OWNER, OWNER, "buy 0.001 btc")
            await tg.wait_for(lambda: any("BTC/USD market" in m.text for m in tg.sent_to(OWNER)), 10)
            before = len(tg.sent_to(OWNER))
            await service.rt.autopilot.watch_fills()  # what the 20-second job does
            await service.notifier.drain(10)
            alerts = tg.sent_to(OWNER)[before:]
            assert any("0.001" in m.text and "BTC/USD" in m.text for m in alerts), [m.text for m in alerts]

            # Closing it: the sell's alert carries its realised P&L (after both fees).
            tg.push_text(OWNER, OWNER, "sell 0.001 btc")
            await tg.wait_for(lambda: sum("BTC/USD market" in m.text for m in tg.sent_to(OWNER)) >= 2, 10)
            before = len(tg.sent_to(OWNER))
            await service.rt.autopilot.watch_fills()
            await service.notifier.drain(10)
            [sold] = [m for m in tg.sent_to(OWNER)[before:] if "sell" in m.text.lower() or "sold" in m.text.lower()]
            assert "P&amp;L -" in sold.text or "P&L -" in sold.text, sold.text  # spread and fees: a small loss
        finally:
            await service.stop()
    text = out.getvalue()
    assert "Telegram ON" in text and "alerts: telegram" in text and "stopped cleanly" in text
    assert TOKEN not in text


async def test_telegram_down_at_start_is_retried_until_it_connects(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.service import retry_job

    async with TelegramStandin(TOKEN) as tg:
        monkeypatch.setenv("ZYN_OFFLINE", "1")
        monkeypatch.setenv("ZYN_TELEGRAM_TOKEN", TOKEN)
        monkeypatch.setenv("ZYN_TELEGRAM_API_URL", tg.url)
        monkeypatch.setenv("ZYN_TELEGRAM_OWNER_ID", str(OWNER))
        tg.retry_after_next("getMe", 30)  # Telegram busy at boot: the first connection is refused
        out = io.StringIO()
        service = Service(load_settings(), console=Console(file=out, width=160))
        await service.start()
        try:
            assert service.telegram is None and service.scheduler.get_job(retry_job("telegram")) is not None
            assert "daily_report" in {j.id for j in service.scheduler.get_jobs()}  # reports wait for Telegram
            telegram = next(f for f in service.front_ends if f.name == "telegram")
            await service._start_front(telegram, retrying=True)  # what the one-minute retry job runs
            assert service.telegram is not None and service.scheduler.get_job(retry_job("telegram")) is None
            tg.push_command(OWNER, OWNER, "/status")
            await tg.wait_for(lambda: any("PAPER" in m.text for m in tg.sent_to(OWNER)), 10)
        finally:
            await service.stop()
    assert "retrying every minute" in out.getvalue() and "Telegram is connected now" in out.getvalue()
