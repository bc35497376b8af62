"""Post-only (maker) limits in the paper simulator: refused when they would take, filled only through the limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.trading.exchange.paper.paper_env import PaperEnv, make_env
from trading.domain import BracketRequest, Candle, Liquidity, OrderRequest, OrderStatus, OrderType, Side
from trading.errors import InvalidOrderError, PostOnlyRejectedError

BUY, SELL = Side.BUY, Side.SELL


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[PaperEnv]:
    e = make_env(tmp_path)  # BTC/USD 65000/65010, maker 0.25%, taker 0.40%
    yield e
    e.db.close()


def post_buy(price: str, amount: str = "0.01", **kw: object) -> OrderRequest:
    return OrderRequest(symbol="BTC/USD", side=BUY, type=OrderType.LIMIT, amount=D(amount), price=D(price),
                        post_only=True, **kw)


def candle(env: PaperEnv, minutes_ago: int, low: str, high: str = "65100", closed: bool = True) -> Candle:
    now = env.clock.now()
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=now.minute % 5 + minutes_ago)
    return Candle("BTC/USD", start, D("65000"), D(high), D(low), D("65000"), D("1"), closed=closed)


async def test_a_post_only_buy_at_or_above_the_ask_is_refused_and_nothing_is_written(env: PaperEnv) -> None:
    await env.ex.fetch_balances()  # the account is funded on first use
    before = env.rows()
    for price in ("65010", "65020"):
        with pytest.raises(PostOnlyRejectedError, match="would take liquidity.*ask is 65010"):
            await env.ex.create_order(post_buy(price))
    with pytest.raises(PostOnlyRejectedError):
        await env.ex.create_bracket(BracketRequest(symbol="BTC/USD", side=BUY, amount=D("0.01"),
                                                   stop_price=D("64000"), take_profit_price=D("67000"),
                                                   entry_price=D("65010"), post_only=True))
    with pytest.raises(InvalidOrderError, match="only a limit"):
        await env.ex.create_order(OrderRequest(symbol="BTC/USD", side=BUY, type=OrderType.MARKET, amount=D("0.01"),
                                               post_only=True))
    assert env.rows() == before
    # A plain limit at the ask takes the touch as a taker: post-only is what makes the difference.
    taken = await env.ex.create_order(OrderRequest(symbol="BTC/USD", side=BUY, type=OrderType.LIMIT,
                                                   amount=D("0.01"), price=D("65010")))
    assert taken.status is OrderStatus.CLOSED


async def test_a_touch_does_not_fill_trading_through_fills_at_the_limit_with_the_maker_fee(env: PaperEnv) -> None:
    order = await env.ex.create_order(post_buy("65000"))  # at the bid: rests
    assert order.status is OrderStatus.OPEN and order.post_only
    env.price("64990", "65000")  # the ask comes down to the limit: a touch
    env.feed.candles["BTC/USD"] = [candle(env, 0, low="65000", closed=False)]  # the low touches it too
    assert (await env.ex.fetch_order(order.id)).status is OrderStatus.OPEN
    # A plain (not post-only) limit at the same price would have filled on that touch.
    env.price("64980", "64999")  # the book crosses through the limit
    filled = await env.ex.fetch_order(order.id)
    assert filled.status is OrderStatus.CLOSED and filled.average == D("65000")
    [fill] = await env.ex.fetch_my_trades()
    assert fill.liquidity is Liquidity.MAKER and fill.price == D("65000")
    assert fill.fee == D("650") * D("0.0025")  # 0.01 x 65000 x the maker fee
    assert (await env.ex.fetch_balances())["USD"].total == D("10000") - D("650") - fill.fee


async def test_a_candle_whose_low_trades_through_fills_it_once_per_period(env: PaperEnv) -> None:
    order = await env.ex.create_order(post_buy("64990"))
    env.feed.candles["BTC/USD"] = [candle(env, 5, low="64000"),  # before the order: does not count
                                   candle(env, 0, low="64990", closed=False)]
    env.clock.advance(timedelta(minutes=5))  # the next period: the forming candle closed at a touch
    env.feed.candles["BTC/USD"][-1] = candle(env, 5, low="64990")
    assert (await env.ex.fetch_order(order.id)).status is OrderStatus.OPEN
    calls = env.feed.calls["fetch_ohlcv"]
    await env.ex.fetch_order(order.id)
    assert env.feed.calls["fetch_ohlcv"] == calls  # read once per period, not at every call
    env.feed.candles["BTC/USD"].append(candle(env, 0, low="64989.9", closed=False))  # through, in this candle
    assert (await env.ex.fetch_order(order.id)).status is OrderStatus.OPEN  # seen at the next period's read
    env.clock.advance(timedelta(minutes=5))
    done = await env.ex.fetch_order(order.id)
    assert done.status is OrderStatus.CLOSED and done.average == D("64990") and done.fee == D("1.624750")


async def test_a_resting_post_only_order_survives_a_restart_and_still_fills_as_a_maker(env: PaperEnv) -> None:
    order = await env.ex.create_order(post_buy("64900", client_id="maker-1"))
    ex = env.reopen()
    again = await ex.fetch_order("maker-1")
    assert again.status is OrderStatus.OPEN and again.post_only and again.price == D("64900")
    env.price("64950", "64960")
    assert (await ex.fetch_order(order.id)).status is OrderStatus.OPEN
    env.price("64800", "64890")
    [fill] = await ex.fetch_my_trades()
    assert fill.liquidity is Liquidity.MAKER and fill.price == D("64900")


async def test_a_post_only_bracket_arms_its_exits_only_once_the_entry_fills(env: PaperEnv) -> None:
    bracket = await env.ex.create_bracket(BracketRequest(symbol="BTC/USD", side=BUY, amount=D("0.01"),
                                                         stop_price=D("64000"), take_profit_price=D("67000"),
                                                         entry_price=D("65000"), post_only=True))
    working = {o.type: o.status for o in await env.ex.fetch_open_orders()}
    assert working == {OrderType.LIMIT: OrderStatus.OPEN, OrderType.STOP_LOSS: OrderStatus.PENDING,
                       OrderType.TAKE_PROFIT: OrderStatus.PENDING}
    env.price("64900", "64950")
    working = {o.type: o.status for o in await env.ex.fetch_open_orders()}
    assert working == {OrderType.STOP_LOSS: OrderStatus.OPEN, OrderType.TAKE_PROFIT: OrderStatus.OPEN}
    [fill] = await env.ex.fetch_my_trades()
    assert fill.order_id == bracket.entry_order_id and fill.liquidity is Liquidity.MAKER


async def test_a_post_only_sell_at_or_below_the_bid_is_refused(env: PaperEnv) -> None:
    await env.ex.create_order(OrderRequest(symbol="BTC/USD", side=BUY, type=OrderType.MARKET, amount=D("0.02")))
    with pytest.raises(PostOnlyRejectedError, match="bid is 65000"):
        await env.ex.create_order(OrderRequest(symbol="BTC/USD", side=SELL, type=OrderType.LIMIT, amount=D("0.01"),
                                               price=D("65000"), post_only=True))
    sell = await env.ex.create_order(OrderRequest(symbol="BTC/USD", side=SELL, type=OrderType.LIMIT,
                                                  amount=D("0.01"), price=D("65010"), post_only=True))
    env.price("65010", "65020")  # the bid touches it
    assert (await env.ex.fetch_order(sell.id)).status is OrderStatus.OPEN
    env.price("65011", "65020")
    assert (await env.ex.fetch_order(sell.id)).status is OrderStatus.CLOSED


async def test_a_dip_before_the_order_was_placed_does_not_fill_it(env: PaperEnv) -> None:
    env.clock.advance(timedelta(minutes=2))  # 12:02, two minutes into the 12:00 candle, which dipped already
    env.feed.candles["BTC/USD"] = [candle(env, 0, low="64900", closed=False)]
    order = await env.ex.create_order(post_buy("64990"))
    assert (await env.ex.fetch_order(order.id)).status is OrderStatus.OPEN
    env.clock.advance(timedelta(minutes=3))  # 12:05: that candle closed with the earlier low
    env.feed.candles["BTC/USD"] = [candle(env, 5, low="64900"), candle(env, 0, low="64995", closed=False)]
    assert (await env.ex.fetch_order(order.id)).status is OrderStatus.OPEN
    env.clock.advance(timedelta(minutes=5))  # 12:10: the 12:05 candle, wholly after the order, traded through
    env.feed.candles["BTC/USD"] = [candle(env, 10, low="64900"), candle(env, 5, low="64980"),
                                   candle(env, 0, low="65000", closed=False)]
    done = await env.ex.fetch_order(order.id)
    assert done.status is OrderStatus.CLOSED and done.average == D("64990")
