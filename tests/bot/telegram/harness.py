"""A running Zyn on Telegram for tests: real PTB polling the Bot API stand-in, a real Agent on a PAPER account.

The account is the service's own composition (bot.service.build_runtime) with the offline replay feed on a
manual clock and a SQLite database in the test's folder; the agent is the offline intent engine (no model).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from agent.agent import Agent
from bot.app import build_agent, build_gate
from bot.frontend import FrontEndContext
from bot.notify.fanout import Notifier
from bot.service import Runtime, build_runtime
from bot.settings import Settings, load_settings
from bot.telegram.app import TelegramFrontEnd
from bot.web.auth import login_message
from tests.standins.telegram import Sent, TelegramStandin
from trading.clock import ManualClock

TOKEN = "123456789:ZYN-test-token-not-a-real-one-0123456789"
OWNER, TRADER, MEMBER, STRANGER = 100, 200, 300, 400
GROUP, OTHER_GROUP = -1001, -2002
NOW = datetime(2024, 5, 6, 14, 7, tzinfo=UTC)
ORDER_CONFIRMS = "place_order,place_bracket_order,cancel_order,flatten_all,cancel_all,kill_switch_reset"


@dataclass
class Harness:
    tg: TelegramStandin
    front: TelegramFrontEnd
    agent: Agent
    runtime: Runtime
    clock: ManualClock
    settings: Settings
    expected_errors: list[str] = field(default_factory=list)  # substrings of stand-in errors a test provokes
    notifier: Notifier | None = None

    @property
    def exchange(self) -> Any:
        return self.runtime.services.exchange

    async def orders(self) -> int:
        """Every order the paper account has (open and closed)."""
        return len(await self.exchange.fetch_open_orders()) + len(await self.exchange.fetch_closed_orders())

    async def say(self, chat_id: int, user_id: int, text: str, chat_type: str = "private", n: int = 1,
                  timeout: float = 5.0, reply_to: int | None = None) -> list[Sent]:
        """Push a message and wait for n new bot messages in that chat; returns them."""
        before = len(self.tg.sent_to(chat_id))
        self.tg.push_text(chat_id, user_id, text, chat_type, reply_to=reply_to)
        await self.tg.wait_for(lambda: len(self.tg.sent_to(chat_id)) >= before + n, timeout)
        return self.tg.sent_to(chat_id)[before:]

    async def press(self, sent: Sent, user_id: int, data: str, *, force: bool = False) -> dict[str, Any]:
        """Press a button of a bot message and wait for the answer to the callback query."""
        qid = self.tg.press(sent.chat_id, user_id, sent.message_id, data, force=force)
        return await self.tg.wait_for(lambda: self.tg.answered_callbacks.get(qid))

    async def quiet(self, chat_id: int, seconds: float = 0.3) -> int:
        """How many bot messages a chat got over a short wait (for 'nothing more was sent')."""
        import asyncio

        before = len(self.tg.sent_to(chat_id))
        await asyncio.sleep(seconds)
        return len(self.tg.sent_to(chat_id)) - before


@asynccontextmanager
async def running(*, with_notifier: bool = False, **overrides: Any) -> AsyncIterator[Harness]:
    """Start everything (with the alert fan-out on the event bus, if asked); stop it in any case; then check
    every callback was answered and no Bot API call was refused unexpectedly."""
    clock = ManualClock(NOW)
    async with TelegramStandin(TOKEN) as tg:
        values = {"telegram_token": TOKEN, "telegram_api_url": tg.url, "telegram_owner_id": OWNER,
                  "telegram_allowed_ids": str(TRADER), "telegram_report_chats": str(GROUP), "offline": True}
        settings = load_settings(**{**values, **overrides})
        runtime = build_runtime(settings, clock=clock)
        gate = build_gate(runtime.services)
        agent = build_agent(runtime.services, gate)
        notifier = None
        if with_notifier:  # as bot/service.py wires it
            notifier = Notifier(store=runtime.services.db, clock=clock, cooldown_seconds=0)
            notifier.attach(runtime.bus)
        front = TelegramFrontEnd(poll_timeout=1)
        harness = Harness(tg, front, agent, runtime, clock, settings, notifier=notifier)
        try:
            await front.start(FrontEndContext(gate=gate, agent=agent, clock=clock, settings=settings,
                                              owner_name=settings.owner_name,
                                              web_login=lambda: login_message(settings, runtime.services.db, clock)))
            channel = front.alert_channel() if notifier is not None else None
            if channel is not None:  # as bot/service.py hands it over
                notifier.add_channel(channel)
            yield harness
        finally:
            if notifier is not None:
                await notifier.close(timeout=5)
            await front.stop()
            await agent.close()
            await runtime.services.close()
        assert tg.unanswered() == [], "every button press is answered"
        unexpected = [e for e in tg.errors if not any(x in e[2] for x in harness.expected_errors)]
        assert unexpected == [], f"Bot API calls the stand-in refused: {unexpected}"
