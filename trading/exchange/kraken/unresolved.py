"""LIVE orders whose outcome is unknown, settled by their client id in the background.

When AddOrder's answer is lost and the lookups by cl_ord_id find nothing either, the adapter raises
OrderOutcomeUnknownError; the order tool keeps the intent (client id, pair, side, amount, price, who asked,
when) and tells the person "outcome unknown: Zyn is checking". The service runs UnresolvedOrders.reconcile at
start-up and every minute: an intent found on Kraken by its client id is journaled as placed (with its txid)
and announced "was placed after all"; one still absent `give_up_after` after it was asked is marked not placed
and announced so. Nothing here ever sends an order: a retry is the person's, with a fresh decision.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from loguru import logger

from trading.clock import Clock
from trading.domain import Mode, Order
from trading.errors import OrderNotFoundError, ZynError
from trading.events import EventKind, OrderResolved

_log = logger.bind(component="unresolved")
# Kraken books a late request within seconds; after this long without a trace the order is certainly absent.
GIVE_UP_AFTER = timedelta(minutes=10)
RECONCILE_EVERY = 60  # seconds (the service's job)


@dataclass(frozen=True)
class OrderIntentRecord:
    """An order whose outcome is unknown, as kept in the LIVE database."""

    client_id: str
    symbol: str
    side: str
    order_type: str
    amount: str
    asked_by: str
    asked_at: datetime
    price: str | None = None
    bracket: bool = False
    status: str = "unknown"  # unknown | placed | not_placed
    order_id: str | None = None
    resolved_at: datetime | None = None
    note: str = ""

    def describe(self) -> str:
        """E.g. "buy 0.001 BTC/USD at market (client id zyn-..., asked by telegram:42 at 12:07 UTC)"."""
        how = "at market" if self.order_type == "market" else f"{self.order_type} {self.price}"
        kind = " (bracket entry)" if self.bracket else ""
        return (f"{self.side} {self.amount} {self.symbol} {how}{kind} (client id {self.client_id}, asked by "
                f"{self.asked_by} at {self.asked_at:%Y-%m-%d %H:%M} UTC)")


class UnresolvedStore(Protocol):
    """Where the intents are kept (memory's Database implements it)."""

    def unresolved_orders(self, status: str | None = "unknown") -> list[OrderIntentRecord]: ...

    def resolve_unresolved(self, client_id: str, status: str, *, at: datetime, order_id: str | None = None,
                           note: str = "") -> bool: ...

    def record_order(self, order: Order) -> None: ...


class OrderLookup(Protocol):
    async def fetch_order(self, order_id: str) -> Order: ...


class UnresolvedOrders:
    """Settles unknown intents by client id; reconcile() never raises (a failed lookup waits for the next run)."""

    def __init__(self, exchange: OrderLookup, store: UnresolvedStore, clock: Clock,
                 publish: Callable[[OrderResolved], Awaitable[None]] | None = None, *,
                 give_up_after: timedelta = GIVE_UP_AFTER) -> None:
        self.exchange, self.store, self.clock, self.publish = exchange, store, clock, publish
        self.give_up_after = give_up_after

    async def reconcile(self) -> list[str]:
        """Look every unknown intent up once; the lines announced (placed after all / not placed)."""
        told: list[str] = []
        try:
            intents = self.store.unresolved_orders()
        except Exception as exc:  # noqa: BLE001 - a scheduler job must keep running
            _log.warning("unresolved orders not read: {}", exc)
            return told
        for intent in intents:
            try:
                line = await self._settle(intent)
            except Exception as exc:  # noqa: BLE001 - Kraken or the database: tried again next run
                message = exc.message if isinstance(exc, ZynError) else type(exc).__name__
                _log.warning("order {} still unresolved: {}", intent.client_id, message)
                continue
            if line:
                told.append(line)
        return told

    async def _settle(self, intent: OrderIntentRecord) -> str | None:
        now = self.clock.now()
        try:
            order = await self.exchange.fetch_order(intent.client_id)
        except OrderNotFoundError:
            if now - intent.asked_at < self.give_up_after:
                return None  # it may still be booked late: look again next run
            note = f"not on Kraken {int(self.give_up_after.total_seconds() // 60)} minutes after it was asked"
            if not self.store.resolve_unresolved(intent.client_id, "not_placed", at=now, note=note):
                return None
            line = (f"Your order {intent.describe()} was NOT placed: Kraken has no order with its client id "
                    f"({note}). Nothing was bought or sold; place it again if you still want it.")
            await self._tell(line, intent, None, now)
            return line
        self.store.record_order(order)
        if not self.store.resolve_unresolved(intent.client_id, "placed", at=now, order_id=order.id,
                                             note=f"found on Kraken: {order.status.value}"):
            return None
        line = (f"Your order {intent.describe()} was placed after all: Kraken order {order.id}, "
                f"{order.status.value}, {order.filled} of {order.amount} filled.")
        await self._tell(line, intent, order, now)
        return line

    async def _tell(self, line: str, intent: OrderIntentRecord, order: Order | None, now: datetime) -> None:
        _log.warning(line)
        if self.publish is not None:
            await self.publish(OrderResolved(EventKind.ORDER_RESOLVED, now, Mode.LIVE.value, line,
                                             client_id=intent.client_id, placed=order is not None, order=order))
