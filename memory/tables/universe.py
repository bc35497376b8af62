"""Tables of the chosen universe (each choice of pairs, with its evidence) and of the days the daily profit target
was reached."""

# No `from __future__ import annotations` here: SQLModel reads the field annotations at class creation.

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Text
from sqlmodel import Field, SQLModel

from memory.tables.ledger import money, when


class UniverseChoiceRow(SQLModel, table=True):
    """One choice of the universe: which pairs, how, when, and (JSON) their volumes, history and the left out."""

    __tablename__ = "universe_choices"

    id: int | None = Field(default=None, primary_key=True)
    chosen_at: datetime = when(index=True)
    how: str = Field(max_length=20)
    quote: str = Field(max_length=12)
    size: int | None = None
    pairs: str = Field(sa_type=Text)  # JSON list
    detail: str = Field(default="{}", sa_type=Text)  # JSON: volumes, history, left_out, counts, warmup
    note: str = Field(default="", max_length=1000)
    key: str = Field(default="", max_length=500)


class ProfitTargetDayRow(SQLModel, table=True):
    """A UTC day on which the daily profit target was reached (no new entries for the rest of it)."""

    __tablename__ = "profit_target_days"

    day: date = Field(primary_key=True, sa_type=Date)
    reached_at: datetime = when()
    equity: Decimal = money()
    start_equity: Decimal = money()
    target: str = Field(max_length=40)
