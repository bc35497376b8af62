"""Crash windows of the tick: what a process killed mid-tick leaves is settled by the next one."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.trading.autopilot.test_autopilot import World, declining_then_jump
from trading.autopilot.intents import IntentKind, IntentStatus, OrderIntent
from trading.decision.evaluation import Decision, SkipReason
from trading.domain import BracketRequest, OrderType, Side, new_client_id


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = World(tmp_path)
    w.clock.advance(timedelta(seconds=5))
    return w


def _claim_and_intend(w: World) -> OrderIntent:
    """What the tick does before it sends an entry: the claim, then the intent counted in the same transaction."""
    candle = w.feed.candles["BTC/USD"][-1].timestamp
    assert w.db.claim_tick("BTC/USD", candle)
    intent = OrderIntent(IntentKind.ENTRY, "BTC/USD", candle, new_client_id(), w.clock.now().date(),
                         Decimal("0.01"), "ma_crossover", ("SMA(3) crossed above SMA(6)",))
    w.pilot.limits.ensure_day(Decimal("10000"))
    return replace(intent, id=w.db.open_entry_intent(intent))


async def test_killed_before_the_entry_is_sent_uncounts_it_and_records_the_interruption(world: World) -> None:
    world.set_closes(declining_then_jump())
    intent = _claim_and_intend(world)
    assert world.pilot.limits.counts().trades_total == 1  # counted before the order goes out
    world.db.close()
    world.restart()  # the process died before create_bracket
    await world.pilot.tick()
    assert world.pilot.limits.counts().trades_total == 0 and await world.exchange.fetch_my_trades() == []
    assert world.db.intent_for("BTC/USD", intent.candle_time).status is IntentStatus.VOID
    [ev] = world.db.list_evaluations("BTC/USD")
    assert ev.candle_time == intent.candle_time and ev.skip_reason is SkipReason.ERROR
    assert "interrupted" in ev.reasons[0] and "never sent" in ev.reasons[0]


async def test_killed_after_the_entry_was_sent_keeps_the_count_and_the_strategy(world: World) -> None:
    world.set_closes(declining_then_jump())
    intent = _claim_and_intend(world)
    price = Decimal(str(world.closes[-1]))
    bracket = await world.exchange.create_bracket(BracketRequest(
        "BTC/USD", Side.BUY, intent.amount, stop_price=price - 500, take_profit_price=price + 500,
        client_id=intent.client_id))
    world.db.close()
    world.restart()  # died before the decision row was written
    await world.pilot.tick()
    settled = world.db.intent_for("BTC/USD", intent.candle_time)
    assert settled.status is IntentStatus.PLACED and settled.order_id == bracket.entry_order_id
    assert world.pilot.limits.counts().trades_total == 1 == len(await world.exchange.fetch_my_trades())
    [ev] = world.db.list_evaluations("BTC/USD")
    assert ev.decision is Decision.ENTER and ev.strategy == "ma_crossover" and ev.order_id == bracket.entry_order_id
    assert world.pilot._entry_strategy("BTC/USD") == "ma_crossover"  # what the exit decision will use


async def test_a_half_done_exit_is_completed_at_restart(world: World) -> None:
    world.set_closes(declining_then_jump())
    [entered] = (await world.pilot.tick()).evaluations
    assert entered.decision is Decision.ENTER
    amount = (await world.exchange.positions())["BTC/USD"].amount
    world.next_candle(world.closes[-1])
    candle = world.feed.candles["BTC/USD"][-1].timestamp
    assert world.db.claim_tick("BTC/USD", candle)
    world.db.open_exit_intent(OrderIntent(IntentKind.EXIT, "BTC/USD", candle, new_client_id(), candle.date(), amount,
                                          "ma_crossover", ("SMA(3) crossed below SMA(6)",)))
    [target] = [o for o in await world.exchange.fetch_open_orders() if o.type is OrderType.TAKE_PROFIT]
    await world.exchange.cancel_order(target.id)  # the target is cancelled, then the process dies
    assert [o.type for o in await world.exchange.fetch_open_orders()] == [OrderType.STOP_LOSS]
    world.db.close()
    world.restart()
    await world.pilot.tick()
    assert await world.exchange.fetch_open_orders() == []  # no stop left behind for coins already sold
    positions = await world.exchange.positions()
    assert "BTC/USD" not in positions or positions["BTC/USD"].amount == 0
    sells = [f for f in await world.exchange.fetch_my_trades() if f.side is Side.SELL]
    assert len(sells) == 1 and sells[0].amount == amount
    exit_ev = [e for e in world.db.list_evaluations("BTC/USD") if e.candle_time == candle]
    assert [e.decision for e in exit_ev] == [Decision.EXIT] and world.db.pending_intents() == []
    world.db.close()
    world.restart()
    await world.pilot.tick()  # once more: nothing sold twice
    assert len([f for f in await world.exchange.fetch_my_trades() if f.side is Side.SELL]) == 1
