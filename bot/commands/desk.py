"""The chat flows every front end shares: commands, free text, the cancel menu, the welcome text, and button
presses (Confirm / Cancel with the price-moved re-ask, Refresh of read-only commands, the cancel menu).

A front end turns its platform's input into desk calls and renders the Answer or Press it gets back; access
roles, permissions and confirmations are decided here and in the gate, never in a front end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loguru import logger

from agent.reply import Reply, cancel_reply, confirm_reply, reply_from
from bot.access import OWNER_ONLY_TEXT, Access, refusal_text
from bot.commands.buttons import PANEL_LINES, Rows, cancel_menu_rows, confirm_rows, panel_rows, refresh_rows
from bot.commands.catalog import COMMANDS, help_lines, parse_command, route_values, usage_text
from bot.commands.spec import Action, Step, Usage
from tools.gate import Caller, CallerKind, Gate, Role, ToolCall
from trading.clock import Clock

_log = logger.bind(component="desk")
STALE = "This button is no longer valid."
NOT_YOURS = "Only the person who asked can confirm or cancel this."


@dataclass
class Answer:
    """What to send: text, the reply behind it (pending, pictures), and buttons."""

    text: str
    reply: Reply | None = None
    rows: Rows | None = None
    usage: bool = False  # the input did not fit: the text is the usage line (Discord shows it only to the asker)

    @property
    def photos(self) -> list[Path]:
        return self.reply.photos if self.reply else []


@dataclass
class Press:
    """What a button press does: the short answer to the press, and the edit of the pressed message."""

    toast: str
    alert: bool = False  # show the toast as an alert (a refusal or a failure)
    text: str | None = None  # the pressed message's new text (None: leave it)
    rows: Rows | None = None  # its new buttons, with text (None: none)
    remove_buttons: bool = False  # take the buttons off, text unchanged
    unchanged_toast: str | None = None  # the toast when the edit turned out to change nothing
    photos: list[Path] = field(default_factory=list)  # pictures to send after the edit
    answer: Answer | None = None  # a new message to send (a control-panel action: its result or its question);
    # with an answer, text and rows are the pressed message's new state, edited after the answer is sent


class Desk:
    """Commands, text and presses for one account, through one gate (and the agent for free text)."""

    def __init__(self, gate: Gate, agent: Any, access: Access, clock: Clock, *, owner_name: str = "",
                 web_login: Callable[[], str] | None = None) -> None:
        self.gate = gate
        self.agent = agent
        self.access = access
        self.clock = clock
        self.owner_name = owner_name
        self.web_login = web_login  # makes a single-use login link into the web dashboard (None: no web)

    # --- messages -------------------------------------------------------------------------------------------
    async def text(self, caller: Caller, text: str, *, stream_to: Any = None) -> Answer:
        """Free text: the agent answers (model or offline engine), through the same gate; stream_to (an async
        callable) gets the model's text as it is written, where the front end can show it."""
        reply = await (self.agent.handle(caller, text.strip(), stream_to) if stream_to is not None
                       else self.agent.handle(caller, text.strip()))
        return Answer(reply.text, reply, confirm_rows(reply.pending) if reply.pending else None)

    async def command(self, caller: Caller, name: str, words: list[str] | None = None, *,
                      values: dict[str, Any] | None = None) -> Answer:
        """One command from words (Telegram) or typed values (Discord, the web): usage line when wrong."""
        try:
            if values is not None:
                step = route_values(name, values, self.clock.now(), front=self.access.front.title())
            else:
                step = parse_command(name, words or [], self.clock.now(), front=self.access.front.title())
        except Usage as exc:
            return Answer(usage_text(name, str(exc)), usage=True)
        if step.action in (Action.START, Action.HELP):
            return Answer(self.welcome(caller, step.action == Action.START))
        if step.action == Action.UNAVAILABLE:
            return Answer(f"/{name} is not available yet.")
        if step.action == Action.WEBLOGIN:
            return await self._web_login(caller)
        # The cancel menu and /confirm need what cancelling an order needs: trade permission.
        needs = "cancel_order" if step.action in (Action.CANCEL_MENU, Action.CONFIRM) else step.tool
        if needs is not None and not self.gate.permits(caller, needs):
            self.access.refused(caller.user_id, caller.chat_id, f"/{name}", f"role {caller.role.value}")
            return Answer(refusal_text(caller.role))
        if step.action == Action.CANCEL_MENU:
            return await self.cancel_menu(caller)
        reply = await self._run(caller, step)
        rows = confirm_rows(reply.pending) if reply.pending else None
        if rows is None and COMMANDS[name].refresh and (step.tool is None or self.gate.is_read(step.tool)):
            rows = refresh_rows(" ".join([name, *_line_words(words, values)]))
        return Answer(reply.text, reply, rows)

    async def _web_login(self, caller: Caller) -> Answer:
        """A login link for the owner, only in a private chat: a link posted in a group signs anyone in."""
        if caller.role is not Role.OWNER:
            self.access.refused(caller.user_id, caller.chat_id, "/weblogin", f"role {caller.role.value}")
            return Answer(OWNER_ONLY_TEXT)
        if not caller.private:
            self.access.refused(caller.user_id, caller.chat_id, "/weblogin", "not a private chat")
            return Answer("Ask me for a login link in our private chat: a link posted here would let anyone who "
                          "reads it sign in. Nothing was sent.")
        if self.web_login is None:
            return Answer("The web dashboard is off here (ZYN_WEB=0), so there is no link to give.")
        link = await asyncio.to_thread(self.web_login)
        _log.info("web login link sent to the owner in {} chat {}", caller.channel, caller.chat_id)
        return Answer(link)

    async def cancel_menu(self, caller: Caller) -> Answer:
        """The open orders as buttons (or just the answer that there are none)."""
        outcome = await self.gate.execute(caller, ToolCall("list_open_orders", {}), kind=CallerKind.COMMAND)
        reply = reply_from([outcome], source="command")
        orders = outcome.result.orders if outcome.ok else []
        if not orders:
            return Answer(reply.text, reply)
        return Answer("Which order should I cancel?\n" + reply.text, reply, cancel_menu_rows(orders))

    async def _run(self, caller: Caller, step: Step) -> Reply:
        if step.action == Action.CONFIRM:
            return confirm_reply(await self.gate.confirm(caller, step.code or ""))
        if step.action == Action.MODE:
            outcome = await self.gate.execute(caller, ToolCall("get_status", {}), kind=CallerKind.COMMAND)
            reply = reply_from([outcome], source="command")
            if outcome.ok:
                reply.text = f"Mode: {outcome.result.mode.value.upper()} · data: {outcome.result.data_source}"
            return reply
        outcome = await self.gate.execute(caller, ToolCall(step.tool or "", dict(step.args)), kind=CallerKind.COMMAND)
        return reply_from([outcome], source="command")

    def welcome(self, caller: Caller, start: bool) -> str:
        """Hello, the mode and what this person may do; /help adds the engine and every command."""
        may = {Role.OWNER: "you are the owner: you may trade, confirm and use admin commands",
               Role.TRADER: "you may trade and confirm your own actions",
               Role.VIEWER: "here you may use read-only commands and see reports"}[caller.role]
        # The owner is addressed by the configured name (Zyn's persona), others by their own name.
        name = (self.owner_name if caller.role is Role.OWNER else "") or caller.name or "there"
        head = f"Hi {name}! I'm Zyn, your financial servant ({self.gate.mode.value.upper()}); {may}."
        if start:
            return f"{head}\nAsk me in plain words, e.g. 'whats my balance', or send /help for the commands."
        said = self.agent.help_text() if self.agent is not None else ""
        return f"{head}\n\n{said}\n\nCommands:\n{help_lines()}".replace("\n\n\n", "\n\n")

    # --- buttons --------------------------------------------------------------------------------------------
    async def press(self, caller: Caller, data: str, on_message: set[str], original: str = "") -> Press:
        """A press of a button whose data is on the pressed message (`on_message`); the presser is checked."""
        kind, _, rest = data.partition(":")
        if data not in on_message:  # a modified client can send any data: only real buttons count
            _log.info("button data not on the message from user {} in chat {}", caller.user_id, caller.chat_id)
            return Press(STALE, alert=True)
        if kind != "rf" and caller.role is Role.VIEWER:
            self.access.refused(caller.user_id, caller.chat_id, f"button {kind}", "viewer")
            return Press(refusal_text(caller.role), alert=True)
        if kind in ("cf", "cx"):
            return await self._decide(caller, kind == "cf", rest, original)
        if kind == "rf":
            return await self._refresh(caller, rest)
        if kind == "x":
            return Press("Closed.", remove_buttons=True)
        if kind in ("co", "ca"):
            return await self._menu(caller, kind, rest)
        if kind == "pn":
            return await self._panel_press(caller, rest)
        _log.info("unknown button data from user {} in chat {}", caller.user_id, caller.chat_id)
        return Press(STALE, alert=True)

    async def _decide(self, caller: Caller, confirm: bool, rest: str, original: str) -> Press:
        code, _, owner = rest.partition(":")
        if owner != caller.user_id:
            self.access.refused(caller.user_id, caller.chat_id, "confirm button", "not the requester")
            return Press(NOT_YOURS, alert=True)
        if confirm:
            reply = confirm_reply(await self.gate.confirm(caller, code))
        else:
            reply = cancel_reply(await self.gate.cancel(caller, code))
        if reply.pending is not None:  # the price moved: asked again with a new code
            return Press("The price moved; check and confirm again.", alert=True, text=reply.text,
                         rows=confirm_rows(reply.pending))
        done = reply.done
        if not done and code.upper() in self._live_codes(caller):
            return Press(reply.text, alert=True)  # nothing final happened (e.g. no price right now): keep them
        mark = ("✅ " if confirm else "✖ ") if done else "⚠️ "
        toast = ("Done." if confirm else "Cancelled.") if done else reply.text
        return Press(toast, alert=not done, text=f"{original}\n\n{mark}{reply.text}",
                     photos=reply.photos if done else [])

    def _live_codes(self, caller: Caller) -> set[str]:
        try:
            return {p.code for p in self.gate.confirmations.pending_for(caller)}
        except Exception:  # noqa: BLE001 - unknown then: treat as final, the buttons go
            return set()

    async def _refresh(self, caller: Caller, line: str) -> Press:
        words = line.split()
        name = words[0] if words else ""
        command = COMMANDS.get(name)
        try:
            step = parse_command(name, words[1:], self.clock.now(), front=self.access.front.title()) \
                if command and command.refresh else None
        except Usage:
            step = None
        if step is None or (step.tool is not None and not self.gate.is_read(step.tool)):
            _log.info("refused a refresh of '{}' from user {}", name[:20], caller.user_id)
            return Press(STALE, alert=True)
        if step.tool == "report":
            step = Step(tool="report", args={**step.args, "chart": False})  # the picture above stays
        reply = await self._run(caller, step)
        return Press("Updated.", text=reply.text, rows=refresh_rows(line), unchanged_toast="Already up to date.")

    # --- the control panel (Discord) -----------------------------------------------------------------------
    async def panel(self, caller: Caller) -> Answer:
        """The owner's control panel: autopilot and kill-switch state, with buttons that act through the gate."""
        if caller.role is not Role.OWNER:
            self.access.refused(caller.user_id, caller.chat_id, "/panel", f"role {caller.role.value}")
            return Answer(refusal_text(caller.role))
        outcomes = [await self.gate.execute(caller, ToolCall(tool, {}), kind=CallerKind.COMMAND)
                    for tool in ("autopilot_status", "kill_switch_status")]
        reply = reply_from(outcomes, source="command")
        return Answer(f"Control panel ({self.gate.mode.value.upper()})\n{reply.text}", reply, panel_rows())

    async def _panel_press(self, caller: Caller, line: str) -> Press:
        words = line.split()
        if not words or line not in PANEL_LINES:
            return Press(STALE, alert=True)
        if caller.role is not Role.OWNER:
            self.access.refused(caller.user_id, caller.chat_id, f"panel {line}", f"role {caller.role.value}")
            return Press(refusal_text(caller.role), alert=True)
        answer = await self.command(caller, words[0], words[1:])
        toast = "Confirm below." if answer.reply and answer.reply.pending else \
            ("Done." if answer.reply is not None and answer.reply.done else "Not done.")
        fresh = await self.panel(caller)  # the panel shows the state after the action
        return Press(toast, alert=toast == "Not done.", answer=answer, text=fresh.text, rows=fresh.rows)

    async def _menu(self, caller: Caller, kind: str, order_id: str) -> Press:
        tool, args = ("cancel_all", {}) if kind == "ca" else ("cancel_order", {"order_id": order_id})
        if not self.gate.permits(caller, tool):
            self.access.refused(caller.user_id, caller.chat_id, f"button {kind}", f"role {caller.role.value}")
            return Press(refusal_text(caller.role), alert=True)
        outcome = await self.gate.execute(caller, ToolCall(tool, args), kind=CallerKind.COMMAND)
        reply = reply_from([outcome], source="command")
        rows = confirm_rows(reply.pending) if reply.pending else None
        ok = reply.done
        toast = ("Confirm below." if reply.pending else "Done.") if ok else reply.text
        return Press(toast, alert=not ok, text=reply.text, rows=rows)


def _line_words(words: list[str] | None, values: dict[str, Any] | None) -> list[str]:
    """The words of a command line that re-runs this command (for Refresh)."""
    if words is not None:
        return list(words)
    return [str(v) for v in (values or {}).values() if v not in (None, "")]
