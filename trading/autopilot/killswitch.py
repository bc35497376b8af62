"""The kill switch's outbox, worked off: cancel the resting buys, flatten if configured, alert once.

The trip saved its steps in the same transaction (trading.risk.state.KillSwitchOutbox). Every tick, every
fill watch and the service's start run the pending ones; each is idempotent, so a crash or a refused call
only delays it: a cancel of an order that is already gone is success, and the alert is claimed in the
database before it is published, so it goes out once whatever the number of processes or restarts.
"""

from __future__ import annotations

import asyncio

from loguru import logger

from trading.attribution import KILL_SWITCH
from trading.autopilot.flatten import flatten_all
from trading.clock import Clock
from trading.domain import ZERO, OrderStatus, Side
from trading.errors import OrderNotFoundError, ZynError
from trading.events import EventBus, EventKind, KillSwitchTripped, OrderCancelled
from trading.exchange.base import Exchange
from trading.risk.state import KillStep, KillStepKind, KillSwitchOutbox

_log = logger.bind(component="kill-switch")


class KillSwitchOutboxRunner:
    """Runs the pending steps of the kill switch's outbox (one run at a time in this process)."""

    def __init__(self, exchange: Exchange, store: KillSwitchOutbox, clock: Clock, bus: EventBus, *,
                 quote: str = "USD") -> None:
        self.exchange, self.store, self.clock, self.bus, self.quote = exchange, store, clock, bus, quote
        self._lock = asyncio.Lock()  # the tick and the fill watcher both call run()

    async def run(self) -> int:
        """Run every pending step; returns how many are still pending. Never raises."""
        async with self._lock:
            try:
                steps = self.store.pending_kill_steps()
            except Exception as exc:  # noqa: BLE001 - the next run reads them again
                _log.warning("kill switch steps not read: {}", exc)
                return -1
            left = 0
            for step in steps:
                if not await self._one(step):
                    left += 1
            return left

    async def _one(self, step: KillStep) -> bool:
        assert step.id is not None
        try:
            if step.kind is KillStepKind.ALERT:
                return await self._alert(step)
            if step.kind is KillStepKind.CANCEL_ENTRIES:
                await self._cancel_entries()
            elif step.kind is KillStepKind.FLATTEN:
                await flatten_all(self.exchange, self.quote, KILL_SWITCH)
        except Exception as exc:  # noqa: BLE001 - a refused step stays pending and is retried
            message = exc.message if isinstance(exc, ZynError) else type(exc).__name__
            _log.warning("kill switch step {} failed (attempt {}): {}; retried at the next tick", step.kind.value,
                         step.attempts + 1, message)
            self.store.kill_step_failed(step.id, message)
            return False
        self.store.claim_kill_step(step.id, self.clock.now())
        return True

    async def _cancel_entries(self) -> None:
        """Cancel every resting buy; one that is already gone (filled, cancelled) counts as done."""
        for order in await self.exchange.fetch_open_orders():
            if order.side is not Side.BUY or order.status is not OrderStatus.OPEN:
                continue
            try:
                cancelled = await self.exchange.cancel_order(order.id)
            except OrderNotFoundError:
                continue  # cancelled or filled in the meantime: nothing rests any more
            await self.bus.publish(OrderCancelled(EventKind.ORDER_CANCELLED, self.clock.now(), str(self.exchange.mode),
                                                  f"kill switch: cancelled entry {order.id}", order=cancelled))

    async def _alert(self, step: KillStep) -> bool:
        """Claim, then publish: whoever wins the claim sends it; nobody sends it twice."""
        assert step.id is not None
        if not self.store.claim_kill_step(step.id, self.clock.now()):
            return True  # another run or process sent it
        state = self.store.get_kill_switch()
        equity, start = state.equity_at_trip or ZERO, state.start_equity or ZERO
        loss = (start - equity) / start if start else ZERO
        await self.bus.publish(KillSwitchTripped(
            EventKind.KILL_SWITCH_TRIPPED, self.clock.now(), str(self.exchange.mode), step.text,
            equity=equity, start_equity=start, loss_fraction=loss))
        return True
