"""PTB handlers: they only turn Telegram updates into desk calls (bot/commands/desk.py) and render the answers.

Slash commands, free text, buttons and errors are registered in one place. A button press is answered at once
when the work is quick, with its result as the toast; when it takes longer (a LIVE confirmation), the press is
answered within ANSWER_WITHIN seconds with "Working on it…" and the message is edited when the work is done.
Chats run concurrently, one chat's updates one at a time in arrival order (bot/telegram/updates.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from typing import Any

from loguru import logger
from telegram import Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

import bot.telegram.render as render
from agent.reply import Reply
from bot.access import Access, Verdict
from bot.commands.catalog import COMMANDS
from bot.commands.desk import Answer, Desk, Press
from bot.telegram.format import ANSWER_LIMIT, clip, with_retry

_log = logger.bind(component="telegram")
Context = ContextTypes.DEFAULT_TYPE
OOPS = "Something went wrong on my side. Check /orders and /status before trying again."
GROUP_TYPES = frozenset({"group", "supergroup"})
ANSWER_WITHIN = 1.5  # seconds a button press may work before its spinner is answered with "Working on it…"
WORKING = "Working on it…"
TYPING_EVERY = 4.0  # seconds between two "typing…" actions while a turn runs (Telegram shows one for 5 s)


def access_from_settings(settings: Any) -> Access:
    """Telegram's roles: owner, allowed ids; members of the report and alert groups (negative ids) read."""
    chats = set(settings.telegram_report_chat_ids) | set(settings.telegram_alert_chat_ids)
    return Access("telegram", settings.telegram_owner_id, settings.telegram_allowed, (c for c in chats if c < 0))


def check(access: Access, user: Any, chat: Any, what: str) -> Verdict:
    """The caller behind a Telegram user in a chat, or a refusal (channel posts are never served)."""
    if user is None or chat is None or chat.type == "channel":
        return Verdict(None, "no user or a channel post")
    return access.check(user.id, chat.id, in_group=chat.type in GROUP_TYPES, what=what,
                        name=user.full_name or user.username or str(user.id))


class Handlers:
    """The bot's behaviour; register() adds every handler to an Application in one place."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.access = desk.access
        self.bot_id: int | None = None
        self.bot_username: str = ""
        self.typing_every = TYPING_EVERY

    def register(self, app: Application) -> None:
        """Commands, unknown commands, free text, buttons and the error handler (edited messages never run)."""
        new = filters.UpdateType.MESSAGE
        app.add_handler(CommandHandler(list(COMMANDS), self.on_command, filters=new))
        app.add_handler(MessageHandler(filters.COMMAND & new, self.on_unknown_command))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & new, self.on_text))
        app.add_handler(CallbackQueryHandler(self.on_callback))
        app.add_error_handler(self.on_error)

    async def on_command(self, update: Update, context: Context) -> None:
        """A slash command: strict arguments, one tool call through the desk, the answer."""
        msg, chat = update.effective_message, update.effective_chat
        name = msg.text.split()[0][1:].split("@")[0].lower()
        verdict = await self._caller(update, context, f"/{name}")
        if verdict is None:
            return
        answer = await self.desk.command(verdict, name, list(context.args or []))
        await self._send(context, chat.id, answer, quote=msg.message_id if chat.type != "private" else None)

    async def on_unknown_command(self, update: Update, context: Context) -> None:
        """A /command Zyn does not have (in groups, only when it is addressed to Zyn)."""
        msg, chat = update.effective_message, update.effective_chat
        head = msg.text.split()[0]
        if chat.type != "private" and not head.lower().endswith(f"@{self.bot_username.lower()}"):
            return  # another bot's command
        if await self._caller(update, context, head[:40]) is None:
            return
        await render.send_text(context.bot, chat.id, f"I don't know {head[:40]}. /help lists the commands.")

    async def on_text(self, update: Update, context: Context) -> None:
        """Free text goes to the agent (in groups only when Zyn is mentioned or replied to)."""
        msg, chat = update.effective_message, update.effective_chat
        text = msg.text or ""
        if chat.type != "private":
            mention = f"@{self.bot_username}".lower()
            to_bot = msg.reply_to_message is not None and msg.reply_to_message.from_user is not None \
                and msg.reply_to_message.from_user.id == self.bot_id
            if mention not in text.lower() and not to_bot:
                return
            at = text.lower().find(mention)
            text = text if at < 0 else text[:at] + text[at + len(mention):]
        caller = await self._caller(update, context, "a message")
        if caller is None:
            return
        async with typing(context.bot, chat.id, self.typing_every):
            answer = await self.desk.text(caller, text)
        await self._send(context, chat.id, answer, quote=msg.message_id if chat.type != "private" else None)

    async def _caller(self, update: Update, context: Context, what: str) -> Any:
        verdict = check(self.access, update.effective_user, update.effective_chat, what)
        if verdict.caller is None and verdict.say and update.effective_chat is not None:
            await render.send_text(context.bot, update.effective_chat.id, verdict.say)
        return verdict.caller

    async def _send(self, context: Context, chat_id: int, answer: Answer, *, quote: int | None) -> None:
        markup = render.keyboard(answer.rows)
        if answer.reply is not None and answer.reply.photos:
            shown = answer.reply if answer.reply.text == answer.text else _with_text(answer)
            await render.send_reply(context.bot, chat_id, shown, markup=markup, quote=quote)
        else:
            await render.send_text(context.bot, chat_id, answer.text, markup=markup, quote=quote)

    # --- buttons --------------------------------------------------------------------------------------------
    async def on_callback(self, update: Update, context: Context) -> None:
        """A button press: checked by the desk, answered exactly once, quickly, refusals too."""
        query = update.callback_query
        message = query.message
        if not isinstance(message, Message):  # too old for Telegram to show us
            await self._answer(query, "This message is too old; send the command again.", True)
            return
        verdict = check(self.access, query.from_user, message.chat, f"button {(query.data or '')[:3]}")
        if verdict.caller is None:
            await self._answer(query, "Sorry, these buttons are not for you.", True)
            return
        work = asyncio.ensure_future(self._press(context, verdict.caller, query.data or "", message))
        done, _ = await asyncio.wait({work}, timeout=ANSWER_WITHIN)
        if done:
            toast, alert = work.result()
            await self._answer(query, toast, alert)
            return
        await self._answer(query, WORKING, False)  # the spinner stops; the message shows the result
        toast, alert = await work
        if alert:  # the toast is spent: a failure the message does not show is said in the chat
            with suppress(TelegramError):
                await render.send_text(context.bot, message.chat_id, toast)

    async def _press(self, context: Context, caller: Any, data: str, message: Message) -> tuple[str, bool]:
        try:
            press = await self.desk.press(caller, data, _buttons(message), message.text or message.caption or "")
            return await self._apply(context, message, press)
        except Exception:  # noqa: BLE001 - the press is still answered; the chat never sees a trace
            _log.exception("button {} failed in chat {}", data[:3], message.chat.id)
            return OOPS, True

    async def _apply(self, context: Context, message: Message, press: Press) -> tuple[str, bool]:
        toast = press.toast
        if press.remove_buttons:
            await render.remove_keyboard(context.bot, message)
        elif press.text is not None:
            changed = await render.edit_text(context.bot, message, press.text, render.keyboard(press.rows))
            if not changed and press.unchanged_toast:
                toast = press.unchanged_toast
        if press.photos:
            await render.send_reply(context.bot, message.chat_id, Reply(text="", photos=press.photos))
        return toast, press.alert

    async def _answer(self, query: Any, text: str, alert: bool) -> None:
        try:
            await with_retry(lambda: query.answer(clip(text, ANSWER_LIMIT) or None, show_alert=alert),
                             what="answerCallbackQuery")
        except TelegramError as exc:
            _log.warning("could not answer a button press: {}", exc.message)

    # --- errors ---------------------------------------------------------------------------------------------
    async def on_error(self, update: object, context: Context) -> None:
        """Log a failed update (never to the chat: no stack trace, no token) and tell the chat briefly."""
        err = context.error
        if isinstance(err, TelegramError):
            _log.warning("Telegram call failed: {}: {}", type(err).__name__, err.message)
        else:
            _log.opt(exception=err).error("update failed: {}", type(err).__name__)
        if isinstance(update, Update) and update.effective_chat and update.callback_query is None:
            with suppress(TelegramError):
                await render.send_text(context.bot, update.effective_chat.id, OOPS)


@asynccontextmanager
async def typing(bot: Any, chat_id: int, every: float = TYPING_EVERY) -> AsyncIterator[None]:
    """Show "typing…" for as long as the block runs (Telegram clears it after 5 s, so it is sent again)."""

    async def show() -> None:
        with suppress(TelegramError):  # a courtesy: a failure must not lose the answer
            await bot.send_chat_action(chat_id, ChatAction.TYPING)

    async def keep() -> None:
        while True:
            await asyncio.sleep(every)
            await show()

    await show()
    task = asyncio.ensure_future(keep())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


def _with_text(answer: Answer) -> Reply:
    return replace(answer.reply, text=answer.text)


def _buttons(message: Message) -> set[str]:
    """Callback data of the buttons the pressed message carries."""
    markup = message.reply_markup
    return {b.callback_data for row in (markup.inline_keyboard if markup else ()) for b in row
            if isinstance(b.callback_data, str)}
