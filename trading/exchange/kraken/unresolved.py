"""LIVE orders whose outcome is unknown, settled by their client id in the background.

When AddOrder's answer is lost and the lookups by cl_ord_id find nothing either, the adapter raises
OrderOutcomeUnknownError; the order tool keeps the intent (client id, pair, side, amount, price, who asked,
when) and tells the person "outcome unknown: Zyn is checking". The service runs UnresolvedOrders.reconcile at
start-up and every minute: an intent found on Kraken by its client id is journaled as placed (with its txid)
and announced "Resolved: ... was placed"; one still absent `give_up_after` after it was asked is marked not
placed and announced so. Nothing here ever sends an order: a retry is the person's, with a fresh decision.

Every LIVE order from a person (chat, slash command, CLI, web) is written ahead too: the order tool keeps its
intent with status "sending" before AddOrder goes out and settles it once the order is journaled (placed) or
refused (not placed). An intent still "sending" `SEND_WINDOW` after it was asked belongs to a process that
died between the send and the journal: it is settled here by client id like an unknown one, so the order is
journaled exactly once and the person told. The intent carries the asking chat (`reply_to`, e.g.
"telegram:42"); the service (bot/) delivers the resolution there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
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
# A send (timeouts, retries, lookups) ends well within this: a "sending" intent older than it was interrupted.
SEND_WINDOW = timedelta(minutes=2)


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
    status: str = "unknown"  # sending (written ahead) | unknown | placed | not_placed
    order_id: str | None = None
    resolved_at: datetime | None = None
    note: str = ""
    reply_to: str = ""  # the asking chat, "<front end>:<chat id>" ("telegram:42", "cli:terminal"); "" none
    source: str = ""  # who placed it (trading.attribution), kept on the order once it is journaled
    told_at: datetime | None = None  # when the asker got the resolution in their chat (or had their answer)

    def what(self) -> str:
        """E.g. "buy 0.001 BTC/USD at market" or "sell 0.01 ETH/USD limit 3000 (bracket entry)"."""
        how = "at market" if self.order_type == "market" else f"{self.order_type} {self.price}"
        return f"{self.side} {self.amount} {self.symbol} {how}" + (" (bracket entry)" if self.bracket else "")

    def resolution(self, order: Order | None = None) -> str:
        """How a settled intent ended, for the person who asked (order: Kraken's record, when found)."""
        if self.status == "placed":
            detail = f", {order.status.value}, {order.filled} of {order.amount} filled" if order is not None else ""
            return (f"Resolved: your {self.what()} was placed (Kraken order {self.order_id}{detail}; "
                    f"client id {self.client_id}).")
        done = "bought" if self.side == "buy" else "sold"
        return (f"Resolved: your {self.what()} was not placed; nothing was {done}. Kraken has no order with its "
                f"client id {self.client_id} ({self.note}); place it again if you still want it.")

    def describe(self) -> str:
        """E.g. "buy 0.001 BTC/USD at market (client id zyn-..., asked by telegram:42 at 12:07 UTC)"."""
        return (f"{self.what()} (client id {self.client_id}, asked by {self.asked_by} at "
                f"{self.asked_at:%Y-%m-%d %H:%M} UTC)")


class UnresolvedStore(Protocol):
    """Where the intents are kept (memory's Database implements it)."""

    def unresolved_orders(self, status: str | None = "unknown") -> list[OrderIntentRecord]: ...

    def unresolved_order(self, client_id: str) -> OrderIntentRecord | None: ...

    def unsettled_orders(self, sending_before: datetime) -> list[OrderIntentRecord]:
        """The unknown intents and those still "sending" since before `sending_before`, oldest first."""
        ...

    def resolve_unresolved(self, client_id: str, status: str, *, at: datetime, order_id: str | None = None,
                           note: str = "", told: bool = False) -> bool: ...

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
        """Look every unsettled intent up once; the lines announced (placed / not placed)."""
        return [line for _, line in await self.settle()]

    async def settle(self, client_id: str | None = None) -> list[tuple[OrderIntentRecord, str]]:
        """Look every unsettled intent (or only the one with this client id, even while it is young and still
        "sending") up once; each settled intent with its resolution line. Never raises."""
        settled: list[tuple[OrderIntentRecord, str]] = []
        try:
            if client_id is None:
                intents = self.store.unsettled_orders(self.clock.now() - SEND_WINDOW)
            else:
                one = self.store.unresolved_order(client_id)
                intents = [one] if one is not None and one.status in ("sending", "unknown") else []
        except Exception as exc:  # noqa: BLE001 - a scheduler job must keep running
            _log.warning("unresolved orders not read: {}", exc)
            return settled
        for intent in intents:
            try:
                line = await self._settle(intent)
            except Exception as exc:  # noqa: BLE001 - Kraken or the database: tried again next run
                message = exc.message if isinstance(exc, ZynError) else type(exc).__name__
                _log.warning("order {} still unresolved: {}", intent.client_id, message)
                continue
            if line:
                settled.append((intent, line))
        return settled

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
            line = replace(intent, status="not_placed", note=note, resolved_at=now).resolution()
            await self._tell(line, intent, None, now)
            return line
        if intent.source and not order.source:
            order = order.evolve(source=intent.source)  # who asked for it, as the journal would have kept it
        self.store.record_order(order)
        if not self.store.resolve_unresolved(intent.client_id, "placed", at=now, order_id=order.id,
                                             note=f"found on Kraken: {order.status.value}"):
            return None
        line = replace(intent, status="placed", order_id=order.id, resolved_at=now).resolution(order)
        await self._tell(line, intent, order, now)
        return line

    async def _tell(self, line: str, intent: OrderIntentRecord, order: Order | None, now: datetime) -> None:
        _log.warning(line)
        if self.publish is not None:
            await self.publish(OrderResolved(EventKind.ORDER_RESOLVED, now, Mode.LIVE.value, line,
                                             client_id=intent.client_id, placed=order is not None, order=order,
                                             reply_to=intent.reply_to))
