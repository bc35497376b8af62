"""From the command layer's answers and alerts to Discord messages: an embed whose description is the desk's
text (lists such as balances, positions and orders also as fields), the PNGs (report equity curve, charts)
attached and shown in it with attachment://, and the buttons as a View."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import discord

from agent.reply import Reply
from bot.commands.desk import Answer
from bot.discord.views import view_of
from bot.notify.base import Alert, AlertKind
from tools.account import BalancesResult, PositionsResult
from tools.results import OrdersResult, PortfolioResult, amount_str, asset_amount, money

DESCRIPTION_LIMIT = 4096
EMBED_LIMIT = 6000  # title, description, fields, footer together
FIELDS = 24  # Discord allows 25 fields an embed; the last one says how many more there were
COLORS = {"paper": 0x5865F2, "live": 0xED4245, "usage": 0xFEE75C, "pending": 0xF0B232, "done": 0x57F287,
          "dropped": 0x80848E, "failed": 0xED4245}
ALERT_COLORS = {AlertKind.FILL: 0x57F287, AlertKind.BRACKET_EXIT: 0xFEE75C, AlertKind.KILL_SWITCH: 0xED4245,
                AlertKind.AUTOPILOT_ERROR: 0xED4245, AlertKind.DAILY_REPORT: 0x5865F2}


def clip(text: str, limit: int) -> str:
    """Text cut to a limit with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def without_paths(text: str, photos: Sequence[Path]) -> str:
    """File paths of the server are noise in a chat: show the file's name."""
    for p in photos:
        text = text.replace(str(p), p.name)
    return text


def answer_message(answer: Answer, *, title: str, mode: str, now: datetime) -> dict[str, Any]:
    """send() keyword arguments for a desk answer: embed, attached pictures, the buttons as a View."""
    reply = answer.reply
    photos = [p for p in (reply.photos if reply else []) if p.is_file()]
    color = COLORS["usage"] if answer.usage else COLORS["pending"] if reply is not None and reply.pending \
        else COLORS.get(mode, COLORS["paper"])
    embed = discord.Embed(title=clip(title, 256), description=clip(without_paths(answer.text, photos) or "…",
                                                                   DESCRIPTION_LIMIT), color=color, timestamp=now)
    if reply is not None and not answer.usage:
        _fields(embed, reply)
    embed.set_footer(text=f"Zyn · {mode.upper()}")
    files = [discord.File(p, filename=p.name) for p in photos]
    if photos:
        embed.set_image(url=f"attachment://{photos[0].name}")
    out: dict[str, Any] = {"embed": fit(embed), "files": files}
    view = view_of(answer.rows)
    if view is not None:
        out["view"] = view
    return out


def photo_files(photos: Sequence[Path]) -> list[discord.File]:
    """Pictures to send after an edit."""
    return [discord.File(p, filename=p.name) for p in photos if p.is_file()]


def _fields(embed: discord.Embed, reply: Reply) -> None:
    result = reply.outcomes[-1].result if reply.outcomes and reply.outcomes[-1].ok else None
    if isinstance(result, PortfolioResult):
        q = result.quote_currency
        embed.add_field(name="Equity", value=f"{money(result.equity)} {q}" if result.equity is not None else "unknown")
        embed.add_field(name="Realised P&L", value=f"{money(result.realized_pnl)} {q}")
        embed.add_field(name="Unrealised P&L", value=f"{money(result.unrealized_pnl)} {q}")
        rows = [(b.asset, f"{asset_amount(b.asset, b.total)} (free {asset_amount(b.asset, b.free)})") for b in result.balances if b.total]
        _rows(embed, rows)
    elif isinstance(result, BalancesResult):
        _rows(embed, [(b.asset, f"{asset_amount(b.asset, b.total)} (free {asset_amount(b.asset, b.free)}, "
                                   f"held {asset_amount(b.asset, b.used)})")
                      for b in result.balances])
    elif isinstance(result, PositionsResult):
        _rows(embed, [(p.position.symbol, f"{amount_str(p.position.amount)} avg {money(p.position.avg_price)} · "
                       f"mark {money(p.mark)} · P&L {money(p.unrealized_pnl)} {result.quote}")
                      for p in result.positions if p.position.amount > 0])
    elif isinstance(result, OrdersResult):
        _rows(embed, [(f"{o.side.value} {o.symbol}", f"{amount_str(o.amount)} {o.type.value}"
                       f"{' @ ' + money(o.price) if o.price else ''} · {o.status.value} · `{o.id}`")
                      for o in result.orders])


def fit(embed: discord.Embed) -> discord.Embed:
    """The embed within Discord's 6,000 characters in all: the last fields go first, then the text is cut."""
    while len(embed) > EMBED_LIMIT and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    if len(embed) > EMBED_LIMIT and embed.description:
        embed.description = clip(embed.description, max(1, len(embed.description) - (len(embed) - EMBED_LIMIT)))
    return embed


def _rows(embed: discord.Embed, rows: list[tuple[str, str]]) -> None:
    for name, value in rows[:FIELDS]:
        embed.add_field(name=clip(name, 256), value=clip(value, 1024), inline=False)
    if len(rows) > FIELDS:
        embed.add_field(name="…", value=f"{len(rows) - FIELDS} more", inline=False)


def alert_message(alert: Alert, *, silent: bool) -> dict[str, Any]:
    """send() keyword arguments for an alert: an embed in the kind's colour, the PNG attached and shown."""
    embed = discord.Embed(title=clip(alert.title or alert.kind.value, 256),
                          description=clip(alert.text or "…", DESCRIPTION_LIMIT),
                          color=ALERT_COLORS.get(alert.kind, COLORS["paper"]), timestamp=alert.at)
    embed.set_footer(text=f"Zyn · {alert.kind.value.replace('_', ' ')}")
    out: dict[str, Any] = {"embed": fit(embed), "silent": silent}
    if alert.photo:
        name = alert.photo_name or "chart.png"
        out["file"] = discord.File(io.BytesIO(alert.photo), filename=name)
        embed.set_image(url=f"attachment://{name}")
    return out


def edited_embed(message: discord.Message, text: str, color: str | None = None) -> discord.Embed | None:
    """The pressed message's embed with a new description (and colour: done, dropped, failed); None: no embed."""
    if not message.embeds:
        return None
    embed = message.embeds[0].copy()
    embed.description = clip(text or "…", DESCRIPTION_LIMIT)
    if color in COLORS:
        embed.colour = discord.Colour(COLORS[color])
    embed.clear_fields()
    if embed.image and embed.image.url and embed.image.url.startswith("attachment://"):
        embed.set_image(url=None)  # the attachment stays on the message; the edit shows the text
    return embed
