"""An order the account cannot do now (the coins to sell, or the money to buy with, are not free) is refused at
once with the figures, before anyone is asked to confirm it, and nothing changes: no pending confirmation, no
order. Through the offline intent engine and the gate, on a real PAPER account (LIVE's confirmation rule)."""

from __future__ import annotations

from pathlib import Path

from tests.agent.world import OWNER, make_world
from trading.domain import Mode


async def test_a_sell_of_coins_not_held_is_refused_before_the_question(tmp_path: Path) -> None:
    world = make_world(tmp_path, mode=Mode.LIVE)
    reply = await world.agent.handle(OWNER, "sell 0.01 btc @ 70k")
    assert "insufficient BTC for this sell: it needs 0.01 BTC, 0 BTC is free. Nothing was placed" in reply.text
    assert "confirm" not in reply.text.lower()
    assert world.db.list_pending() == [] and await world.order_count() == 0
    world.db.close()


async def test_a_buy_beyond_the_free_cash_is_refused_with_money_figures(tmp_path: Path) -> None:
    world = make_world(tmp_path, mode=Mode.LIVE)
    reply = await world.agent.handle(OWNER, "buy 1000 btc")
    assert "insufficient USD for this buy: it needs 64,010,000.00 USD, 10,000.00 USD is free" in reply.text
    assert world.db.list_pending() == [] and await world.order_count() == 0
    world.db.close()


async def test_coins_held_by_open_orders_are_named_and_a_possible_order_is_still_asked(tmp_path: Path) -> None:
    world = make_world(tmp_path, mode=Mode.LIVE)
    await world.seed_btc("0.05")
    from decimal import Decimal

    from trading.domain import OrderRequest, OrderType, Side

    await world.exchange.create_order(OrderRequest("BTC/USD", Side.SELL, OrderType.LIMIT, Decimal("0.04"),
                                                   price=Decimal("90000")))
    reply = await world.agent.handle(OWNER, "sell 0.02 btc @ 70k")
    assert "it needs 0.02 BTC, 0.01 BTC is free; 0.04 BTC is held by open orders (see 'orders')" in reply.text
    assert world.db.list_pending() == []
    ok = await world.agent.handle(OWNER, "sell 0.01 btc @ 70k")  # what is free: asked as before (LIVE)
    assert "confirm" in ok.text.lower() and len(world.db.list_pending()) == 1
    world.db.close()
