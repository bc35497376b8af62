"""From replies to Telegram messages: HTML-escaped parts under the limit, photos, inline keyboards, edits.

Callback data (at most 64 bytes, and forgeable by a modified client, so handlers check it again):
  cf:CODE:USER  confirm a pending action       cx:CODE:USER  drop it
  co:ORDER_ID   cancel that order (menu)       ca            cancel all (menu; asks to confirm)
  x             close the menu                 rf:COMMAND LINE  re-run a read-only command (Refresh)
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest

from agent.types import PendingAction, Reply
from bot.telegram.format import CAPTION_LIMIT, clip, escape, html_parts, split_plain, with_retry
from tools.results import amount_str, money

MAX_DATA = 64  # bytes of callback data Telegram carries
MENU_ORDERS = 20  # orders listed as buttons in /cancel's menu


def _data(*parts: str) -> str | None:
    data = ":".join(parts)
    return data if len(data.encode()) <= MAX_DATA else None


def confirm_keyboard(pending: PendingAction) -> InlineKeyboardMarkup:
    """Confirm / Cancel for one pending action, bound to the person who asked."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("✅ Confirm", callback_data=_data("cf", pending.code, pending.user_id)),
        InlineKeyboardButton("✖ Cancel", callback_data=_data("cx", pending.code, pending.user_id))]])


def refresh_keyboard(command_line: str) -> InlineKeyboardMarkup | None:
    """A Refresh button re-running a read-only command ("price BTC/USD"); None if it does not fit."""
    data = _data("rf", command_line)
    return InlineKeyboardMarkup([[InlineKeyboardButton("🔄 Refresh", callback_data=data)]]) if data else None


def cancel_menu(orders: Sequence[Any]) -> InlineKeyboardMarkup:
    """One button per open order (newest first), then Cancel all and Close."""
    rows = []
    for o in orders[:MENU_ORDERS]:
        data = _data("co", o.id)
        if data is None:
            continue  # an id too long for a button: /cancel ID still works
        price = f" @ {money(o.price)}" if o.price else (f" at {money(o.stop_price)}" if o.stop_price else "")
        label = f"{o.side.value} {amount_str(o.amount)} {o.symbol} {o.type.value}{price}"
        rows.append([InlineKeyboardButton(label[:60], callback_data=data)])
    rows.append([InlineKeyboardButton("Cancel all", callback_data="ca"),
                 InlineKeyboardButton("Close", callback_data="x")])
    return InlineKeyboardMarkup(rows)


def reply_markup(reply: Reply, refresh: InlineKeyboardMarkup | None = None) -> InlineKeyboardMarkup | None:
    """Confirm / Cancel when the reply waits for a confirmation, else the Refresh button, if any."""
    return confirm_keyboard(reply.pending) if reply.pending is not None else refresh


async def send_text(bot: Bot, chat_id: int | str, text: str, *, markup: InlineKeyboardMarkup | None = None,
                    quote: int | None = None, silent: bool = False) -> list[Message]:
    """Send plain text as escaped HTML parts, in order; the keyboard goes on the last part."""
    parts = html_parts(text)
    sent: list[Message] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        reply_to = ReplyParameters(quote, allow_sending_without_reply=True) if quote and i == 0 else None
        sent.append(await with_retry(lambda part=part, last=last, reply_to=reply_to: bot.send_message(
            chat_id, part, parse_mode=ParseMode.HTML, reply_markup=markup if last else None,
            reply_parameters=reply_to, disable_notification=silent), what="sendMessage"))
    return sent


async def send_photo(bot: Bot, chat_id: int | str, data: bytes, *, filename: str, caption: str = "",
                     silent: bool = False, quote: int | None = None) -> Message:
    """Send one picture with a plain-text caption (escaped, clipped to 1,024 characters)."""
    reply_to = ReplyParameters(quote, allow_sending_without_reply=True) if quote else None
    return await with_retry(lambda: bot.send_photo(
        chat_id, data, filename=filename, caption=escape(clip(caption, CAPTION_LIMIT)) if caption else None,
        parse_mode=ParseMode.HTML, disable_notification=silent, reply_parameters=reply_to), what="sendPhoto")


async def send_reply(bot: Bot, chat_id: int | str, reply: Reply, *, markup: InlineKeyboardMarkup | None = None,
                     quote: int | None = None) -> None:
    """A reply's pictures (each with a caption), then its text; a short text rides along as the caption."""
    text = _without_paths(reply.text, reply.photos)
    photos = [p for p in reply.photos if p.is_file()]
    if not photos:
        await send_text(bot, chat_id, text, markup=markup, quote=quote)
        return
    whole = markup is None and len(photos) == 1 and len(split_plain(text, CAPTION_LIMIT)) <= 1
    for i, path in enumerate(photos):
        data = await asyncio.to_thread(path.read_bytes)
        caption = text if whole else (text.split("\n", 1)[0] if i == 0 else "")
        await send_photo(bot, chat_id, data, filename=path.name, caption=caption, quote=quote if i == 0 else None)
    if not whole:
        await send_text(bot, chat_id, text, markup=markup)


async def edit_text(bot: Bot, message: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> bool:
    """Replace a bot message's text (and keyboard: None removes it); what does not fit follows as messages.

    False when nothing changed: Telegram refuses such an edit, so none is sent."""
    parts = split_plain(text) or ["…"]
    only = len(parts) == 1
    keyboard = markup if only else None
    if message.text == parts[0] and _same(message.reply_markup, keyboard):
        return False
    try:
        await with_retry(lambda: bot.edit_message_text(
            escape(parts[0]), chat_id=message.chat_id, message_id=message.message_id, parse_mode=ParseMode.HTML,
            reply_markup=keyboard), what="editMessageText")
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise
        return False
    if not only:
        await send_text(bot, message.chat_id, "\n".join(parts[1:]), markup=markup)
    return True


def _same(a: InlineKeyboardMarkup | None, b: InlineKeyboardMarkup | None) -> bool:
    """Two keyboards with the same buttons (a missing and an empty keyboard are the same)."""
    def rows(m: InlineKeyboardMarkup | None) -> list[list[tuple[str, str | None]]]:
        return [[(k.text, k.callback_data) for k in row] for row in (m.inline_keyboard if m else ())]
    return rows(a) == rows(b)


async def remove_keyboard(bot: Bot, message: Message) -> None:
    """Take the buttons off a message (an already bare message is fine)."""
    try:
        await with_retry(lambda: bot.edit_message_reply_markup(
            chat_id=message.chat_id, message_id=message.message_id, reply_markup=None), what="editMessageReplyMarkup")
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


def _without_paths(text: str, photos: Sequence[Path]) -> str:
    """File paths of the server are noise in a chat: show the file's name."""
    for p in photos:
        text = text.replace(str(p), p.name)
    return text
