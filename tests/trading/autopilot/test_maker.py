"""Maker entries in the running autopilot on the paper simulator: placed at the bid, filled through, timed out."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.trading.autopilot.test_autopilot import CFG, World, declining_then_jump
from trading.attribution import AUTOPILOT
from trading.autopilot.intents import IntentKind, IntentStatus, OrderIntent
from trading.decision.evaluation import Decision, SkipReason
from trading.domain import (
    BracketRequest,
    Candle,
    Liquidity,
    Market,
    OrderStatus,
    OrderType,
    Side,
    new_client_id,
)
from trading.events import EventKind

MAKER_CFG = CFG.model_copy(update={"entry": "maker", "maker_timeout_bars": 3})
SYMBOL = "BTC/USD"


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = World(tmp_path, MAKER_CFG)
    w.clock.advance(timedelta(seconds=5))  # the tick fires 5 s after the close
    return w


async def place(w: World) -> tuple[Decimal, str]:
    """A crossover tick: the maker entry rests at the bid (rounded down to the 0.1 step)."""
    w.set_closes(declining_then_jump())
    [ev] = (await w.pilot.tick()).evaluations
    assert ev.decision is Decision.ENTER and "post-only (maker) buy" in " ".join(ev.reasons), ev.reasons
    [entry] = [o for o in await w.exchange.fetch_open_orders() if o.type is OrderType.LIMIT]
    bid = w.feed.tickers[SYMBOL].bid
    assert entry.post_only and entry.price == bid.quantize(Decimal("0.1")) and entry.price <= bid
    return entry.price, entry.id


def candle(w: World, low: Decimal, limit: Decimal) -> None:
    """Five minutes later one more closed candle with this low; the book stays just above the limit."""
    w.clock.advance(timedelta(minutes=5))
    last = w.feed.candles[SYMBOL][-1]
    close = limit + 2
    w.feed.candles[SYMBOL].append(Candle(SYMBOL, last.timestamp + timedelta(minutes=5), last.close,
                                         max(last.close, close) + 5, low, close, Decimal("10")))
    w.closes.append(float(close))
    w.feed.set_price(SYMBOL, limit, limit + Decimal("1"))  # the bid at the limit: a touch, not through


async def row(w: World):  # noqa: ANN201 - the candle's Evaluation
    [ev] = (await w.pilot.tick()).evaluations
    return ev


async def test_a_maker_entry_rests_then_fills_through_its_limit_and_arms_its_bracket(world: World) -> None:
    limit, entry_id = await place(world)
    assert await world.exchange.fetch_my_trades() == []  # nothing taken at once
    assert {o.type: o.status for o in await world.exchange.fetch_open_orders()} == {
        OrderType.LIMIT: OrderStatus.OPEN, OrderType.STOP_LOSS: OrderStatus.PENDING,
        OrderType.TAKE_PROFIT: OrderStatus.PENDING}  # the bracket waits for the fill
    assert world.pilot.limits.counts().trades_total == 1  # counted when placed
    [stop] = [o for o in await world.exchange.fetch_open_orders() if o.type is OrderType.STOP_LOSS]
    [intent] = world.db.list_intents()  # written ahead with its limit and planned stop: its risk while it rests
    assert (intent.limit_price, intent.stop_price, intent.status) == (limit, stop.stop_price, IntentStatus.PLACED)
    placed = [e for e in world.events if e.kind is EventKind.ORDER_PLACED]
    assert "post-only (maker) buy" in placed[-1].text

    candle(world, low=limit, limit=limit)  # the low touches the limit: no fill
    ev = await row(world)
    assert ev.skip_reason is SkipReason.MAKER_RESTING and "1 of 3" in ev.reasons[0] and ev.order_id == entry_id
    assert await world.exchange.fetch_my_trades() == []

    candle(world, low=limit - Decimal("0.1"), limit=limit)  # one step through it
    ev = await row(world)
    assert ev.decision is not Decision.ENTER and ev.skip_reason is not SkipReason.MAKER_RESTING
    [fill] = await world.exchange.fetch_my_trades()
    assert fill.order_id == entry_id and fill.price == limit and fill.liquidity is Liquidity.MAKER
    assert fill.fee == (fill.amount * limit * Decimal("0.0025")).quantize(Decimal("0.00000001"))
    assert {o.type: o.status for o in await world.exchange.fetch_open_orders()} == {
        OrderType.STOP_LOSS: OrderStatus.OPEN, OrderType.TAKE_PROFIT: OrderStatus.OPEN}
    assert world.db.list_intents()[0].status is IntentStatus.FILLED  # seen filled: no longer resting
    assert world.db.resting_maker_intents() == []
    [alert] = [e for e in world.events if e.kind is EventKind.ORDER_FILLED]
    assert f"(maker, fee {fill.fee})" in alert.text
    assert world.pilot.limits.counts().trades_total == 1


async def test_unfilled_at_the_timeout_it_is_cancelled_not_chased_and_uncounted(world: World) -> None:
    limit, entry_id = await place(world)
    for waited in (1, 2):
        candle(world, low=limit, limit=limit)
        ev = await row(world)
        assert ev.skip_reason is SkipReason.MAKER_RESTING and f"{waited} of 3" in ev.reasons[0]
    candle(world, low=limit, limit=limit)
    ev = await row(world)
    assert ev.skip_reason is SkipReason.MAKER_UNFILLED and ev.reasons[0].startswith("maker entry unfilled")
    assert "not chased" in ev.reasons[0] and ev.order_id == entry_id
    assert await world.exchange.fetch_open_orders() == [] and await world.exchange.fetch_my_trades() == []
    assert (await world.exchange.fetch_order(entry_id)).status is OrderStatus.CANCELED
    assert world.pilot.limits.counts().trades_total == 0
    [intent] = [i for i in world.db.list_intents() if i.kind is IntentKind.ENTRY]
    assert intent.status is IntentStatus.UNFILLED
    candle(world, low=limit - 100, limit=limit)  # later candles: decided afresh, the old order is gone
    ev = await row(world)
    assert ev.skip_reason not in (SkipReason.MAKER_RESTING, SkipReason.MAKER_UNFILLED)
    assert [o for o in await world.exchange.fetch_open_orders() if o.type is OrderType.LIMIT] == []


async def test_a_restart_while_resting_finds_the_order_keeps_it_and_later_cancels_it(world: World) -> None:
    limit, entry_id = await place(world)
    world.db.close()
    world.restart()
    candle(world, low=limit, limit=limit)
    ev = await row(world)
    assert ev.skip_reason is SkipReason.MAKER_RESTING and ev.order_id == entry_id
    world.db.close()
    world.restart()
    assert (await world.pilot.tick()).evaluations == []  # the same candle again: never a second order
    limits = [o for o in await world.exchange.fetch_open_orders() if o.type is OrderType.LIMIT]
    assert [o.id for o in limits] == [entry_id]
    world.clock.advance(timedelta(minutes=10))  # down for two candles: the timeout passed meanwhile
    for _ in range(2):
        last = world.feed.candles[SYMBOL][-1]
        world.feed.candles[SYMBOL].append(replace(last, timestamp=last.timestamp + timedelta(minutes=5)))
    world.db.close()
    world.restart()
    ev = await row(world)
    assert ev.skip_reason is SkipReason.MAKER_UNFILLED
    assert await world.exchange.fetch_open_orders() == [] and world.pilot.limits.counts().trades_total == 0


async def test_killed_after_sending_a_maker_entry_the_restart_keeps_it_resting(world: World) -> None:
    world.set_closes(declining_then_jump())
    candle_time = world.feed.candles[SYMBOL][-1].timestamp
    assert world.db.claim_tick(SYMBOL, candle_time)
    intent = OrderIntent(IntentKind.ENTRY, SYMBOL, candle_time, new_client_id(), world.clock.now().date(),
                         Decimal("0.01"), "ma_crossover", ("SMA(3) crossed above SMA(6)",))
    world.pilot.limits.ensure_day(Decimal("10000"))
    world.db.open_entry_intent(intent)
    limit = world.feed.tickers[SYMBOL].bid
    await world.exchange.create_bracket(BracketRequest(SYMBOL, Side.BUY, intent.amount, stop_price=limit - 500,
                                                       take_profit_price=limit + 500, entry_price=limit,
                                                       client_id=intent.client_id, post_only=True))
    world.db.close()
    world.restart()  # died before the intent was settled and the row written
    await world.pilot.tick()
    assert world.db.intent_for(SYMBOL, candle_time).status is IntentStatus.PLACED
    candle(world, low=limit, limit=limit)
    ev = await row(world)
    assert ev.skip_reason is SkipReason.MAKER_RESTING
    assert len([o for o in await world.exchange.fetch_open_orders() if o.type is OrderType.LIMIT]) == 1


async def test_a_post_only_entry_that_would_take_is_refused_and_uncounted(world: World) -> None:
    world.set_closes(declining_then_jump())
    last = world.feed.tickers[SYMBOL].ask
    world.feed.set_price(SYMBOL, last, last)  # a locked book: the bid is the ask, joining it would take
    ev = await row(world)
    assert ev.decision is Decision.SKIP and ev.skip_reason is SkipReason.MAKER_UNFILLED
    assert "maker entry refused" in ev.reasons[-1] and "would take liquidity" in ev.reasons[-1]
    assert await world.exchange.fetch_open_orders() == [] and world.pilot.limits.counts().trades_total == 0


async def rest_maker_entry(db, exchange, clock, symbol: str, amount: str, limit: str, stop: str,  # noqa: ANN001
                           target: str) -> str:
    """A resting maker entry written and placed as the autopilot's _enter does: its intent (with its limit and
    planned stop) first, then the post-only bracket, then the intent settled. Returns the entry's order id."""
    request = BracketRequest(symbol, Side.BUY, Decimal(amount), stop_price=Decimal(stop),
                             take_profit_price=Decimal(target), entry_price=Decimal(limit), source=AUTOPILOT,
                             strategy="ma_crossover", post_only=True)
    candle_time = clock.now().replace(second=0, microsecond=0) - timedelta(minutes=5)
    intent_id = db.open_entry_intent(OrderIntent(IntentKind.ENTRY, symbol, candle_time, request.client_id,
                                                 clock.now().date(), request.amount, "ma_crossover", (),
                                                 limit_price=request.entry_price, stop_price=request.stop_price))
    bracket = await exchange.create_bracket(request)
    db.settle_intent(intent_id, IntentStatus.PLACED, bracket.entry_order_id, clock.now())
    entry = await exchange.fetch_order(bracket.entry_order_id)
    assert entry.status is OrderStatus.OPEN and entry.post_only
    return entry.id


# Two resting maker entries whose planned risk, amount x (limit - planned stop), is 250 USD each: together the
# whole 5% cap of a 10,000 USD account. LIVE (tests/trading/exchange/kraken/test_live_maker.py) gives the same.
RESTING = (("ETH/USD", "1", "3500", "3250", "4000"), ("SOL/USD", "10", "150", "125", "200"))
CAP_FULL = "open risk 500 + this trade's"


def sol_usd() -> Market:
    return Market(symbol="SOL/USD", exchange_id="SOLUSD", altname="SOLUSD", base="SOL", quote="USD",
                  price_step=Decimal("0.01"), amount_step=Decimal("0.00000001"), min_amount=Decimal("0.02"),
                  min_cost=Decimal("0.5"))


async def test_resting_maker_entries_count_their_planned_risk_once_and_fill_the_portfolio_cap(tmp_path: Path) -> None:
    world = World(tmp_path, MAKER_CFG)
    world.feed.markets["SOL/USD"] = sol_usd()
    world.clock.advance(timedelta(seconds=5))
    world.feed.set_price("ETH/USD", "3500", "3500.01")
    world.feed.set_price("SOL/USD", "150", "150.01")
    for rest in RESTING:
        await rest_maker_entry(world.db, world.exchange, world.clock, *rest)
    waiting = [o for o in await world.exchange.fetch_open_orders() if o.type is OrderType.STOP_LOSS]
    assert [o.status for o in waiting] == [OrderStatus.PENDING] * 2  # PAPER lists each one's waiting stop
    world.set_closes(declining_then_jump())  # a buy signal on BTC/USD
    ev = await row(world)
    assert ev.decision is Decision.SKIP and ev.skip_reason is SkipReason.RISK_CAP, ev.reasons
    assert CAP_FULL in ev.reasons[-1]  # 500, not 1,000: a waiting stop is not counted on top of its entry
    assert [o.symbol for o in await world.exchange.fetch_open_orders() if o.type is OrderType.LIMIT] == [
        "SOL/USD", "ETH/USD"]  # nothing placed on BTC/USD


async def test_a_maker_entry_cancelled_by_hand_is_no_longer_looked_for_and_is_uncounted(world: World) -> None:
    limit, entry_id = await place(world)
    await world.exchange.cancel_order(entry_id)  # from chat, say: nothing filled
    candle(world, low=limit, limit=limit)
    ev = await row(world)
    assert ev.skip_reason is not SkipReason.MAKER_RESTING
    [intent] = world.db.list_intents()
    assert intent.status is IntentStatus.UNFILLED and world.db.resting_maker_intents() == []
    assert world.pilot.limits.counts().trades_total == 0
