"""A running Zyn on Discord for tests: real discord.py against the gateway and REST stand-in, a real Agent on a
PAPER account (the service's own composition, the offline replay feed, a manual clock, SQLite per test).

(No __init__.py in this folder: a package named `discord` would shadow discord.py.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agent.agent import Agent
from bot.app import build_agent, build_gate
from bot.discord.client import DiscordFrontEnd
from bot.frontend import FrontEndContext
from bot.notify.fanout import Notifier
from bot.service import Runtime, build_runtime
from bot.settings import Settings, load_settings
from tests.standins.discord import DiscordStandin, Interaction, Msg
from trading.clock import ManualClock

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GZyn01.not-a-real-discord-token-0123456789"
OWNER, TRADER, MEMBER, STRANGER = 1001, 1002, 1003, 1004
GENERAL, ALERTS, REPORTS = 6001, 6002, 6003  # the stand-in guild's text channels
TRADER_ROLE, VIEWER_ROLE = 7001, 7002
NOW = datetime(2024, 5, 6, 14, 7, tzinfo=UTC)
ORDER_CONFIRMS = "place_order,place_bracket_order,cancel_order,flatten_all,cancel_all,kill_switch_reset"


@dataclass
class Harness:
    dc: DiscordStandin
    front: DiscordFrontEnd
    agent: Agent
    runtime: Runtime
    clock: ManualClock
    settings: Settings
    ctx: FrontEndContext
    notifier: Notifier | None = None

    @property
    def exchange(self) -> Any:
        return self.runtime.services.exchange

    async def orders(self) -> int:
        """Every order the paper account has (open and closed)."""
        return len(await self.exchange.fetch_open_orders()) + len(await self.exchange.fetch_closed_orders())

    async def slash(self, uid: int, name: str, values: dict[str, Any] | None = None, *, channel: int | None = GENERAL,
                    roles: tuple[int, ...] = (), timeout: float = 5.0) -> Msg:
        """A slash command and its (first) answer."""
        it = await self.dc.slash(uid, name, values, channel=channel, roles=roles)
        [answer, *_] = await self.dc.answer(it, timeout=timeout)
        return answer

    async def press(self, uid: int, message: Msg, custom_id: str, *, roles: tuple[int, ...] = (),
                    force: bool = False) -> Interaction:
        """Press a button and wait until the press is answered (an edit, a message or a defer + follow-up)."""
        it = await self.dc.press(uid, message, custom_id, roles=roles, force=force)
        await self.dc.wait_for(lambda: it.callbacks and (it.callbacks[0]["type"] != 6 or it.original or
                                                         it.followups))
        return it

    def assert_alive(self) -> None:
        assert self.front.alive, "the discord.py gateway task ended"


def button(message: Msg, label_part: str) -> str:
    """The custom id of the message's button whose label contains label_part."""
    return next(b["custom_id"] for b in message.buttons if label_part in b["label"])


@asynccontextmanager
async def running(*, with_notifier: bool = False, defer_after: float = 2.0, dc: DiscordStandin | None = None,
                  **overrides: Any) -> AsyncIterator[Harness]:
    """Start everything; stop it in any case; then check no REST call was refused unexpectedly."""
    clock = ManualClock(NOW)
    own = dc is None
    standin = dc or DiscordStandin(TOKEN)
    if own:
        await standin.__aenter__()
    try:
        values = {"discord_token": TOKEN, "discord_api_url": standin.url, "discord_gateway_url": standin.gateway_url,
                  "discord_owner_id": OWNER, "discord_allowed_ids": str(TRADER),
                  "discord_guild_ids": str(standin.guild_id), "discord_trader_roles": str(TRADER_ROLE),
                  "discord_viewer_roles": "viewers", "discord_alert_channels": str(ALERTS),
                  "discord_report_channels": str(REPORTS), "offline": True}
        settings = load_settings(**{**values, **overrides})
        runtime = build_runtime(settings, clock=clock)
        gate = build_gate(runtime.services)
        agent = build_agent(runtime.services, gate)
        notifier = None
        if with_notifier:
            notifier = Notifier(store=runtime.services.db, clock=clock, cooldown_seconds=0)
            notifier.attach(runtime.bus)
        front = DiscordFrontEnd(defer_after=defer_after, guild_ready_timeout=0.1)
        ctx = FrontEndContext(gate=gate, agent=agent, clock=clock, settings=settings, owner_name=settings.owner_name)
        harness = Harness(standin, front, agent, runtime, clock, settings, ctx, notifier=notifier)
        try:
            await front.start(ctx)
            channel = front.alert_channel() if notifier is not None else None
            if channel is not None:
                notifier.add_channel(channel)
            yield harness
            harness.assert_alive()
        finally:
            if notifier is not None:
                await notifier.close(timeout=5)
            elif front.channel is not None:
                await front.channel.close()
            await front.stop()
            await agent.close()
            await runtime.services.close()
        unexpected = [e for e in standin.errors if e[2] != 400 or "already been acknowledged" not in e[3]]
        assert unexpected == [], f"REST calls the stand-in refused: {unexpected}"
    finally:
        if own:
            await standin.__aexit__(None, None, None)
