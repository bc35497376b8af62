"""Tables of the learner: outcomes, pending shadows, the learner's open trades, arm states, changes, the freeze."""

# No `from __future__ import annotations` here: SQLModel reads the field annotations at class creation.

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from memory.tables.ledger import UTCDateTime, money, when


class OutcomeRow(SQLModel, table=True):
    """One closed trade or resolved shadow (a signal not taken), with its context and what it came to."""

    __tablename__ = "outcomes"
    __table_args__ = (Index("ix_outcomes_arm", "strategy", "regime"),)

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=120, unique=True)
    source: str = Field(max_length=10)
    shadow: bool = False
    symbol: str = Field(max_length=30)
    strategy: str = Field(max_length=60)
    regime: str = Field(max_length=40)
    entry_time: datetime = when(index=True)
    exit_time: datetime = when()
    hour: int = 0
    weekday: int = 0
    hold_minutes: int = 0
    entry_price: Decimal = money()
    exit_price: Decimal = money()
    net_return: float = 0.0
    gross_return: float = 0.0
    r_multiple: float | None = None
    mae: float = 0.0
    mfe: float = 0.0
    exit_reason: str = Field(max_length=16)
    recorded_at: datetime = when()


class ShadowSignalRow(SQLModel, table=True):
    """A long signal the autopilot did not take, waiting for later closed candles to settle its outcome."""

    __tablename__ = "shadow_signals"
    __table_args__ = (UniqueConstraint("symbol", "strategy", "candle_time", name="uq_shadow_signal"),)

    id: int | None = Field(default=None, primary_key=True)
    symbol: str = Field(max_length=30)
    strategy: str = Field(max_length=60)
    regime: str = Field(max_length=40)
    candle_time: datetime = Field(sa_type=UTCDateTime)  # open time of the candle whose close gave the signal
    atr: float = 0.0
    why_not: str = Field(default="", max_length=40)  # the skip reason
    created_at: datetime = when()


class LearningTradeRow(SQLModel, table=True):
    """A position the autopilot opened, as the learner follows it to its close (one per pair)."""

    __tablename__ = "learning_trades"

    symbol: str = Field(primary_key=True, max_length=30)
    strategy: str = Field(max_length=60)
    regime: str = Field(max_length=40)
    entry_order_id: str = Field(max_length=64)
    candle_time: datetime = when()
    opened_at: datetime = when()
    stop: Decimal | None = money(nullable=True)
    low: float | None = None  # extremes of the closed candles seen while it was held
    high: float | None = None


class LearningArmRow(SQLModel, table=True):
    """One arm's state: (strategy, regime) for every pair (pair ''), or for one pair with enough outcomes."""

    __tablename__ = "learning_arms"

    strategy: str = Field(primary_key=True, max_length=60)
    regime: str = Field(primary_key=True, max_length=40)
    pair: str = Field(default="", primary_key=True, max_length=30)
    on: bool = False
    n: int = 0
    mean: float = 0.0
    lcb: float | None = None
    updated_at: datetime = when()


class LearningChangeRow(SQLModel, table=True):
    """Every change of what the learner allows, with its evidence (and freezes, unfreezes and resets)."""

    __tablename__ = "learning_changes"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = when(index=True)
    kind: str = Field(max_length=10)  # on, off, freeze, unfreeze, reset
    strategy: str | None = Field(default=None, max_length=60)
    regime: str | None = Field(default=None, max_length=40)
    pair: str | None = Field(default=None, max_length=30)
    why: str = Field(default="", sa_type=Text)
    by: str = Field(default="learner", max_length=200)


class LearningControlRow(SQLModel, table=True):
    """The one row of the owner's freeze: while frozen, the arms' states do not change."""

    __tablename__ = "learning_control"

    id: int = Field(default=1, primary_key=True)
    frozen: bool = False
    by: str | None = Field(default=None, max_length=200)
    at: datetime | None = when(nullable=True)


class LearningRiskRow(SQLModel, table=True):
    """One arm's risk factor: the share (0 < factor <= 1) of the configured risk per trade it trades with."""

    __tablename__ = "learning_risk"

    strategy: str = Field(primary_key=True, max_length=60)
    regime: str = Field(primary_key=True, max_length=40)
    pair: str = Field(default="", primary_key=True, max_length=30)
    factor: float = 1.0
    why: str = Field(default="", sa_type=Text)
    updated_at: datetime = when()


class OutcomeSeedRow(SQLModel, table=True):
    """Where a seeded outcome came from: a walk-forward's out-of-sample test window on a candle set.

    One row per seeded outcome (its ref, as in outcomes); `zyn learn reset` drops them with the outcomes.
    """

    __tablename__ = "outcome_seeds"

    ref: str = Field(primary_key=True, max_length=120)
    source: str = Field(max_length=20)  # walkforward
    candle_set: str = Field(sa_type=Text)  # the candles it ran on: the store's set or a file
    window_start: datetime = when()
    window_end: datetime = when()
    seeded_at: datetime = when()
