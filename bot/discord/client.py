"""The Discord front end in the service's event loop: a discord.py Client whose setup_hook builds the app
commands from the command layer, registers the persistent buttons and syncs (to ZYN_DISCORD_GUILD_IDS at once,
else globally); start() logs in and runs the gateway connection as a task; stop() closes it.

ZYN_DISCORD_API_URL and ZYN_DISCORD_GATEWAY_URL point discord.py elsewhere (a proxy, a test stand-in). The
library keeps both as class attributes (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY), so they apply to the
process; start() sets them and stop() puts back what was there.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands
from loguru import logger

from bot.commands.catalog import COMMANDS
from bot.discord.channel import DiscordChannel
from bot.discord.handlers import DEFER_AFTER, Handlers, access_from_settings, answer_failure, describe
from bot.discord.tree import PairCompleter, build_commands
from bot.discord.views import PREFIX, ZynButton, buttons_on
from bot.frontend import FrontEndContext
from bot.notify.base import AlertKind
from trading.errors import ConfigError

_log = logger.bind(component="discord")
READY_WITHIN = 30.0  # seconds for the gateway's READY after login
CONNECTIONS = 100  # REST connections at once (8: a burst queues; unlimited: set-ups dominate; bench_discord.py)


class ZynClient(discord.Client):
    """discord.py's Client with Zyn's command tree, buttons and message handler."""

    def __init__(self, handlers: Handlers, completer: PairCompleter, settings: Any, *,
                 guild_ready_timeout: float = 2.0) -> None:
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False  # Zyn has no voice: no warning
        intents = discord.Intents.default()
        intents.message_content = True  # free text in channels (DMs and mentions carry their content anyway)
        # discord.py's default connector opens a new connection for every concurrent request (no limit); a
        # burst of interactions then spends its time on connection set-ups (bench/bench_discord.py).
        connector = aiohttp.TCPConnector(limit=CONNECTIONS)
        super().__init__(intents=intents, guild_ready_timeout=guild_ready_timeout, max_ratelimit_timeout=30.0,
                         enable_debug_events=False, connector=connector)
        self.handlers = handlers
        self.completer = completer
        self.settings = settings
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        self.synced: list[str] = []

    async def setup_hook(self) -> None:
        """Async start-up (runs inside login): commands, persistent buttons, the sync."""
        self.add_dynamic_items(ZynButton)
        unknown = sorted(self.settings.discord_disabled - {*COMMANDS, "panel"})
        if unknown:
            _log.warning("ZYN_DISCORD_DISABLED_COMMANDS names no command: {}", ", ".join(unknown))
        for command in build_commands(self.handlers.run_command, self.completer,
                                      disabled=self.settings.discord_disabled, panel=self.handlers.panel):
            self.tree.add_command(command)
        guilds = self.settings.discord_guilds
        if guilds:
            for gid in guilds:
                guild = discord.Object(gid)
                self.tree.copy_global_to(guild=guild)
                self.synced = [c.name for c in await self.tree.sync(guild=guild)]
        else:
            self.synced = [c.name for c in await self.tree.sync()]

    async def on_message(self, message: discord.Message) -> None:
        if self.user is None:
            return
        try:
            await self.handlers.on_message(message, self.user)
        except Exception as exc:  # noqa: BLE001 - one message must not stop the bot
            _log.error("a message could not be handled: {}", describe(exc))
            with suppress(discord.HTTPException):
                await message.channel.send("Something went wrong on my side. Check /orders and /status.")

    async def on_zyn_press(self, interaction: discord.Interaction, data: str) -> None:
        try:
            await self.handlers.on_press(interaction, data)
        except Exception as exc:  # noqa: BLE001 - answered and logged, never raised into discord.py
            await answer_failure(interaction, exc)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A press whose custom id Zyn never makes, or that is not on the pressed message (a forged client):
        discord.py drops those without an answer, so they are answered as stale here."""
        if interaction.type is discord.InteractionType.component:
            custom_id = str((interaction.data or {}).get("custom_id", ""))
            on_message = {f"{PREFIX}{d}" for d, _, _ in buttons_on(interaction.message, enabled_only=False)}
            if not ZynButton.__discord_ui_compiled_template__.fullmatch(custom_id) or custom_id not in on_message:
                await self.handlers.stale(interaction)

    async def _on_tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.TransformerError | app_commands.CommandSignatureMismatch):
            await self.handlers.bad_options(interaction, "That option does not fit")
            return
        if isinstance(error, app_commands.CommandNotFound):  # disabled here, or an old client's command list
            await self.handlers.unavailable(interaction)
            return
        await answer_failure(interaction, error)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """An event handler failed: one log line, no traceback (discord.py would print one)."""
        import sys

        exc = sys.exc_info()[1]
        _log.error("Discord event {} failed: {}", event_method, describe(exc) if exc else "?")


class DiscordFrontEnd:
    """Zyn on Discord, a FrontEnd (bot/frontend.py): start(ctx) in the service's loop, stop() on shutdown."""

    name = "discord"

    def __init__(self, *, defer_after: float = DEFER_AFTER, guild_ready_timeout: float = 0.5) -> None:
        self.defer_after = defer_after
        self.guild_ready_timeout = guild_ready_timeout
        self.client: ZynClient | None = None
        self.handlers: Handlers | None = None
        self.channel: DiscordChannel | None = None
        self._task: asyncio.Task[None] | None = None
        self._saved: tuple[str, yarl.URL] | None = None

    async def start(self, ctx: FrontEndContext) -> None:
        """Log in (a refused token raises LoginFailure), sync the commands, connect to the gateway."""
        if self.client is not None:
            raise RuntimeError("the Discord front end is already running")
        settings = ctx.settings
        if settings.discord_token is None:
            raise ConfigError("Discord needs ZYN_DISCORD_TOKEN (Developer Portal > Bot)")
        self._point(settings)
        self.handlers = Handlers(ctx.desk(access_from_settings(settings)), settings, defer_after=self.defer_after)
        completer = PairCompleter(_markets(ctx))
        client = ZynClient(self.handlers, completer, settings, guild_ready_timeout=self.guild_ready_timeout)
        try:
            await client.login(settings.discord_token.get_secret_value())
            task = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
            ready = asyncio.create_task(client.wait_until_ready())
            done, _ = await asyncio.wait({task, ready}, timeout=READY_WITHIN, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                ready.cancel()
                task.result()  # raises why the gateway connection ended
                raise ConnectionError("the Discord gateway closed at start")
            if ready not in done:
                ready.cancel()
                task.cancel()
                raise TimeoutError("no READY from the Discord gateway")
        except BaseException:
            await client.close()
            self._restore()
            raise
        self.client, self._task = client, task
        self.channel = DiscordChannel.from_settings(settings)
        _log.info("Discord bot {} connected ({} commands synced{}; owner {}, {} allowlisted)", client.user,
                  len(client.synced), f" to {len(settings.discord_guilds)} guild(s)" if settings.discord_guilds
                  else " globally", "set" if settings.discord_owner_id else "NOT set", len(settings.discord_allowed))

    def _point(self, settings: Any) -> None:
        self._saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        if settings.discord_api_url:
            discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
        if settings.discord_gateway_url:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)

    def _restore(self) -> None:
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None

    async def tell(self, chat_id: str, text: str) -> None:
        """A message of Zyn's own to one channel or DM (a late answer to someone who asked there); raises if not sent."""
        client = self.client
        if client is None:
            raise RuntimeError("the Discord front end is not running")
        await client.get_partial_messageable(int(chat_id)).send(text[:2000])  # no lookup: a channel or a DM

    def alert_channel(self) -> DiscordChannel | None:
        """The alert channel, once started, if any Discord channel is set up for alerts or reports."""
        channel = self.channel
        if channel is None or not (channel.chats_for(AlertKind.FILL) or channel.chats_for(AlertKind.DAILY_REPORT)):
            if channel is not None:
                _log.warning("no Discord channel for alerts: set ZYN_DISCORD_ALERT_CHANNELS")
            return None
        return channel

    def commands(self) -> list[str]:
        """The published command names."""
        return list(self.client.synced) if self.client else [n for n in COMMANDS]

    def retryable(self, exc: BaseException) -> bool:
        """Network trouble is retried; a token Discord refuses (or a missing intent) is not."""
        return not isinstance(exc, discord.LoginFailure | discord.PrivilegedIntentsRequired | ConfigError)

    @property
    def alive(self) -> bool:
        """The gateway task is running (a parse error would end it silently)."""
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Close the gateway and REST connections."""
        client, self.client = self.client, None
        if client is None:
            return
        try:
            await client.close()
            if self._task is not None:
                with suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(self._task, 5)
        finally:
            self._task = None
            self._restore()
        _log.info("Discord bot stopped")


def _markets(ctx: FrontEndContext) -> Any:
    async def markets() -> list[str]:
        return list(await ctx.gate.ctx.exchange.load_markets())
    return markets
