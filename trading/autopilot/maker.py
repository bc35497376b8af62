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

Only in maker mode is every symbol looked at each tick; with taker entries review() asks the exchange only for a
symbol where the store has a maker entry that may still rest (one placed before a switch to taker): no
open-orders request per pair and tick on LIVE. A maker entry found gone (filled, or cancelled by the kill switch
or by hand) has its intent marked "filled" (or "unfilled", uncounted, if nothing filled), so it is not looked for
again.

The portfolio-risk cap (engine._open_risk): a resting maker entry counts its planned risk, its remaining amount x
(limit - planned stop), both written in its intent before it is sent. LIVE has no stop order until it fills, so
without this several resting entries could together exceed max_portfolio_risk once they fill; PAPER lists the
entry's waiting (PENDING) stop, which is then not counted again. Once (part of) it fills, that part's stop is an
open stop like any other.

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
from trading.errors import OrderNotFoundError, ZynError
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

    def resting_maker_intents(self, symbol: str | None = None) -> list[OrderIntent]:
        """Maker entry intents (a limit price recorded) still pending or placed, oldest first."""
        ...

    def settle_intent(self, intent_id: int, status: IntentStatus, order_id: str | None, at: datetime) -> None:
        """Mark an intent (here: a maker entry seen filled)."""
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

    async def review(self, symbol: str, candle_time: datetime, timeout_bars: int, *,
                     maker: bool = True) -> MakerReview | None:
        """None when no maker entry of the autopilot rests on symbol; else its row for this candle.

        With maker=False (taker entries) the exchange is asked only if the store has a maker entry of the symbol
        that may still rest (one placed before a switch to taker): no open-orders request per pair and tick.
        """
        if self.store is None:
            return None
        known = self.store.resting_maker_intents(symbol)
        if not maker and not known:
            return None
        orders = await self.exchange.fetch_open_orders(symbol)
        for order in orders:
            if order.side is not Side.BUY or order.type is not OrderType.LIMIT or not order.client_id:
                continue
            intent = self.store.entry_intent_by_client_id(order.client_id)
            if intent is None or intent.kind is not IntentKind.ENTRY:
                continue  # a limit buy placed from chat or by hand: not the autopilot's to manage
            if intent.status not in (IntentStatus.PLACED, IntentStatus.PENDING):
                continue
            return await self._one(symbol, order, intent, candle_time, max(1, int(timeout_bars)))
        await self._gone(known, {o.client_id for o in orders})
        return None

    async def _gone(self, known: list[OrderIntent], still_open: set[str]) -> None:
        """Maker entries the store still had as resting that no longer rest: filled, or cancelled (kill switch, by
        hand) with nothing filled. Marked so, so that neither this review nor the open risk looks for them again."""
        assert self.store is not None
        for intent in known:
            if intent.status is not IntentStatus.PLACED or intent.id is None or intent.client_id in still_open:
                continue  # a pending one is recovery's to settle
            try:
                order = await self.exchange.fetch_order(intent.order_id or intent.client_id)
            except Exception as exc:  # noqa: BLE001 - looked for again at the next tick; the decision goes on
                _log.warning("maker entry {} of {} not looked up: {}", intent.client_id, intent.symbol,
                             exc.message if isinstance(exc, ZynError) else type(exc).__name__)
                continue
            if order.filled > 0:
                self.store.settle_intent(intent.id, IntentStatus.FILLED, order.id, self.clock.now())
            elif order.status is not OrderStatus.OPEN:
                self.store.unfilled_entry_intent(intent.id, self.clock.now())

    def planned_risk(self, orders: list[Order]) -> tuple[list[tuple[Decimal, Decimal, Decimal]], set[str]]:
        """The resting maker entries among these open orders, for the portfolio-risk cap.

        Returns (remaining amount, limit, planned stop) for each (its intent's limit and stop: the risk once it
        fills and then hits its stop) and the ids of the stops they cover: PAPER lists a resting entry's stop,
        waiting (PENDING) for the fill, and it must not be counted twice; LIVE has none until the fill (Kraken's
        conditional close opens on each fill, its stop then counted as any other open stop).
        """
        if self.store is None:
            return [], set()
        planned = {i.client_id: i for i in self.store.resting_maker_intents()
                   if i.limit_price is not None and i.stop_price is not None}
        rows: list[tuple[Decimal, Decimal, Decimal]] = []
        brackets: set[str] = set()
        for order in orders:
            intent = planned.get(order.client_id)
            if intent is None or order.side is not Side.BUY or order.type is not OrderType.LIMIT:
                continue
            assert intent.limit_price is not None and intent.stop_price is not None
            rows.append((order.remaining, intent.limit_price, intent.stop_price))
            if order.bracket_id:
                brackets.add(order.bracket_id)
        waiting = {o.id for o in orders if o.bracket_id in brackets and o.type is OrderType.STOP_LOSS
                   and o.status is OrderStatus.PENDING}
        return rows, waiting

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
            if intent.id is not None:
                self.store.settle_intent(intent.id, IntentStatus.FILLED, done.id, self.clock.now())
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
