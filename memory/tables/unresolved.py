"""LIVE orders whose outcome is unknown (Kraken's answer was lost): kept until settled by their client id."""

# No `from __future__ import annotations` here: SQLModel reads the field annotations at class creation.
from datetime import datetime

from sqlmodel import Field, SQLModel

from memory.tables.ledger import UTCDateTime


class UnresolvedOrderRow(SQLModel, table=True):
    """One order intent: what was asked, by whom, where and when; `status` sending (written ahead of the send),
    unknown, placed or not_placed; `told_at` once the asker had the outcome in their chat."""

    __tablename__ = "unresolved_orders"

    client_id: str = Field(primary_key=True, max_length=64)
    symbol: str = Field(max_length=30)
    side: str = Field(max_length=8)
    order_type: str = Field(max_length=20)
    amount: str = Field(max_length=40)
    price: str | None = Field(default=None, max_length=40)
    bracket: bool = False
    asked_by: str = Field(max_length=200)
    asked_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default="unknown", max_length=12, index=True)
    order_id: str | None = Field(default=None, max_length=64)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    note: str = Field(default="", max_length=500)
    # Added in schema 4 (nullable, so an older database gains them in place).
    reply_to: str | None = Field(default=None, max_length=200)
    source: str | None = Field(default=None, max_length=100)
    told_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
