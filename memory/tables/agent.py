"""Tables of the agent: pending confirmations, and per-chat conversation windows with a running summary."""

# No `from __future__ import annotations` here: SQLModel reads the field annotations at class creation.

from datetime import datetime

from sqlalchemy import Index, Text
from sqlalchemy import text as sql
from sqlmodel import Field, SQLModel

from memory.tables.ledger import when

CONFIRMATION_STATUSES = ("pending", "executed", "expired", "cancelled", "refused")
MESSAGE_ROLES = ("user", "assistant", "tool-summary")


class ConfirmationRow(SQLModel, table=True):
    """A state-changing call waiting for (or resolved by) its requester's confirmation."""

    __tablename__ = "confirmations"
    # Codes are short, so they are reused over time: unique only among pending rows (a partial index where
    # the database has them; elsewhere it is a plain unique index and the caller retries with a new code).
    __table_args__ = (
        Index("ux_confirmations_pending_code", "code", unique=True,
              sqlite_where=sql("status = 'pending'"), postgresql_where=sql("status = 'pending'")),
        Index("ix_confirmations_chat_user_status", "chat_id", "user_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=8, index=True)
    tool: str = Field(max_length=60)
    args: str = Field(default="{}", sa_type=Text)  # JSON object: the exact validated arguments
    user_id: str = Field(max_length=200)
    chat_id: str = Field(max_length=200)
    channel: str = Field(default="", max_length=20)  # user ids are only unique within one front end
    created_at: datetime = when()
    expires_at: datetime = when()
    status: str = Field(default="pending", max_length=16)
    summary: str = Field(default="", sa_type=Text)
    reference_price: str | None = Field(default=None, max_length=100)  # exact Decimal string
    resolved_at: datetime | None = when(nullable=True)
    result_text: str | None = Field(default=None, sa_type=Text)
    kind: str | None = Field(default=None, max_length=16)  # since schema 3: how it was asked (chat, command...)


class ConversationMessageRow(SQLModel, table=True):
    """One message in a chat's bounded window (already redacted by the caller)."""

    __tablename__ = "conversation_messages"
    __table_args__ = (Index("ix_conversation_messages_chat_id_id", "chat_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(max_length=200)
    role: str = Field(max_length=16)
    text: str = Field(default="", sa_type=Text)
    at: datetime = when()


class ConversationSummaryRow(SQLModel, table=True):
    """The running summary of a chat's messages that left the window."""

    __tablename__ = "conversation_summaries"

    chat_id: str = Field(primary_key=True, max_length=200)
    summary: str = Field(default="", sa_type=Text)
    updated_at: datetime | None = when(nullable=True)
