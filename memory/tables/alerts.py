"""The alert_settings table: the (event kind, channel) pairs that were set explicitly."""

# No `from __future__ import annotations` here: SQLModel reads the field annotations at class creation.

from datetime import datetime

from sqlmodel import Field, SQLModel

from memory.tables.ledger import UTCDateTime


class AlertSettingRow(SQLModel, table=True):
    """One (kind, channel) pair that was set explicitly."""

    __tablename__ = "alert_settings"

    kind: str = Field(primary_key=True, max_length=40)
    channel: str = Field(primary_key=True, max_length=40)
    delivery: str = Field(max_length=10)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: str = Field(default="", max_length=200)
