"""A LIVE order of unknown outcome is answered in the chat where it was asked: the LIVE service with the Kraken
and Telegram stand-ins (real PTB polling), a trader who is not the owner (the owner's chat gets the alerts).
Its resolution arrives in the trader's own chat, once; resolved at start-up, before Telegram is up, it arrives
as soon as Telegram has started."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from rich.console import Console

from bot.service import Service
from bot.settings import load_settings
from memory import open_database
from tests.standins.kraken import KrakenStandin
from tests.standins.telegram import TelegramStandin
from tests.trading.exchange.conftest import KRAKEN_KEY, KRAKEN_SECRET
from trading.domain import Mode
from trading.exchange.kraken.unresolved import OrderIntentRecord

TOKEN = "123456789:ZYN-resolution-test-token-0123456789abcd"
OWNER, TRADER = 4242, 7777
RESOLVED = "Resolved: your buy 0.001 BTC/USD at market was placed (Kraken order"


# Kraken's pro counter (20, decaying 1/s): these tests time the order's lookups against Kraken booking it late, and
# the LIVE start-up (reconcile, start-up check) with the order's funds check spends the starter tier's 15 at 0.33/s,
# so the lookups would wait for the counter past the late booking. The counters have their own tests.
@pytest.fixture
async def stands(monkeypatch: pytest.MonkeyPatch):
    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET) as k, TelegramStandin(TOKEN) as tg:
        for name, value in {"ZYN_MODE": "live", "ZYN_LIVE_ACK": "1", "KRAKEN_API_URL": k.url, "ZYN_WEB": "0",
                            "KRAKEN_API_KEY": KRAKEN_KEY, "KRAKEN_API_SECRET": KRAKEN_SECRET,
                            "ZYN_TELEGRAM_TOKEN": TOKEN, "ZYN_TELEGRAM_API_URL": tg.url,
                            "ZYN_TELEGRAM_OWNER_ID": str(OWNER), "ZYN_TELEGRAM_ALLOWED_IDS": str(TRADER),
                            "ZYN_REQUEST_TIMEOUT": "0.3", "ZYN_KRAKEN_TIER": "pro"}.items():
            monkeypatch.setenv(name, value)
        # Today's daily report as already sent: a catch-up at start (when the wall clock is past the report time)
        # would spend the Kraken rate budget these tests time their lookups against.
        from bot.reports import KIND

        db = open_database(Mode.LIVE, load_settings().data_dir)
        now = datetime.now(UTC)
        for day in {now.date(), (now + timedelta(minutes=1)).date()}:
            db.claim_report(KIND, day, now, by="test")
        db.close()
        yield k, tg


def _texts(tg: TelegramStandin, chat: int) -> list[str]:
    return [m.text for m in tg.sent_to(chat)]


async def test_the_asker_gets_the_resolution_in_their_own_chat(stands) -> None:
    k, tg = stands
    tg.add_chat(OWNER)  # the owner's private chat: where the alerts go
    service = Service(load_settings(), console=Console(file=io.StringIO(), width=200))
    await service.start()
    try:
        ex = service.rt.services.exchange
        ex._retries, ex._lookup_grace = 0, 0.05  # no re-send, quick lookups: "unknown" in well under a second
        tg.push_text(TRADER, TRADER, "buy 0.001 btc")
        ask = await tg.wait_for(lambda: next((m for m in tg.sent_to(TRADER) if m.buttons), None), 10)
        confirm = next(data for label, data in ask.buttons if data.startswith("cf:"))
        k.book_late_next("AddOrder", 1.0)  # past the client's timeout and lookups, then Kraken books it
        tg.press(TRADER, TRADER, ask.message_id, confirm)
        await tg.wait_for(lambda: any("Outcome unknown: Zyn is checking" in t for t in _texts(tg, TRADER)), 10)
        assert not any(RESOLVED in t for t in _texts(tg, TRADER))
        await tg.wait_for(lambda: k.orders, 10)  # booked now
        (intent,) = service.rt.services.db.unresolved_orders()
        assert intent.reply_to == f"telegram:{TRADER}"

        await service._settle_unresolved()  # what the one-minute job runs
        await tg.wait_for(lambda: any(t.startswith(RESOLVED) for t in _texts(tg, TRADER)), 10)
        (txid,) = k.orders
        (reply,) = [t for t in _texts(tg, TRADER) if t.startswith("Resolved:")]
        assert txid in reply and intent.client_id in reply
        await service.notifier.drain(10)  # the owner's alert is kept too
        assert any("Order placed after all" in t and txid in t for t in _texts(tg, OWNER))
        assert not any(t.startswith("Resolved:") for t in _texts(tg, OWNER))  # the reply is the asker's alone

        await service._settle_unresolved()  # settled and told: never sent again
        assert sum(t.startswith("Resolved:") for t in _texts(tg, TRADER)) == 1
        assert service.rt.services.db.unresolved_orders(None)[0].told_at is not None
    finally:
        await service.stop()


async def test_resolved_at_start_up_it_is_told_once_telegram_is_up(stands) -> None:
    k, tg = stands
    tg.add_chat(TRADER)  # the trader's private chat with the bot (they asked there during the previous run)
    settings = load_settings()
    k.orders["OAAAAA-BBBBB-CCCCCC"] = k._new_order("XXBTZUSD", "buy", "market", D("0.001"), None, "intent-9", {})
    k._fill("OAAAAA-BBBBB-CCCCCC", D("70000"))
    db = open_database(Mode.LIVE, settings.data_dir)
    db.record_unresolved(OrderIntentRecord(client_id="intent-9", symbol="BTC/USD", side="buy", order_type="market",
                                           amount="0.001", asked_by=f"telegram:{TRADER}", reply_to=f"telegram:{TRADER}",
                                           asked_at=datetime.now(UTC) - timedelta(minutes=3)))
    db.close()
    service = Service(settings, console=Console(file=io.StringIO(), width=200))
    await service.start()  # settles it before the front ends start; tells the trader once Telegram runs
    try:
        await tg.wait_for(lambda: any(t.startswith(RESOLVED) for t in _texts(tg, TRADER)), 10)
        (reply,) = [t for t in _texts(tg, TRADER) if t.startswith("Resolved:")]
        assert "OAAAAA-BBBBB-CCCCCC" in reply and "intent-9" in reply
        await service._settle_unresolved()
        assert sum(t.startswith("Resolved:") for t in _texts(tg, TRADER)) == 1
    finally:
        await service.stop()
