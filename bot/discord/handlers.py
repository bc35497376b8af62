"""Discord handlers: they only turn interactions and messages into desk calls (bot/commands/desk.py) and render
the answers. Slash commands, button presses and free text; every person checked by the shared access rules
(with guild roles mapped to trader or viewer); work that may take longer than DEFER_AFTER is deferred and
followed up (Discord allows 3 s for the first answer). Balances, positions, orders and P&L asked in a guild
channel are answered ephemerally (only the asker sees them); a bad option gets its usage line, ephemerally.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from contextlib import suppress
from typing import Any, TypeVar

import discord
from loguru import logger

from bot.access import Access, Verdict
from bot.commands.catalog import COMMANDS
from bot.commands.desk import STALE, Answer, Desk, Press
from bot.discord.render import answer_message, clip, edited_embed, photo_files
from bot.discord.tree import PANEL_DESCRIPTION, PRIVATE
from bot.discord.views import buttons_on, disabled_copy, view_of
from tools.gate import Role

_log = logger.bind(component="discord")
T = TypeVar("T")
DEFER_AFTER = 1.5  # seconds of work before an interaction is deferred (Discord allows 3 s from the event)
OOPS = "Something went wrong on my side. Check /orders and /status before trying again."
NOT_FOR_YOU = "Sorry, Zyn is private here; nothing was done."
# Tools whose answers show the account: free text asking for them in a guild is answered by direct message.
PRIVATE_TOOLS = frozenset({"get_balances", "get_positions", "list_open_orders", "trade_history",
                           "performance_report", "get_portfolio"})


def access_from_settings(settings: Any) -> Access:
    """Discord's roles: owner id, allowed ids; people in the alert, report and chat channels read."""
    channels = (*settings.discord_alert_channel_ids, *settings.discord_report_channel_ids,
                *settings.discord_chat_channel_ids)
    return Access("discord", settings.discord_owner_id, settings.discord_allowed, channels)


class Handlers:
    """What Zyn does on Discord; the client (bot/discord/client.py) calls these."""

    def __init__(self, desk: Desk, settings: Any, *, defer_after: float = DEFER_AFTER) -> None:
        self.desk = desk
        self.access = desk.access
        self.defer_after = defer_after
        self.traders = settings.roles_of(settings.discord_trader_roles)
        self.viewers = settings.roles_of(settings.discord_viewer_roles)
        self.chat_channels = frozenset(settings.discord_chat_channel_ids)
        self.mode = desk.gate.mode.value

    # --- who ----------------------------------------------------------------------------------------------
    def check(self, who: discord.abc.User, channel_id: int, in_guild: bool, what: str) -> Verdict:
        """The caller behind a Discord user here (guild roles mapped to trader or viewer), or a logged refusal."""
        if who.bot:
            return Verdict(None, "a bot")
        extra = None
        if isinstance(who, discord.Member):
            names = {str(r.id) for r in who.roles} | {r.name.lower() for r in who.roles}
            extra = Role.TRADER if names & self.traders else Role.VIEWER if names & self.viewers else None
        return self.access.check(who.id, channel_id, in_group=in_guild, name=who.display_name, what=what,
                                 extra=extra)

    def _verdict(self, interaction: discord.Interaction, what: str) -> Verdict:
        return self.check(interaction.user, interaction.channel_id or 0, interaction.guild_id is not None, what)

    # --- slash commands -----------------------------------------------------------------------------------
    async def run_command(self, interaction: discord.Interaction, name: str, values: dict[str, Any],
                          public: bool = False) -> None:
        """A slash command with typed options: the desk's answer as an embed (deferred when it takes long).

        In a guild, account answers are ephemeral unless asked public; usage lines and refusals always are."""
        verdict = self._verdict(interaction, f"/{name}")
        if verdict.caller is None:
            await interaction.response.send_message(verdict.say or NOT_FOR_YOU, ephemeral=True)
            return
        private = interaction.guild_id is not None and name in PRIVATE and not public
        raw = {k: (v.value if isinstance(v, discord.app_commands.Choice) else v) for k, v in values.items()}
        answer, deferred = await self._within(interaction, self.desk.command(verdict.caller, name, values=raw),
                                              ephemeral=private)
        quiet = answer.usage or (answer.reply is None and interaction.guild_id is not None)  # usage, refusal, help
        await self._reply(interaction, answer, title=COMMANDS[name].description, deferred=deferred,
                          ephemeral=private or quiet)

    async def panel(self, interaction: discord.Interaction) -> None:
        """/panel: the owner's control panel message."""
        verdict = self._verdict(interaction, "/panel")
        if verdict.caller is None:
            await interaction.response.send_message(verdict.say or NOT_FOR_YOU, ephemeral=True)
            return
        answer, deferred = await self._within(interaction, self.desk.panel(verdict.caller), ephemeral=False)
        await self._reply(interaction, answer, title=PANEL_DESCRIPTION, deferred=deferred,
                          ephemeral=answer.rows is None)

    async def bad_options(self, interaction: discord.Interaction, why: str) -> None:
        """Options discord.py could not read (a value out of range): the usage line, only to the asker."""
        name = interaction.command.name if interaction.command else ""
        _log.info("bad options for /{} from user {}: {}", name[:20], interaction.user.id, why[:100])
        text = f"{why}\nUsage: {COMMANDS[name].usage}" if name in COMMANDS else why
        if interaction.response.is_done():
            await interaction.followup.send(clip(text, 2000), ephemeral=True)
        else:
            await interaction.response.send_message(clip(text, 2000), ephemeral=True)

    async def unavailable(self, interaction: discord.Interaction) -> None:
        """A command Zyn does not publish here (ZYN_DISCORD_DISABLED_COMMANDS): refused, logged."""
        name = str((interaction.data or {}).get("name", "?"))[:32]
        self.access.refused(interaction.user.id, interaction.channel_id or 0, f"/{name}", "not available here")
        await interaction.response.send_message(f"/{name} is not available here.", ephemeral=True)

    async def _within(self, interaction: discord.Interaction, work: Awaitable[T], *, ephemeral: bool,
                      update: bool = False) -> tuple[T, bool]:
        """The work's result, deferring the interaction first when it runs longer than defer_after."""
        task = asyncio.ensure_future(work)
        if self.defer_after > 0:  # 0: always defer (a slow link, say)
            done, _ = await asyncio.wait({task}, timeout=self.defer_after)
            if done:
                return task.result(), False
        if update:
            await interaction.response.defer()
        else:
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        return await task, True

    async def _reply(self, interaction: discord.Interaction, answer: Answer, *, title: str, deferred: bool,
                     ephemeral: bool) -> None:
        kwargs = answer_message(answer, title=title, mode=self.mode, now=self.desk.clock.now())
        if deferred or interaction.response.is_done():
            await interaction.followup.send(**kwargs, ephemeral=ephemeral)
        else:
            await interaction.response.send_message(**kwargs, ephemeral=ephemeral)

    # --- buttons ------------------------------------------------------------------------------------------
    async def on_press(self, interaction: discord.Interaction, data: str) -> None:
        """A button press: the presser is checked by the desk (and must be the asker for Confirm/Cancel)."""
        verdict = self._verdict(interaction, f"button {data[:3]}")
        if verdict.caller is None:
            await interaction.response.send_message("Sorry, these buttons are not for you.", ephemeral=True)
            return
        message = interaction.message
        on_message = {d for d, _, _ in buttons_on(message)}
        original = (message.embeds[0].description if message and message.embeds else None) or \
            (message.content if message else "") or ""
        press, deferred = await self._within(
            interaction, self.desk.press(verdict.caller, data, on_message, original), ephemeral=True, update=True)
        outcome = None
        if data[:3] in ("cf:", "cx:") and press.text is not None:  # a decided confirmation changes colour
            outcome = "pending" if press.rows else "failed" if press.alert else \
                "done" if data.startswith("cf:") else "dropped"  # pending: the price moved, asked again
        await self._show_press(interaction, press, deferred, outcome)

    async def _show_press(self, interaction: discord.Interaction, press: Press, deferred: bool,
                          outcome: str | None = None) -> None:
        message = interaction.message
        edit = (press.text is not None or press.remove_buttons) and press.answer is None
        if edit and message is not None:
            view = view_of(press.rows) if press.text is not None and press.rows else disabled_copy(message)
            kwargs: dict[str, Any] = {"view": view}
            if press.text is not None:
                embed = edited_embed(message, press.text, outcome)
                kwargs.update({"embed": embed} if embed is not None else {"content": clip(press.text, 2000)})
            if deferred:
                await interaction.edit_original_response(**kwargs)
            else:
                await interaction.response.edit_message(**kwargs)
            if press.alert:
                await interaction.followup.send(clip(press.toast, 2000), ephemeral=True)
        elif press.answer is not None:
            ephemeral = interaction.guild_id is not None
            kwargs = answer_message(press.answer, title=PANEL_DESCRIPTION, mode=self.mode, now=self.desk.clock.now())
            if deferred:
                await interaction.followup.send(**kwargs, ephemeral=ephemeral)
            else:
                await interaction.response.send_message(**kwargs, ephemeral=ephemeral)
            if press.text is not None and message is not None:  # the panel, with the state after the action
                embed = edited_embed(message, press.text)
                with suppress(discord.HTTPException):
                    await message.edit(embed=embed, view=view_of(press.rows))
        elif deferred:
            await interaction.followup.send(clip(press.toast, 2000), ephemeral=True)
        else:
            await interaction.response.send_message(clip(press.toast, 2000), ephemeral=True)
        if press.photos:
            await interaction.followup.send(files=photo_files(press.photos), ephemeral=interaction.guild_id is not None)

    async def stale(self, interaction: discord.Interaction) -> None:
        """A component Zyn did not make (a forged custom id): refused, answered."""
        _log.info("unknown component from user {} in channel {}", interaction.user.id, interaction.channel_id)
        await interaction.response.send_message(STALE, ephemeral=True)

    # --- free text ----------------------------------------------------------------------------------------
    async def on_message(self, message: discord.Message, me: discord.ClientUser) -> None:
        """DMs, mentions of Zyn and messages in chat channels go to the agent; "typing…" while it works."""
        if message.author.bot or not message.content:
            return
        dm = message.guild is None
        mentioned = any(u.id == me.id for u in message.mentions)
        if not dm and not mentioned and message.channel.id not in self.chat_channels:
            return
        text = re.sub(rf"<@!?{me.id}>", "", message.content).strip()
        verdict = self.check(message.author, message.channel.id, not dm, "a message")
        if verdict.caller is None:
            if verdict.say:
                await message.channel.send(verdict.say)
            return
        async with message.channel.typing():
            answer = await self.desk.text(verdict.caller, text)
        kwargs = answer_message(answer, title="Zyn", mode=self.mode, now=self.desk.clock.now())
        if not dm and _private(answer):
            await message.author.send(**kwargs)
            await message.channel.send("I sent you the answer privately.", reference=message,
                                       mention_author=False)
            return
        await message.channel.send(**kwargs, reference=None if dm else message, mention_author=False)


def _private(answer: Answer) -> bool:
    outcomes = answer.reply.outcomes if answer.reply else []
    return any(o.call.name in PRIVATE_TOOLS for o in outcomes)


def describe(exc: BaseException) -> str:
    """One safe line for the log: the error's type and first line (never a traceback)."""
    text = str(getattr(exc, "original", None) or exc).splitlines()
    return f"{type(exc).__name__}: {text[0][:200] if text else ''}"


async def answer_failure(interaction: discord.Interaction, exc: BaseException) -> None:
    """A command that failed: logged as one line, the person told briefly (ephemerally)."""
    _log.error("interaction failed: {}", describe(exc))
    try:
        if interaction.response.is_done():
            await interaction.followup.send(OOPS, ephemeral=True)
        else:
            await interaction.response.send_message(OOPS, ephemeral=True)
    except Exception as err:  # noqa: BLE001 - shutting down, or Discord unreachable: the log has it
        _log.warning("could not tell the user about a failure: {}", describe(err))


__all__ = ["Handlers", "access_from_settings", "answer_failure", "describe"]
