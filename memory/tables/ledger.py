"""SQLModel tables. Decimals are stored as exact strings and times as naive UTC, both portable SQL."""

# No `from __future__ import annotations` here: SQLModel reads the field annotations at class creation.

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from memory.vocab import SCHEMA_VERSION  # noqa: F401  (declared without the database layer; re-exported)


class DecimalString(TypeDecorator):
    """A Decimal kept as its exact string: no float, no database-specific NUMERIC scale."""

    impl = String(100)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if not number.is_finite():
            raise ValueError(f"refusing to store a non-finite number: {number}")
        return str(number)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime, stored naive (every database orders and compares it the same way)."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime; Zyn's times are aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def money(*, nullable: bool = False) -> Any:
    """A Decimal column."""
    return Field(default=None, sa_type=DecimalString, nullable=nullable)


def when(*, nullable: bool = False, index: bool = False) -> Any:
    """A UTC time column."""
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class MetaRow(SQLModel, table=True):
    """The one row saying which mode this database belongs to."""

    __tablename__ = "meta"

    id: int = Field(default=1, primary_key=True)
    mode: str = Field(max_length=16)
    schema_version: int
    created_at: datetime = when()


class OrderRow(SQLModel, table=True):
    __tablename__ = "orders"

    id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, unique=True, index=True)
    seq: int = Field(index=True)  # insertion order: breaks ties between orders placed in the same instant
    symbol: str = Field(max_length=30, index=True)
    side: str = Field(max_length=8)
    type: str = Field(max_length=16)
    amount: Decimal = money()
    price: Decimal | None = money(nullable=True)
    stop_price: Decimal | None = money(nullable=True)
    status: str = Field(max_length=16, index=True)
    filled: Decimal = money()
    average: Decimal | None = money(nullable=True)
    fee: Decimal = money()
    fee_currency: str | None = Field(default=None, max_length=16)
    bracket_id: str | None = Field(default=None, max_length=64, index=True)
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = when(index=True)
    updated_at: datetime = when()
    # Since schema 3 (nullable: older rows did not record it); see trading.attribution.
    source: str | None = Field(default=None, max_length=120)
    strategy: str | None = Field(default=None, max_length=64)
    # Since schema 4 (nullable: older rows are plain orders).
    post_only: bool | None = Field(default=None, nullable=True)


class FillRow(SQLModel, table=True):
    """One execution. order_id is not a foreign key: LIVE fills may belong to orders placed elsewhere."""

    __tablename__ = "fills"

    id: str = Field(primary_key=True, max_length=64)
    seq: int = Field(index=True)
    order_id: str = Field(max_length=64, index=True)
    client_id: str = Field(max_length=64)
    symbol: str = Field(max_length=30, index=True)
    side: str = Field(max_length=8)
    amount: Decimal = money()
    price: Decimal = money()
    fee: Decimal = money()
    fee_currency: str = Field(max_length=16)
    liquidity: str = Field(max_length=8)
    timestamp: datetime = when(index=True)
    # Since schema 3: its order's source and strategy (trading.attribution), or "reconciler".
    source: str | None = Field(default=None, max_length=120)
    strategy: str | None = Field(default=None, max_length=64)


class PositionRow(SQLModel, table=True):
    __tablename__ = "positions"

    symbol: str = Field(primary_key=True, max_length=30)
    amount: Decimal = money()
    avg_price: Decimal = money()
    realized_pnl: Decimal = money()
    fees_paid: Decimal = money()
    updated_at: datetime | None = when(nullable=True)


class BracketRow(SQLModel, table=True):
    __tablename__ = "brackets"

    id: str = Field(primary_key=True, max_length=64)
    symbol: str = Field(max_length=30)
    side: str = Field(max_length=8)
    entry_order_id: str = Field(max_length=64)
    stop_order_id: str | None = Field(default=None, max_length=64)
    take_profit_order_id: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=16, index=True)
    created_at: datetime = when(index=True)
    stop_price: Decimal | None = money(nullable=True)
    take_profit_price: Decimal | None = money(nullable=True)
    # Since schema 2; nullable so that ALTER TABLE ... ADD COLUMN can add them to an existing file.
    exit_kind: str | None = Field(default=None, max_length=32)
    leg_seq: int | None = Field(default=None)
    note: str | None = Field(default=None, max_length=500)
    updated_at: datetime | None = when(nullable=True)
    # Since schema 3: who placed the bracket; its entry and legs inherit it.
    source: str | None = Field(default=None, max_length=120)
    strategy: str | None = Field(default=None, max_length=64)


class PaperBalanceRow(SQLModel, table=True):
    __tablename__ = "paper_balances"

    asset: str = Field(primary_key=True, max_length=16)
    total: Decimal = money()


class BalanceSnapshotRow(SQLModel, table=True):
    """One asset's balance at one moment; rows sharing timestamp and source form one snapshot."""

    __tablename__ = "balance_snapshots"

    id: int | None = Field(default=None, primary_key=True)
    timestamp: datetime = when(index=True)
    asset: str = Field(max_length=16)
    total: Decimal = money()
    used: Decimal = money()
    equity_quote: Decimal | None = money(nullable=True)
    source: str = Field(max_length=40)
