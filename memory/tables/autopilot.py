"""Tables of the autopilot: tick claims, run state, the risk layer's days and kill switch, the evaluation log."""

# No `from __future__ import annotations` here: SQLModel reads the field annotations at class creation.

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Index, Text
from sqlmodel import Field, SQLModel

from memory.tables.ledger import UTCDateTime, money, when


class TickClaimRow(SQLModel, table=True):
    """One (symbol, closed candle) the autopilot has taken on; the primary key makes a second claim fail."""

    __tablename__ = "tick_claims"

    symbol: str = Field(primary_key=True, max_length=30)
    candle_time: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    claimed_at: datetime = when()


class AnnouncedFillRow(SQLModel, table=True):
    """A fill whose alert went out (or was deliberately skipped); the primary key makes a second claim fail."""

    __tablename__ = "announced_fills"

    fill_id: str = Field(primary_key=True, max_length=64)
    announced_at: datetime = when()


class AutopilotStateRow(SQLModel, table=True):
    """The one row of the autopilot's run state."""

    __tablename__ = "autopilot_state"

    id: int = Field(default=1, primary_key=True)
    enabled: bool = False
    last_tick_at: datetime | None = when(nullable=True)
    last_candle_time: datetime | None = when(nullable=True)
    next_tick_at: datetime | None = when(nullable=True)
    updated_at: datetime | None = when(nullable=True)
    note: str | None = Field(default=None, max_length=500)


class RiskDayRow(SQLModel, table=True):
    """One UTC day's start equity and entry counts."""

    __tablename__ = "risk_days"

    day: date = Field(primary_key=True, sa_type=Date)
    start_equity: Decimal | None = money(nullable=True)
    trades_total: int = 0
    trades_by_symbol: str = Field(default="{}", sa_type=Text)  # JSON object symbol -> count


class KillSwitchRow(SQLModel, table=True):
    """The one row of the daily-loss kill switch."""

    __tablename__ = "kill_switch"

    id: int = Field(default=1, primary_key=True)
    tripped: bool = False
    tripped_at: datetime | None = when(nullable=True)
    day: date | None = Field(default=None, sa_type=Date, nullable=True)
    reason: str | None = Field(default=None, sa_type=Text)
    equity_at_trip: Decimal | None = money(nullable=True)
    start_equity: Decimal | None = money(nullable=True)
    reset_at: datetime | None = when(nullable=True)
    reset_by: str | None = Field(default=None, max_length=200)


class EvaluationRow(SQLModel, table=True):
    """One evaluation (symbol, closed candle); the dict and list fields are JSON text, portable everywhere."""

    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_symbol_candle_time", "symbol", "candle_time"),)

    id: int | None = Field(default=None, primary_key=True)
    symbol: str = Field(max_length=30)
    candle_time: datetime = when(index=True)
    evaluated_at: datetime = when()
    decision: str = Field(max_length=16)
    regime: str | None = Field(default=None, max_length=40)
    strategy: str | None = Field(default=None, max_length=60)
    signal: int = 0
    indicators: str = Field(default="{}", sa_type=Text)
    regime_values: str = Field(default="{}", sa_type=Text)
    filters: str = Field(default="[]", sa_type=Text)
    reasons: str = Field(default="[]", sa_type=Text)
    skip_reason: str | None = Field(default=None, max_length=40)
    position: str = Field(default="{}", sa_type=Text)
    order_id: str | None = Field(default=None, max_length=64)
    mode: str = Field(default="paper", max_length=16)


class KillStepRow(SQLModel, table=True):
    """The kill switch's outbox: one consequence of a trip, saved with it and retried until done."""

    __tablename__ = "kill_switch_steps"
    __table_args__ = (Index("ix_kill_switch_steps_done", "done"),)

    id: int | None = Field(default=None, primary_key=True)
    tripped_at: datetime = when()
    kind: str = Field(max_length=30)
    text: str = Field(default="", sa_type=Text)
    done: bool = False
    done_at: datetime | None = when(nullable=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=300)


class OrderIntentRow(SQLModel, table=True):
    """An order the autopilot is about to send (entry) or an exit it started; settled when done."""

    __tablename__ = "autopilot_intents"
    __table_args__ = (Index("ix_autopilot_intents_status", "status"),
                      Index("ix_autopilot_intents_symbol_candle", "symbol", "candle_time"))

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    symbol: str = Field(max_length=30)
    candle_time: datetime = when()
    client_id: str = Field(max_length=64)
    day: date = Field(sa_type=Date)
    amount: Decimal = money()
    strategy: str | None = Field(default=None, max_length=60)
    reasons: str = Field(default="[]", sa_type=Text)
    status: str = Field(default="pending", max_length=10)
    order_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = when()
    settled_at: datetime | None = when(nullable=True)
    limit_price: Decimal | None = money(nullable=True)  # a maker entry's post-only limit (None: a market entry)
    stop_price: Decimal | None = money(nullable=True)  # the entry's planned stop
