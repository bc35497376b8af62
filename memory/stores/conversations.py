"""Per-chat conversation memory, mixed into Database: a window of messages and a running summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, func
from sqlmodel import select

from memory.tables.agent import MESSAGE_ROLES, ConversationMessageRow, ConversationSummaryRow

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class StoredMessage:
    """One message of a chat's window."""

    role: str  # "user" | "assistant" | "tool-summary"
    text: str
    at: datetime


class ConversationStoreMixin:
    """Conversations on top of Database.session()."""

    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    def append_message(self, chat_id: str, role: str, text: str, at: datetime) -> None:
        """Add one (already redacted) message to a chat."""
        if role not in MESSAGE_ROLES:
            raise ValueError(f"unknown message role '{role}'")
        with self.session(write=True) as s:
            s.add(ConversationMessageRow(chat_id=chat_id, role=role, text=text, at=at))
            s.commit()

    def recent_messages(self, chat_id: str, limit: int) -> list[StoredMessage]:
        """The chat's newest `limit` messages, oldest first."""
        query = (select(ConversationMessageRow).where(ConversationMessageRow.chat_id == chat_id)
                 .order_by(ConversationMessageRow.id.desc()).limit(limit))
        with self.session() as s:
            rows = s.exec(query).all()
        return [StoredMessage(role=r.role, text=r.text, at=r.at) for r in reversed(rows)]

    def count_messages(self, chat_id: str) -> int:
        """How many messages the chat's window holds."""
        with self.session() as s:
            return s.exec(select(func.count()).select_from(ConversationMessageRow)
                          .where(ConversationMessageRow.chat_id == chat_id)).one()

    def get_summary(self, chat_id: str) -> str:
        """The chat's running summary ("" if none)."""
        with self.session() as s:
            row = s.get(ConversationSummaryRow, chat_id)
        return row.summary if row is not None else ""

    def set_summary(self, chat_id: str, text: str, at: datetime | None = None) -> None:
        """Replace the chat's running summary."""
        with self.session(write=True) as s:
            _put_summary(s, chat_id, text, at or datetime.now(UTC))
            s.commit()

    def fold_messages(self, chat_id: str, keep: int, fold: Callable[[str, list[StoredMessage]], str],
                      at: datetime | None = None) -> int:
        """Fold all but the newest `keep` messages into the summary, in one transaction; returns how many."""
        with self.session(write=True) as s:
            rows = s.exec(select(ConversationMessageRow).where(ConversationMessageRow.chat_id == chat_id)
                          .order_by(ConversationMessageRow.id)).all()
            overflow = rows[: max(len(rows) - keep, 0)]
            if not overflow:
                return 0
            current = s.get(ConversationSummaryRow, chat_id)
            summary = fold(current.summary if current is not None else "",
                           [StoredMessage(role=r.role, text=r.text, at=r.at) for r in overflow])
            last_id = overflow[-1].id
            s.connection().execute(delete(ConversationMessageRow).where(
                ConversationMessageRow.chat_id == chat_id, ConversationMessageRow.id <= last_id))
            _put_summary(s, chat_id, summary, at or datetime.now(UTC))
            s.commit()
        return len(overflow)


def _put_summary(s: Session, chat_id: str, text: str, at: datetime) -> None:
    row = s.get(ConversationSummaryRow, chat_id)
    if row is None:
        row = ConversationSummaryRow(chat_id=chat_id, summary=text, updated_at=at)
    else:
        row.summary, row.updated_at = text, at
    s.add(row)
