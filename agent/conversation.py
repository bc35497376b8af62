"""Per-chat conversation memory: a bounded window of messages plus a running summary of older ones."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

ROLES = ("user", "assistant", "tool-summary")
_LABEL = {"user": "user asked", "assistant": "zyn answered", "tool-summary": "tools said"}
_SEP = "; "
_SPACE = re.compile(r"\s+")


class ConversationStore(Protocol):
    """What ConversationMemory needs from the database (memory.stores.conversations.ConversationStoreMixin)."""

    def append_message(self, chat_id: str, role: str, text: str, at: datetime) -> None: ...

    def recent_messages(self, chat_id: str, limit: int) -> list[Any]: ...

    def count_messages(self, chat_id: str) -> int: ...

    def get_summary(self, chat_id: str) -> str: ...

    def fold_messages(self, chat_id: str, keep: int, fold: Any, at: datetime | None = None) -> int: ...


class ConversationMemory:
    """Remembers each chat separately; the caller passes text that is already redacted."""

    def __init__(self, store: ConversationStore, *, window: int = 12, summary_chars: int = 1200,
                 message_chars: int = 2000) -> None:
        if window < 1 or summary_chars < 40:
            raise ValueError("the window needs at least 1 message and the summary at least 40 characters")
        self.store = store
        self.window = window
        self.summary_chars = summary_chars
        self.message_chars = message_chars  # one pasted wall of text must not crowd out the rest

    def add(self, chat_id: str, role: str, text: str, at: datetime) -> None:
        """Remember one message; what leaves the window is folded into the chat's summary."""
        if role not in ROLES:
            raise ValueError(f"unknown role '{role}' (expected one of {', '.join(ROLES)})")
        self.store.append_message(chat_id, role, text[: self.message_chars], at)
        if self.store.count_messages(chat_id) > self.window:
            self.store.fold_messages(chat_id, self.window, self.fold, at)

    def context(self, chat_id: str) -> tuple[str, list[Any]]:
        """(running summary, the window's messages oldest first) for the next model call."""
        return self.store.get_summary(chat_id), self.store.recent_messages(chat_id, self.window)

    def fold(self, summary: str, messages: Sequence[Any]) -> str:
        """The summary with these (oldest) messages folded in, within summary_chars."""
        return summarise(summary, messages, self.summary_chars)


def condense(text: str, limit: int = 160) -> str:
    """One line: whitespace collapsed, cut at `limit` characters with an ellipsis."""
    line = _SPACE.sub(" ", text).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def summarise(previous: str, messages: Sequence[Any], limit: int, line_chars: int = 160) -> str:
    """Deterministic: "user asked: ...; zyn answered: ..." appended to the old summary; the oldest parts go first."""
    parts = [f"{_LABEL.get(m.role, m.role)}: {condense(m.text, line_chars)}" for m in messages if m.text.strip()]
    text = _SEP.join(p for p in (previous, *parts) if p)
    if len(text) <= limit:
        return text
    # Keep the newest part of the story, starting at a whole "who said what" entry when one fits.
    tail = text[-(limit - 2):]
    cut = tail.find(_SEP)
    if 0 <= cut < len(tail) - len(_SEP):
        tail = tail[cut + len(_SEP):]
    return "… " + tail
