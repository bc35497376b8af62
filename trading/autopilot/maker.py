"""Maker entries in the running autopilot (TradingConfig.entry = "maker"), PAPER and LIVE alike.

An entry is a post-only limit buy at the touch: the bid, rounded down to the price step. It carries its client
id and its write-ahead intent like every entry (trading/autopilot/intents.py) and goes out as a bracket whose
stop and target arm only once it fills (PAPER: the exits wait PENDING in the simulator; LIVE: Kraken opens the
conditional stop on the fill and the reconciler places the target). A post-only order that would take
liquidity is refused by the venue (Kraken "EOrder:Post only order"; the simulator the same): nothing rests,
the entry is uncounted and the candle's row says so. Nothing is chased: no re-pricing, no market order.

It rests for maker_timeout_bars closed 5-minute candles after its decision candle. Each tick, before anything
else is decided on its symbol, review() looks for it on the exchange (an open limit buy whose client id has an
entry intent: nothing is kept in memory, so a restart finds it the same way) and keeps it (the row says
"maker entry resting", and no other entry is considered there, as in the backtester) or, at the timeout,
cancels it: "maker entry unfilled". It can never be placed twice: the symbol is blocked while it rests.

Fill model: the paper simulator fills it at its limit with the maker fee only when price trades through it
(trading/exchange/paper/exchange.py); the backtester's entry="maker" the same, bar by bar; on LIVE, Kraken.

The daily limits (trading/risk/limits.py): a maker entry is counted when placed, in the transaction of its
intent, as every entry is: a resting order counts, so no crash can let the limits be exceeded. One cancelled
at its timeout with nothing filled is given back (its intent becomes "unfilled"), since it never became an
entry; the backtester likewise counts only filled maker entries. It is cancelled first and uncounted after, so
a crash between the two leaves it counted: the safe side. Sizing takes the limit as the entry price and still
counts the taker fee (a little conservative, as the backtester does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol, runtime_checkable

from loguru import logger

from trading.autopilot.intents import IntentKind, IntentStatus, OrderIntent
from trading.clock import Clock
from trading.decision.evaluation import Decision, SkipReason
from trading.domain import Market, Order, OrderStatus, OrderType, Side, Ticker, quantize_down
from trading.errors import OrderNotFoundError
from trading.exchange.base import Exchange

_log = logger.bind(component="autopilot")
CANDLE = timedelta(minutes=5)
MAKER = "maker"


def maker_price(ticker: Ticker, market: Market) -> Decimal:
    """A maker entry's limit: the bid, rounded down to the price step (it joins the bid, it never crosses)."""
    return quantize_down(ticker.bid, market.price_step)


@runtime_checkable
class MakerIntents(Protocol):
    """What review() needs from the store beyond IntentStore (memory's Database has it)."""

    def entry_intent_by_client_id(self, client_id: str) -> OrderIntent | None:
        """The entry intent whose order carries this client id, or None."""
        ...

    def unfilled_entry_intent(self, intent_id: int, at: datetime) -> bool:
        """Mark a placed entry unfilled and uncount it, atomically (only a PLACED one changes)."""
        ...


@dataclass(frozen=True, slots=True)
class MakerReview:
    """The symbol's row for this candle while (or when) a maker entry rests."""

    decision: Decision
    reasons: tuple[str, ...]
    skip_reason: SkipReason | None
    strategy: str | None
    order_id: str


class MakerEntries:
    """Finds the autopilot's resting maker entry of a symbol, keeps it, or cancels it at its timeout."""

    def __init__(self, exchange: Exchange, store: object, clock: Clock) -> None:
        self.exchange, self.clock = exchange, clock
        self.store = store if isinstance(store, MakerIntents) else None

    async def review(self, symbol: str, candle_time: datetime, timeout_bars: int) -> MakerReview | None:
        """None when no maker entry of the autopilot rests on symbol; else its row for this candle."""
        if self.store is None:
            return None
        for order in await self.exchange.fetch_open_orders(symbol):
            if order.side is not Side.BUY or order.type is not OrderType.LIMIT or not order.client_id:
                continue
            intent = self.store.entry_intent_by_client_id(order.client_id)
            if intent is None or intent.kind is not IntentKind.ENTRY:
                continue  # a limit buy placed from chat or by hand: not the autopilot's to manage
            if intent.status not in (IntentStatus.PLACED, IntentStatus.PENDING):
                continue
            return await self._one(symbol, order, intent, candle_time, max(1, int(timeout_bars)))
        return None

    async def _one(self, symbol: str, order: Order, intent: OrderIntent, candle_time: datetime,
                   timeout: int) -> MakerReview:
        waited = max(0, int((candle_time - intent.candle_time) / CANDLE))  # closed candles since its decision
        what = f"post-only buy of {order.remaining} {symbol} at {order.price}"
        if waited < timeout:
            return MakerReview(Decision.SKIP, (
                f"maker entry resting: {what} (placed on the {intent.candle_time:%H:%M} UTC candle's close), "
                f"{waited} of {timeout} closed candles waited; it fills only if price trades below it",),
                SkipReason.MAKER_RESTING, intent.strategy, order.id)
        try:
            done = await self.exchange.cancel_order(order.id)
        except OrderNotFoundError:  # filled (or cancelled) a moment ago
            done = await self.exchange.fetch_order(order.id)
        if done.filled > 0:
            price = done.average or done.price
            rest = "; the rest was cancelled at its timeout" if done.filled < done.amount else ""
            return MakerReview(Decision.HOLD, (f"maker entry filled {done.filled} of {done.amount} {symbol} at "
                                               f"{price}{rest}",), SkipReason.ALREADY_IN_POSITION, intent.strategy,
                               order.id)
        released = (intent.id is not None and done.status is not OrderStatus.OPEN
                    and self.store.unfilled_entry_intent(intent.id, self.clock.now()))
        _log.info("maker entry {} on {} unfilled after {} candles: cancelled", order.id, symbol, timeout)
        uncounted = "; not counted against the day's entries" if released else ""
        return MakerReview(Decision.SKIP, (
            f"maker entry unfilled: {what} was not traded through in {timeout} closed candles; cancelled, not "
            f"chased{uncounted}",), SkipReason.MAKER_UNFILLED, intent.strategy, order.id)
