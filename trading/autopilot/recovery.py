"""What a crash left half done, settled at the next tick and at start-up (see trading.autopilot.engine.intents)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from loguru import logger

from trading.attribution import AUTOPILOT
from trading.autopilot.intents import IntentKind, IntentStatus, IntentStore, OrderIntent
from trading.clock import Clock
from trading.decision.evaluation import Decision, Evaluation, SkipReason
from trading.domain import ZERO, OrderRequest, OrderType, Side, quantize_down
from trading.errors import OrderNotFoundError, ZynError
from trading.exchange.base import Exchange

_log = logger.bind(component="recovery")
CLAIMS_WITHIN = timedelta(days=2)  # older unfinished claims predate this feature or were settled by hand
INTERRUPTED = "interrupted: Zyn stopped during this candle's tick; recorded at restart"


class Recovery:
    """Settles pending intents and claimed candles without a decision; idempotent, never raises."""

    def __init__(self, exchange: Exchange, store: IntentStore, clock: Clock, *, lock: asyncio.Lock | None = None,
                 release=None) -> None:  # noqa: ANN001 - release(symbol, note): the LIVE reconciler's
        self.exchange, self.store, self.clock = exchange, store, clock
        self.lock = lock or asyncio.Lock()
        self._release = release
        self.settled = 0  # intents settled and decisions recorded by this object (the drill counts them)

    async def run(self, record_evaluation) -> None:  # noqa: ANN001 - AutopilotStore.record_evaluation
        """Settle every pending intent, then give each unfinished claim its decision row."""
        try:
            for intent in self.store.pending_intents():
                if intent.kind is IntentKind.ENTRY:
                    await self._entry(intent)
                else:
                    await self._exit(intent)
            for symbol, candle_time in self.store.unfinished_claims(self.clock.now() - CLAIMS_WITHIN):
                intent = self.store.intent_for(symbol, candle_time)
                if intent is not None and intent.status is IntentStatus.PENDING:
                    continue  # not settled yet (the exchange did not answer): its decision waits for it
                record_evaluation(self._decision(symbol, candle_time, intent))
                self.settled += 1
        except Exception as exc:  # noqa: BLE001 - the next tick tries again
            message = exc.message if isinstance(exc, ZynError) else type(exc).__name__
            _log.warning("recovery incomplete, retried at the next tick: {}", message)

    async def _entry(self, intent: OrderIntent) -> None:
        """Was it sent? Its client id says: placed (keep the count) or never sent (void, uncounted)."""
        assert intent.id is not None
        try:
            order = await self.exchange.fetch_order(intent.client_id)
        except OrderNotFoundError:
            self.store.void_entry_intent(intent.id, self.clock.now())
            _log.warning("entry in {} for {} was never sent (a crash or a refusal): uncounted", intent.symbol,
                         intent.candle_time)
        else:
            self.store.settle_intent(intent.id, IntentStatus.PLACED, order.id, self.clock.now())
            _log.info("entry {} in {} was placed before the interruption", order.id, intent.symbol)
        self.settled += 1

    async def _exit(self, intent: OrderIntent) -> None:
        """Finish a half-done exit: cancel what still rests on the sell side, sell what is left, settle."""
        assert intent.id is not None
        async with self.lock:
            try:
                sold = await self.exchange.fetch_order(intent.client_id)  # the sale was made before the crash
            except OrderNotFoundError:
                sold = None
            if sold is not None:
                self.store.settle_intent(intent.id, IntentStatus.DONE, sold.id, self.clock.now())
                self.settled += 1
                return
            for order in await self.exchange.fetch_open_orders(intent.symbol):
                if order.side is Side.SELL:
                    try:
                        await self.exchange.cancel_order(order.id)
                    except OrderNotFoundError:
                        pass  # gone already (filled or cancelled): nothing rests
            market = (await self.exchange.load_markets())[intent.symbol]
            base = intent.symbol.split("/")[0]
            balances = await self.exchange.fetch_balances()
            free = quantize_down(min(intent.amount, balances[base].free if base in balances else ZERO),
                                 market.amount_step)
            order_id = None
            if free >= market.min_amount:
                order = await self.exchange.create_order(OrderRequest(
                    symbol=intent.symbol, side=Side.SELL, type=OrderType.MARKET, amount=free,
                    client_id=intent.client_id, source=AUTOPILOT, strategy=intent.strategy))
                order_id = order.id
            if self._release is not None:
                self._release(intent.symbol, "exit completed after a restart")
            self.store.settle_intent(intent.id, IntentStatus.DONE, order_id, self.clock.now())
        _log.warning("half-done exit of {} completed at restart (sold {})", intent.symbol, free)
        self.settled += 1

    def _decision(self, symbol, candle_time, intent: OrderIntent | None) -> Evaluation:  # noqa: ANN001
        base = dict(symbol=symbol, candle_time=candle_time, evaluated_at=self.clock.now(), indicators={},
                    mode=str(self.exchange.mode), regime=None)
        if intent is not None and intent.status in (IntentStatus.PLACED, IntentStatus.FILLED):
            return Evaluation(decision=Decision.ENTER, strategy=intent.strategy, signal=1, order_id=intent.order_id,
                              reasons=(*intent.reasons, INTERRUPTED), **base)
        if intent is not None and intent.kind is IntentKind.EXIT:
            return Evaluation(decision=Decision.EXIT, strategy=intent.strategy, signal=-1, order_id=intent.order_id,
                              reasons=(*intent.reasons, INTERRUPTED), **base)
        why = "the entry was never sent" if intent is not None else "no order was sent"
        return Evaluation(decision=Decision.SKIP, strategy=intent.strategy if intent else None, signal=0,
                          reasons=(f"{INTERRUPTED}; {why}",), skip_reason=SkipReason.ERROR, **base)
