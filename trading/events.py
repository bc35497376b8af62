"""Typed events and an in-process bus: the autopilot and tools publish, the notifier subscribes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from loguru import logger

from trading.domain import Fill, Order

_log = logger.bind(component="events")


class EventKind(StrEnum):
    ORDER_PLACED = "order_placed"
    ORDER_FILLED = "order_filled"
    ORDER_CANCELLED = "order_cancelled"
    BRACKET_EXIT = "bracket_exit"
    KILL_SWITCH_TRIPPED = "kill_switch_tripped"
    AUTOPILOT_ERROR = "autopilot_error"
    TICK_COMPLETED = "tick_completed"
    PROTECTION = "protection"  # a LIVE position's stop: refused, cancelled outside Zyn, replaced, or missing
    ORDER_RESOLVED = "order_resolved"  # a LIVE order whose outcome was unknown: placed after all, or not placed
    PROFIT_TARGET_REACHED = "profit_target_reached"  # the day's gain reached the daily profit target: no new entries


@dataclass(frozen=True)
class Event:
    kind: EventKind
    at: datetime
    mode: str
    text: str  # one line a person can read


@dataclass(frozen=True)
class OrderPlaced(Event):
    order: Order | None = None
    strategy: str | None = None


@dataclass(frozen=True)
class OrderFilled(Event):
    fill: Fill | None = None
    pnl: Decimal | None = None  # realised P&L (after fees) when the fill closes a position


@dataclass(frozen=True)
class OrderCancelled(Event):
    order: Order | None = None


@dataclass(frozen=True)
class BracketExit(Event):
    fill: Fill | None = None
    exit_kind: str = ""  # "stop-loss" or "take-profit"
    pnl: Decimal | None = None  # realised P&L of the exit, after fees


@dataclass(frozen=True)
class KillSwitchTripped(Event):
    equity: Decimal = Decimal(0)
    start_equity: Decimal = Decimal(0)
    loss_fraction: Decimal = Decimal(0)


@dataclass(frozen=True)
class ProfitTargetReached(Event):
    equity: Decimal = Decimal(0)
    start_equity: Decimal = Decimal(0)
    target: str = ""  # as the owner gave it: "2%" or "50 USD"


@dataclass(frozen=True)
class AutopilotError(Event):
    symbol: str | None = None


@dataclass(frozen=True)
class ProtectionAlert(Event):
    """A LIVE holding's protection changed or failed; `urgent` when the coins are (partly) unprotected now."""

    symbol: str = ""
    bracket_id: str = ""
    urgent: bool = True


@dataclass(frozen=True)
class TickCompleted(Event):
    candle_time: datetime | None = None
    evaluated: int = 0
    entries: int = 0
    exits: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


Handler = Callable[[Event], Awaitable[None] | None]


class EventBus:
    """Fan-out to subscribers; a failing subscriber is logged and never blocks the others or trading."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []
        self.history: list[Event] = []  # the most recent events, for views and tests
        self._keep = 500

    def subscribe(self, handler: Handler) -> None:
        """Call handler for every event published from now on."""
        self._handlers.append(handler)

    async def publish(self, event: Event) -> None:
        """Deliver an event to every subscriber."""
        self.history.append(event)
        del self.history[: -self._keep]
        for handler in list(self._handlers):
            try:
                result = handler(event)
                if asyncio.iscoroutine(result):
                    await result
            except Exception as exc:  # noqa: BLE001 - a broken channel must not stop trading
                _log.opt(exception=exc).error("event handler failed for {}", event.kind.value)


@dataclass(frozen=True)
class OrderResolved(Event):
    """A LIVE order whose outcome was unknown is settled by its client id: `placed` (then `order`) or not."""

    client_id: str = ""
    placed: bool = False
    order: Order | None = None
    reply_to: str = ""  # the chat where the person asked ("telegram:42"); the service replies there


@dataclass(frozen=True)
class StartupReport(Event):
    """LIVE start-up: open orders, fills made while Zyn was down, holdings no resting stop covers (`urgent`)."""

    urgent: bool = False
    open_orders: int = 0
    fills_while_down: int = 0
    unprotected: tuple[str, ...] = ()
