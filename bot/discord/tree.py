"""App commands generated from the command layer (bot/commands/catalog.py COMMANDS, the set Telegram publishes):
typed options (Range for whole numbers and codes, choices for Literal options), descriptions from the specs,
pair autocomplete from the exchange's markets. Each command's callback hands its typed values to the desk.
"""

from __future__ import annotations

import inspect
import time
import typing
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import discord
from discord import app_commands

from bot.commands.catalog import COMMANDS
from bot.commands.spec import Command, Kind, Option

Run = Callable[[discord.Interaction, str, dict[str, Any], bool], Awaitable[None]]
Markets = Callable[[], Awaitable[Iterable[str]]]
PANEL = "panel"
PANEL_DESCRIPTION = "Owner: control panel (autopilot, kill switch, flatten)"
MARKETS_TTL = 600.0  # seconds the market list is kept for autocomplete
# Commands whose answers show the account: in a guild only the asker sees them, unless `public:True` is given.
PRIVATE = frozenset({"balance", "positions", "orders", "pnl", "history", "cancel"})
PUBLIC = "public"


def annotation(option: Option) -> Any:
    """The discord.py annotation of one option (str where the desk parses "$200", "2%", "14:05" itself)."""
    if option.kind is Kind.INT and (option.low is not None or option.high is not None):
        return app_commands.Range[int, option.low, option.high]
    if option.kind is Kind.INT:
        return int
    if option.kind is Kind.CHOICE and option.choices:
        return typing.Literal.__getitem__(tuple(option.choices))
    if option.kind is Kind.CODE:
        return app_commands.Range[str, 4, 6]
    return str


def _callback(command: Command, run: Run) -> Callable[..., Awaitable[None]]:
    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        public = bool(values.pop(PUBLIC, False))
        await run(interaction, command.name, {k: v for k, v in values.items() if v is not None}, public)

    params = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=discord.Interaction)]
    for o in command.options:
        params.append(inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation(o),
                                        default=inspect.Parameter.empty if o.required else None))
    described = {o.name: o.description[:100] for o in command.options}
    if command.name in PRIVATE:
        params.append(inspect.Parameter(PUBLIC, inspect.Parameter.KEYWORD_ONLY, annotation=bool, default=None))
        described[PUBLIC] = "show the answer to everyone in this channel (default: only you)"
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = described  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = f"cmd_{command.name}"
    return callback


class PairCompleter:
    """Pair choices from the exchange's markets (cached), matching what was typed so far."""

    def __init__(self, markets: Markets) -> None:
        self.markets = markets
        self._cache: tuple[float, list[str]] | None = None

    async def symbols(self) -> list[str]:
        if self._cache is None or time.monotonic() - self._cache[0] > MARKETS_TTL:
            self._cache = (time.monotonic(), sorted(await self.markets()))
        return self._cache[1]

    async def choices(self, current: str) -> list[app_commands.Choice[str]]:
        """Up to 25 pairs starting with (else containing) what was typed."""
        try:
            symbols = await self.symbols()
        except Exception:  # noqa: BLE001 - no markets right now: no suggestions (typing a pair still works)
            return []
        typed = current.upper().replace("/", "").replace("-", "")
        hits = [s for s in symbols if s.replace("/", "").startswith(typed)] or \
            [s for s in symbols if typed in s.replace("/", "")]
        return [app_commands.Choice(name=s, value=s) for s in hits[:25]]


def build_commands(run: Run, completer: PairCompleter, *, disabled: Iterable[str] = (),
                   panel: Callable[[discord.Interaction], Awaitable[None]] | None = None,
                   ) -> list[app_commands.Command]:
    """Every command of the command layer (less the disabled ones), and the owner's panel."""
    off = set(disabled)
    out: list[app_commands.Command] = []

    async def complete_pair(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await completer.choices(current)

    for command in COMMANDS.values():
        if command.name in off:
            continue
        cmd = app_commands.Command(name=command.name, description=command.description[:100],
                                   callback=_callback(command, run))
        for o in command.options:
            if o.kind is Kind.PAIR:
                cmd.autocomplete(o.name)(complete_pair)
        out.append(cmd)
    if panel is not None and PANEL not in off:
        async def panel_callback(interaction: discord.Interaction) -> None:
            await panel(interaction)

        out.append(app_commands.Command(name=PANEL, description=PANEL_DESCRIPTION, callback=panel_callback))
    return out
