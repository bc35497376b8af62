"""From the command layer's answers to Telegram messages: HTML-escaped parts under the limit, photos, inline
keyboards (bot/commands/buttons.py says what each button's data means), edits."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest

from agent.reply import Reply
from bot.commands.buttons import Rows
from bot.telegram.format import CAPTION_LIMIT, clip, escape, html_parts, split_plain, with_retry


def keyboard(rows: Rows | None) -> InlineKeyboardMarkup | None:
    """The command layer's buttons as an inline keyboard (None: no buttons)."""
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows])


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
