"""What the paper simulator needs from persistence; memory/ implements it, trading never imports memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from trading.domain import Bracket, Fill, Order, OrderStatus, Position


@dataclass(slots=True)
class PaperSnapshot:
    """The paper account as persisted: totals per asset (holds derive from active orders)."""

    balances: dict[str, Decimal]
    active_orders: list[Order]  # status PENDING or OPEN
    positions: dict[str, Position]
    active_brackets: list[Bracket]  # status PENDING_ENTRY or ACTIVE


@dataclass(slots=True)
class PaperChange:
    """Everything one simulator step changed; committed atomically (all or nothing)."""

    balances: dict[str, Decimal] = field(default_factory=dict)  # asset -> new total
    orders: list[Order] = field(default_factory=list)  # upserted by id
    fills: list[Fill] = field(default_factory=list)  # inserted
    positions: list[Position] = field(default_factory=list)  # upserted by symbol
    brackets: list[Bracket] = field(default_factory=list)  # upserted by id

    def empty(self) -> bool:
        return not (self.balances or self.orders or self.fills or self.positions or self.brackets)


class PaperLedger(Protocol):
    """Durable store of the paper account."""

    def load_paper(self) -> PaperSnapshot | None:
        """The persisted account, or None if it was never funded."""
        ...

    def commit_paper(self, change: PaperChange) -> None:
        """Apply one change in a single transaction."""
        ...

    def list_orders(
        self, symbol: str | None = None, statuses: tuple[OrderStatus, ...] | None = None, limit: int | None = None
    ) -> list[Order]:
        """Orders newest first, filtered by symbol and status."""
        ...

    def get_order(self, order_id: str) -> Order | None:
        """One order by id or client id."""
        ...

    def list_fills(self, symbol: str | None = None, limit: int | None = None) -> list[Fill]:
        """Fills newest first."""
        ...
