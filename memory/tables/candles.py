"""The local candle store: candles per pair and timeframe, and where each set came from."""

# No `from __future__ import annotations` here: SQLModel reads the field annotations at class creation.
from datetime import datetime

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from memory.tables.ledger import UTCDateTime


class CandleRow(SQLModel, table=True):
    """One candle; prices and volume as exact decimal strings (as the file gave them, portable SQL)."""

    __tablename__ = "candles"
    __table_args__ = (UniqueConstraint("pair", "timeframe", "open_ms", name="uq_candle"),)

    id: int | None = Field(default=None, primary_key=True)
    pair: str = Field(max_length=30, index=True)
    timeframe: str = Field(max_length=8)
    open_ms: int = Field(sa_column=Column(BigInteger, nullable=False))  # open time, ms since the epoch (UTC)
    open: str = Field(max_length=40)
    high: str = Field(max_length=40)
    low: str = Field(max_length=40)
    close: str = Field(max_length=40)
    volume: str = Field(max_length=40)


class CandleImportRow(SQLModel, table=True):
    """One import (or fetch) into the store: what, from where, when, and how many candles were new."""

    __tablename__ = "candle_imports"

    id: int | None = Field(default=None, primary_key=True)
    pair: str = Field(max_length=30, index=True)
    timeframe: str = Field(max_length=8)
    source: str = Field(max_length=300)
    first_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    added: int
    skipped: int  # already in the store (a re-import adds nothing)
    at: datetime = Field(sa_type=UTCDateTime)
