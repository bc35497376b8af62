"""The web chat: turns through the shared desk, streamed as JSON lines, and the buttons each message carries.

The conversation itself is the agent's (memory, per session's chat), so a reload shows it again; the actions
still waiting for this session's confirmation come back as Confirm / Cancel cards.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from loguru import logger

from bot.commands.buttons import Rows, confirm_rows
from tools.gate import Caller, PendingAction

if TYPE_CHECKING:
    from bot.web.api import Web

_log = logger.bind(component="web")
KEEP = 60  # messages with buttons remembered per chat
HISTORY = 40
WORKING_EVERY = 0.5  # seconds between two "still working" lines while a turn runs


def button_json(rows: Rows | None) -> list[list[dict[str, str]]]:
    """Buttons as JSON rows."""
    return [[{"label": b.label, "data": b.data, "style": b.style} for b in row] for row in rows or ()]


def answer_json(message: str, text: str, rows: Rows | None, photos: list[Any] | None = None) -> dict[str, Any]:
    """A chat message for the page."""
    return {"id": message, "role": "assistant", "text": text, "buttons": button_json(rows),
            "photos": len(photos or [])}


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":")) + "\n"


class ChatBook:
    """The buttons shown on each chat message (a press must name a message and data it really carries)."""

    def __init__(self) -> None:
        self._shown: dict[str, OrderedDict[str, tuple[Rows, str]]] = {}

    def _book(self, caller: Caller) -> OrderedDict[str, tuple[Rows, str]]:
        return self._shown.setdefault(caller.conversation, OrderedDict())

    def remember(self, caller: Caller, rows: Rows | None, text: str) -> str:
        """Keep a message's buttons; its id."""
        message = secrets.token_hex(6)
        if rows:
            book = self._book(caller)
            book[message] = (rows, text)
            while len(book) > KEEP:
                book.popitem(last=False)
        if len(self._shown) > 5000:
            self._shown.clear()
        return message

    def remember_card(self, caller: Caller, pending: PendingAction) -> str:
        """A confirmation card shown outside a chat turn (a dashboard control)."""
        return self.remember(caller, confirm_rows(pending), pending.summary)

    def buttons(self, caller: Caller, message: str) -> tuple[Rows, str] | None:
        """The buttons and text of a message, if it is known."""
        return self._book(caller).get(message)

    def update(self, caller: Caller, message: str, rows: Rows | None, text: str | None) -> None:
        """After a press: the message's new buttons (none: forget it)."""
        book = self._book(caller)
        if rows:
            old = book.get(message)
            book[message] = (rows, text if text is not None else (old[1] if old else ""))
        else:
            book.pop(message, None)

    def card_for(self, caller: Caller, code: str) -> str | None:
        """The message id of a known card for this pending code."""
        for message, (rows, _) in self._book(caller).items():
            if any(b.data.startswith(f"cf:{code}:") for row in rows for b in row):
                return message
        return None

    def history(self, web: Web, caller: Caller) -> dict[str, Any]:
        """The conversation (oldest first) and the cards still waiting."""
        store = web.ctx.store
        messages = []
        if store is not None and caller.chat_id != "local":
            for m in store.recent_messages(caller.conversation, HISTORY):
                if m.role in ("user", "assistant"):
                    messages.append({"role": m.role, "text": m.text, "at": m.at.isoformat()})
        cards = []
        if caller.chat_id != "local":
            for p in web.desk.gate.confirmations.pending_for(caller):
                message = self.card_for(caller, p.code) or self.remember_card(caller, p)
                cards.append({**answer_json(message, f"Waiting for your confirmation ({p.code}): {p.summary}",
                                            confirm_rows(p)), "expires_at": p.expires_at.isoformat()})
        return {"messages": messages, "cards": cards}

    async def turn(self, web: Web, caller: Caller, text: str) -> AsyncIterator[str]:
        """One chat turn as JSON lines: thinking, then working/delta lines while it runs, then done."""
        chunks: asyncio.Queue[str] = asyncio.Queue()

        async def stream_to(piece: str) -> None:
            await chunks.put(piece)

        started = time.monotonic()
        task = asyncio.get_running_loop().create_task(web.desk.text(caller, text, stream_to=stream_to))
        yield _line({"type": "thinking"})
        try:
            while not task.done():
                try:
                    piece = await asyncio.wait_for(chunks.get(), WORKING_EVERY)
                except TimeoutError:
                    yield _line({"type": "working", "seconds": round(time.monotonic() - started, 1)})
                    continue
                yield _line({"type": "delta", "text": piece})
            while not chunks.empty():
                yield _line({"type": "delta", "text": chunks.get_nowait()})
            answer = task.result()
        except asyncio.CancelledError:  # the page went away: the turn still finishes and is kept
            raise
        except Exception as exc:  # noqa: BLE001 - one line to the page, nothing else
            _log.error("web chat turn failed: {}", type(exc).__name__)
            web.hub.changed()
            yield _line({"type": "error", "text": "Something went wrong on my side; nothing was done."})
            return
        web.hub.changed()  # the turn may have traded: the page's next read must be a fresh one
        message = self.remember(caller, answer.rows, answer.text)
        out = answer_json(message, answer.text, answer.rows, answer.photos)
        if answer.reply is not None and answer.reply.pending is not None:
            out["expires_at"] = answer.reply.pending.expires_at.isoformat()
        yield _line({"type": "done", **out})


__all__ = ["ChatBook", "answer_json", "button_json"]
