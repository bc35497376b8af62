"""The autopilot's order intents: written before an order is sent, so a crash mid-tick is finished at restart.

An entry intent is saved in the same transaction that counts the entry against the daily limits, so a
crash between the order and the count cannot let the limits be exceeded. At the next tick (and at the
service's start) Recovery settles what a crash left: an entry intent is looked up by its client id (placed,
or void and uncounted); a half-done exit (legs cancelled, sale not made) is completed; a claimed candle
without a decision gets its decision row, with the strategy of the order it led to, or "interrupted".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable


class IntentKind(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"


class IntentStatus(StrEnum):
    PENDING = "pending"  # recorded; the order may or may not have been sent
    PLACED = "placed"  # the entry is on the exchange
    VOID = "void"  # the entry was never sent (or refused): uncounted
    DONE = "done"  # the exit's sale was made (or nothing was left to sell)
    UNFILLED = "unfilled"  # a maker entry cancelled at its timeout with nothing filled: uncounted
    FILLED = "filled"  # a maker entry that filled (in full or in part): no longer resting, the position is open


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """What the autopilot is about to do for one symbol and candle."""

    kind: IntentKind
    symbol: str
    candle_time: datetime
    client_id: str
    day: date  # the UTC day whose counters it is counted in (entries)
    amount: Decimal
    strategy: str | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)
    id: int | None = None
    status: IntentStatus = IntentStatus.PENDING
    order_id: str | None = None
    limit_price: Decimal | None = None  # a maker entry's post-only limit; None for a market entry
    stop_price: Decimal | None = None  # the entry's planned stop: a resting maker entry's risk is amount x the gap


@runtime_checkable
class IntentStore(Protocol):
    """Where intents are kept (memory's Database)."""

    def open_entry_intent(self, intent: OrderIntent) -> int:
        """Save an entry intent and count it in its day's limits, in one transaction; returns its id."""
        ...

    def open_exit_intent(self, intent: OrderIntent) -> int:
        """Save an exit intent; returns its id."""
        ...

    def settle_intent(self, intent_id: int, status: IntentStatus, order_id: str | None, at: datetime) -> None:
        """Mark an intent placed or done."""
        ...

    def void_entry_intent(self, intent_id: int, at: datetime) -> None:
        """Mark an entry never sent and take it off its day's counters, in one transaction."""
        ...

    def pending_intents(self) -> list[OrderIntent]:
        """Intents not settled yet, oldest first."""
        ...

    def intent_for(self, symbol: str, candle_time: datetime) -> OrderIntent | None:
        """The newest intent of this symbol and candle, or None."""
        ...

    def unfinished_claims(self, since: datetime) -> list[tuple[str, datetime]]:
        """Claimed (symbol, candle) pairs since `since` that have no evaluation row."""
        ...
