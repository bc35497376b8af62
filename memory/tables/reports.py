"""The report_runs table: one scheduled report of one kind for one UTC day, and its statuses."""

# No `from __future__ import annotations` here: SQLModel reads the field annotations at class creation.

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Text
from sqlmodel import Field, SQLModel

from memory.tables.ledger import when


class ReportRunStatus(StrEnum):
    CLAIMED = "claimed"  # taken by a process that is building or sending it (or died doing so)
    SENT = "sent"  # at least one channel delivered it
    FAILED = "failed"  # nothing was delivered; it may be claimed again


class ReportRunRow(SQLModel, table=True):
    """One scheduled report of one kind for one UTC day; the primary key makes a second claim fail."""

    __tablename__ = "report_runs"

    kind: str = Field(primary_key=True, max_length=40)
    day: date = Field(primary_key=True, sa_type=Date)
    status: str = Field(max_length=16)
    attempts: int = 1
    claimed_at: datetime = when()
    claimed_by: str = Field(default="", max_length=80)
    sent_at: datetime | None = when(nullable=True)
    channels_ok: str = Field(default="[]", sa_type=Text)  # JSON list of channel names
    channels_failed: str = Field(default="{}", sa_type=Text)  # JSON object channel -> short error
    error: str | None = Field(default=None, sa_type=Text)
