"""PTB handlers: slash commands call their one tool, free text goes to the agent, buttons confirm, cancel and
refresh. Handlers only check access, parse, call the agent and format; every callback is answered once.

Chats run concurrently, one chat's updates one at a time in arrival order (bot/telegram/updates.py), so each
chat's answers keep the order of its questions.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from loguru import logger
from telegram import Bot, Message, Update
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

from agent.executor import allowed
from agent.types import Caller, Reply, Role
from bot.telegram import render
from bot.telegram.access import READ_ONLY_TEXT, Access
from bot.telegram.commands import COMMANDS, Step, Usage, help_lines, parse_command, usage_text
from bot.telegram.format import ANSWER_LIMIT, clip, with_retry
from tools.base import Permission
from tools.catalog import CATALOG
from trading.clock import Clock, SystemClock

_log = logger.bind(component="telegram")
Context = ContextTypes.DEFAULT_TYPE
OOPS = "Something went wrong on my side. Check /orders and /status before trying again."
STALE = "This button is no longer valid."


class Handlers:
    """The bot's behaviour; register() adds every handler to an Application in one place."""

    def __init__(self, agent: Any, access: Access, clock: Clock | None = None) -> None:
        self.agent = agent
        self.access = access
        self.clock = clock or SystemClock()
        self.bot_id: int | None = None
        self.bot_username: str = ""

    def register(self, app: Application) -> None:
        """Commands, unknown commands, free text, buttons and the error handler (edited messages never run)."""
        new = filters.UpdateType.MESSAGE
        app.add_handler(CommandHandler(list(COMMANDS), self.on_command, filters=new))
        app.add_handler(MessageHandler(filters.COMMAND & new, self.on_unknown_command))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & new, self.on_text))
        app.add_handler(CallbackQueryHandler(self.on_callback))
        app.add_error_handler(self.on_error)

    # --- messages -------------------------------------------------------------------------------------------
    async def on_command(self, update: Update, context: Context) -> None:
        """A slash command: strict arguments, one tool call through the agent, the answer."""
        msg, chat = update.effective_message, update.effective_chat
        name = msg.text.split()[0][1:].split("@")[0].lower()
        verdict = self.access.check(update.effective_user, chat, f"/{name}")
        if verdict.caller is None:
            if verdict.say:
                await render.send_text(context.bot, chat.id, verdict.say)
            return
        quote = msg.message_id if chat.type != "private" else None
        await self.run_command(context.bot, verdict.caller, name, list(context.args or []), quote=quote)

    async def on_unknown_command(self, update: Update, context: Context) -> None:
        """A /command Zyn does not have (in groups, only when it is addressed to Zyn)."""
        msg, chat = update.effective_message, update.effective_chat
        head = msg.text.split()[0]
        if chat.type != "private" and not head.lower().endswith(f"@{self.bot_username.lower()}"):
            return  # another bot's command
        verdict = self.access.check(update.effective_user, chat, head[:40])
        if verdict.caller is None:
            if verdict.say:
                await render.send_text(context.bot, chat.id, verdict.say)
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
        verdict = self.access.check(update.effective_user, chat, "a message")
        if verdict.caller is None:
            if verdict.say:
                await render.send_text(context.bot, chat.id, verdict.say)
            return
        with suppress(TelegramError):  # "typing…" is a courtesy; a failure must not lose the answer
            await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
        reply = await self.agent.handle(verdict.caller, text.strip())
        await render.send_reply(context.bot, chat.id, reply, markup=render.reply_markup(reply),
                                quote=msg.message_id if chat.type != "private" else None)

    async def run_command(self, bot: Bot, caller: Caller, name: str, words: list[str], *,
                          quote: int | None = None) -> None:
        """Parse, check, run and answer one command for a caller."""
        chat_id = int(caller.chat_id)
        try:
            step = parse_command(name, words, self.clock.now())
        except Usage as exc:
            await render.send_text(bot, chat_id, usage_text(name, str(exc)), quote=quote)
            return
        if step.action in ("start", "help"):
            await render.send_text(bot, chat_id, self._welcome(caller, step.action == "start"), quote=quote)
            return
        if step.action == "unavailable":
            await render.send_text(bot, chat_id, f"/{name} is not available yet.", quote=quote)
            return
        # The cancel menu and /confirm need what cancelling an order needs: trade permission.
        needs = "cancel_order" if step.action in ("cancel_menu", "confirm") else step.tool
        refusal = self._refusal(caller, needs, f"/{name}")
        if refusal:
            await render.send_text(bot, chat_id, refusal, quote=quote)
            return
        if step.action == "cancel_menu":
            await self._cancel_menu(bot, caller, quote)
            return
        reply = await self._run(caller, step)
        refresh = None
        if COMMANDS[name].refresh and (step.tool is None or CATALOG[step.tool].permission is Permission.READ):
            refresh = render.refresh_keyboard(" ".join([name, *words]))
        await render.send_reply(bot, chat_id, reply, markup=render.reply_markup(reply, refresh), quote=quote)

    async def _run(self, caller: Caller, step: Step) -> Reply:
        if step.action == "confirm":
            return await self.agent.confirm(caller, step.code)
        if step.action == "mode":
            reply = await self.agent.command(caller, "get_status", {})
            result = reply.outcomes[0].result if reply.outcomes and reply.outcomes[0].ok else None
            if result is not None:
                reply.text = f"Mode: {result.mode.value.upper()} · data: {result.data_source}"
            return reply
        return await self.agent.command(caller, step.tool, step.args)

    async def _cancel_menu(self, bot: Bot, caller: Caller, quote: int | None) -> None:
        reply = await self.agent.command(caller, "list_open_orders", {})
        outcome = reply.outcomes[0] if reply.outcomes else None
        orders = outcome.result.orders if outcome is not None and outcome.ok else []
        if not orders:
            await render.send_text(bot, int(caller.chat_id), reply.text, quote=quote)
            return
        text = "Which order should I cancel?\n" + reply.text
        await render.send_text(bot, int(caller.chat_id), text, markup=render.cancel_menu(orders), quote=quote)

    def _refusal(self, caller: Caller, tool: str | None, what: str) -> str | None:
        """Why this caller may not run this tool (None: they may); refusals are logged."""
        if tool is None or tool not in CATALOG or allowed(caller.role, CATALOG[tool].permission):
            return None
        why = READ_ONLY_TEXT if caller.role is Role.VIEWER else "Only the owner can do that."
        self.access.refused(int(caller.user_id), int(caller.chat_id), what, f"role {caller.role.value}")
        return why

    def _welcome(self, caller: Caller, start: bool) -> str:
        mode = getattr(getattr(getattr(self.agent, "ctx", None), "mode", None), "value", "paper").upper()
        may = {Role.OWNER: "you are the owner: you may trade, confirm and use admin commands",
               Role.TRADER: "you may trade and confirm your own actions",
               Role.VIEWER: "here you may use read-only commands and see reports"}[caller.role]
        # The owner is addressed by the configured name (Zyn's persona), others by their Telegram name.
        owner_name = getattr(self.agent, "owner_name", "") if caller.role is Role.OWNER else ""
        name = owner_name or caller.name or "there"
        head = f"Hi {name}! I'm Zyn, your financial servant ({mode}); {may}."
        helper = getattr(self.agent, "help_text", None)
        said = helper() if callable(helper) else ""
        if start:
            return f"{head}\nAsk me in plain words, e.g. 'whats my balance', or send /help for the commands."
        return f"{head}\n\n{said}\n\nCommands:\n{help_lines()}".replace("\n\n\n", "\n\n")

    # --- buttons --------------------------------------------------------------------------------------------
    async def on_callback(self, update: Update, context: Context) -> None:
        """A button press: check the presser, act, edit the message; answered exactly once, refusals too."""
        query = update.callback_query
        answer, alert = "", False
        try:
            answer, alert = await self._press(context.bot, query)
        except Exception:  # noqa: BLE001 - the press is still answered; the chat never sees a trace
            _log.exception("button {} failed in chat {}", (query.data or "")[:3],
                           query.message.chat.id if query.message else "?")
            answer, alert = OOPS, True
        finally:
            try:
                await with_retry(lambda: query.answer(clip(answer, ANSWER_LIMIT) or None, show_alert=alert),
                                 what="answerCallbackQuery")
            except TelegramError as exc:
                _log.warning("could not answer a button press: {}", exc.message)

    async def _press(self, bot: Bot, query: Any) -> tuple[str, bool]:
        data, message = query.data or "", query.message
        if not isinstance(message, Message):  # too old for Telegram to show us
            return "This message is too old; send the command again.", True
        kind, _, rest = data.partition(":")
        verdict = self.access.check(query.from_user, message.chat, f"button {kind}")
        if verdict.caller is None:
            return "Sorry, these buttons are not for you.", True
        caller = verdict.caller
        if data not in _buttons(message):  # a modified client can send any data: only real buttons count
            _log.info("button data not on the message from user {} in chat {}", caller.user_id, caller.chat_id)
            return STALE, True
        if kind != "rf" and caller.role is Role.VIEWER:
            self.access.refused(query.from_user.id, message.chat.id, f"button {kind}", "viewer")
            return READ_ONLY_TEXT, True
        if kind in ("cf", "cx"):
            return await self._decide(bot, caller, message, kind == "cf", rest)
        if kind == "rf":
            return await self._refresh(bot, caller, message, rest)
        if kind in ("co", "ca", "x"):
            return await self._menu(bot, caller, message, kind, rest)
        _log.info("unknown button data from user {} in chat {}", caller.user_id, caller.chat_id)
        return STALE, True

    async def _decide(self, bot: Bot, caller: Caller, message: Message, confirm: bool, rest: str
                      ) -> tuple[str, bool]:
        code, _, owner = rest.partition(":")
        if owner != caller.user_id:
            self.access.refused(int(caller.user_id), int(caller.chat_id), "confirm button", "not the requester")
            return "Only the person who asked can confirm or cancel this.", True
        original = message.text or message.caption or ""
        if confirm:
            reply = await self.agent.confirm(caller, code)
        else:
            reply = await self.agent.cancel(caller, code)
        if reply.pending is not None:  # the price moved: asked again with a new code
            await render.edit_text(bot, message, reply.text, render.confirm_keyboard(reply.pending))
            return "The price moved; check and confirm again.", True
        done = bool(reply.outcomes) and reply.outcomes[-1].ok
        if not done and code.upper() in self._live_codes(caller):
            return reply.text, True  # nothing final happened (e.g. no price right now): keep the buttons
        mark = ("✅ " if confirm else "✖ ") if done else "⚠️ "
        await render.edit_text(bot, message, f"{original}\n\n{mark}{reply.text}", None)
        if done and reply.photos:
            await render.send_reply(bot, message.chat_id, Reply(text="", photos=reply.photos))
        return ("Done." if confirm else "Cancelled.") if done else reply.text, not done

    def _live_codes(self, caller: Caller) -> set[str]:
        confirmations = getattr(self.agent, "confirmations", None)
        try:
            return {p.code for p in confirmations.pending_for(caller)} if confirmations else set()
        except Exception:  # noqa: BLE001 - unknown then: treat as final, the buttons go
            return set()

    async def _refresh(self, bot: Bot, caller: Caller, message: Message, line: str) -> tuple[str, bool]:
        words = line.split()
        name = words[0] if words else ""
        command = COMMANDS.get(name)
        try:
            step = parse_command(name, words[1:], self.clock.now()) if command and command.refresh else None
        except Usage:
            step = None
        if step is None or (step.tool is not None and CATALOG[step.tool].permission is not Permission.READ):
            _log.info("refused a refresh of '{}' from user {}", name[:20], caller.user_id)
            return STALE, True
        if step.tool == "report":
            step = Step(tool="report", args={**step.args, "chart": False})  # the picture above stays
        reply = await self._run(caller, step)
        changed = await render.edit_text(bot, message, reply.text, render.refresh_keyboard(line))
        return ("Updated." if changed else "Already up to date."), False

    async def _menu(self, bot: Bot, caller: Caller, message: Message, kind: str, order_id: str
                    ) -> tuple[str, bool]:
        if kind == "x":
            await render.remove_keyboard(bot, message)
            return "Closed.", False
        tool, args = ("cancel_all", {}) if kind == "ca" else ("cancel_order", {"order_id": order_id})
        refusal = self._refusal(caller, tool, f"button {kind}")
        if refusal:
            return refusal, True
        reply = await self.agent.command(caller, tool, args)
        await render.edit_text(bot, message, reply.text, render.reply_markup(reply))
        ok = bool(reply.outcomes) and reply.outcomes[-1].ok
        return ("Confirm below." if reply.pending else "Done.") if ok else clip(reply.text, ANSWER_LIMIT), not ok

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


def _buttons(message: Message) -> set[str]:
    """Callback data of the buttons the pressed message carries."""
    markup = message.reply_markup
    return {b.callback_data for row in (markup.inline_keyboard if markup else ()) for b in row
            if isinstance(b.callback_data, str)}
