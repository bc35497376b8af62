"""The risk layer's persisted state (per-UTC-day counts, the kill switch) and the store protocol behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class DayState:
    """One UTC day: the equity it started with and the entries made so far."""

    day: date
    start_equity: Decimal | None  # None only when an entry was recorded before the day was started
    trades_total: int = 0
    trades_by_symbol: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class KillSwitchState:
    """The daily-loss kill switch. After a reset the last trip's facts stay, with who reset it and when."""

    tripped: bool = False
    tripped_at: datetime | None = None
    day: date | None = None  # the UTC day of the last trip; a trip ends when this day does
    reason: str | None = None
    equity_at_trip: Decimal | None = None
    start_equity: Decimal | None = None
    reset_at: datetime | None = None
    reset_by: str | None = None


class RiskStore(Protocol):
    """Durable storage for the risk layer; memory's Database implements it."""

    def get_day(self, day: date) -> DayState | None:
        """The counts of a UTC day, or None if nothing was recorded that day."""
        ...

    def put_day(self, state: DayState) -> None:
        """Insert or replace the counts of state.day."""
        ...

    def get_kill_switch(self) -> KillSwitchState:
        """The kill switch as last stored (an untripped one if never stored)."""
        ...

    def put_kill_switch(self, state: KillSwitchState) -> None:
        """Replace the stored kill switch."""
        ...


class KillStepKind(StrEnum):
    """What a trip of the kill switch must still do; each kind is idempotent."""

    CANCEL_ENTRIES = "cancel_entries"  # cancel every resting buy (an already cancelled one is success)
    FLATTEN = "flatten"  # sell every holding at market (only when flatten_on_kill)
    ALERT = "alert"  # tell the people, once: claimed in the database before it is sent


@dataclass(frozen=True, slots=True)
class KillStep:
    """One consequence of a trip: recorded with the trip, retried until done (an outbox row)."""

    kind: KillStepKind
    text: str = ""  # the alert's text; for the others, what the trip was
    id: int | None = None
    tripped_at: datetime | None = None
    done: bool = False
    attempts: int = 0
    last_error: str | None = None


@runtime_checkable
class KillSwitchOutbox(Protocol):
    """A store that saves a trip and its consequences in one transaction (memory's Database does)."""

    def trip_kill_switch(self, state: KillSwitchState, steps: list[KillStep]) -> None:
        """Replace the stored kill switch and record its steps, atomically."""
        ...

    def get_kill_switch(self) -> KillSwitchState:
        """The kill switch as last stored."""
        ...

    def pending_kill_steps(self) -> list[KillStep]:
        """Steps not done yet, oldest first."""
        ...

    def claim_kill_step(self, step_id: int, at: datetime) -> bool:
        """Mark a pending step done; True only for the one caller that did it (in any process)."""
        ...

    def kill_step_failed(self, step_id: int, error: str) -> None:
        """Count a failed attempt (the step stays pending and is retried)."""
        ...
