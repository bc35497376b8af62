"""Buttons on Discord: the command layer's rows as a View of persistent dynamic buttons.

Every button's custom id is "zyn:" + the desk's data (cf:CODE:USER confirms, cx:CODE:USER drops, co:ORDER,
ca, x, rf:LINE, pn:LINE; bot/commands/buttons.py). The ZynButton class is registered with the client at start
(add_dynamic_items), so a press is handled by whichever process runs now, also after a restart: nothing is
kept in memory per message. The desk checks the presser and that the data really is on the pressed message;
the confirmation itself still expires in the gate. Used or expired buttons are shown disabled.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.commands.buttons import Rows

PREFIX = "zyn:"
STYLES = {"primary": discord.ButtonStyle.success, "danger": discord.ButtonStyle.danger,
          "secondary": discord.ButtonStyle.secondary}


class ZynButton(discord.ui.DynamicItem[discord.ui.Button], template=r"zyn:(?P<data>[a-z]{1,2}(:.{0,90})?)"):
    """One button whose custom id carries the desk's data; its press goes to the client's press handler."""

    def __init__(self, data: str, label: str = "…", style: discord.ButtonStyle = discord.ButtonStyle.secondary,
                 *, disabled: bool = False, row: int | None = None) -> None:
        super().__init__(discord.ui.Button(label=label[:80], style=style, custom_id=f"{PREFIX}{data}",
                                           disabled=disabled), row=row)
        self.data = data

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: Any) -> ZynButton:
        return cls(match["data"])

    async def callback(self, interaction: discord.Interaction) -> None:
        handler = getattr(interaction.client, "on_zyn_press", None)
        if handler is not None:
            await handler(interaction, self.data)


def view_of(rows: Rows | None, *, disabled: bool = False) -> discord.ui.View | None:
    """A View (no timeout: the gate's expiry decides) with the rows' buttons; None for no rows."""
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    if len(rows) <= 5 and all(len(row) <= 5 for row in rows):
        placed = [(r, b) for r, row in enumerate(rows) for b in row]
    else:  # a long menu (the cancel menu's one order a row): packed 5 a row, its last row (Cancel all, Close) kept
        flat = [b for row in rows[:-1] for b in row][: 25 - len(rows[-1])] + list(rows[-1])
        placed = [(i // 5, b) for i, b in enumerate(flat)]
    for r, b in placed:
        view.add_item(ZynButton(b.data, b.label, STYLES.get(b.style, discord.ButtonStyle.secondary),
                                disabled=disabled, row=r))
    return view


def buttons_on(message: discord.Message | None, *, enabled_only: bool = True) -> list[tuple[str, str, Any]]:
    """(desk data, label, style) of the Zyn buttons a message carries (enabled ones only, unless told)."""
    out: list[tuple[str, str, Any]] = []
    for row in (message.components if message is not None else []):
        for c in getattr(row, "children", []):
            custom_id = getattr(c, "custom_id", None) or ""
            if custom_id.startswith(PREFIX) and not (enabled_only and getattr(c, "disabled", False)):
                out.append((custom_id[len(PREFIX):], c.label or "…", c.style))
    return out


def disabled_copy(message: discord.Message | None) -> discord.ui.View | None:
    """The message's buttons, disabled (a used or expired confirmation stays visible but inert)."""
    buttons = buttons_on(message, enabled_only=False)
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for data, label, style in buttons[:25]:
        view.add_item(ZynButton(data, label, style, disabled=True))
    return view
