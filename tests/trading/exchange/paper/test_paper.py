"""The paper exchange: exact fills, fees, holds, triggers, validation and persistence."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.trading.exchange.paper.paper_env import FlakyLedger, PaperEnv, make_env
from trading.domain import (
    Balance,
    Liquidity,
    Mode,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from trading.errors import (
    BelowMinimumError,
    InsufficientFundsError,
    InvalidAmountError,
    InvalidOrderError,
    OrderNotFoundError,
    PrecisionError,
    UnknownPairError,
)
from trading.exchange.base import Exchange
from trading.exchange.paper.exchange import PaperExchange

BUY, SELL = Side.BUY, Side.SELL
MARKET, LIMIT, STOP, TP = OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_LOSS, OrderType.TAKE_PROFIT


def req(side: Side, otype: OrderType, amount: str, price: str | None = None, stop: str | None = None,
        symbol: str = "BTC/USD", **kw: object) -> OrderRequest:
    return OrderRequest(symbol=symbol, side=side, type=otype, amount=D(amount),
                        price=D(price) if price else None, stop_price=D(stop) if stop else None, **kw)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[PaperEnv]:
    e = make_env(tmp_path)
    yield e
    e.db.close()


async def test_is_an_exchange_in_paper_mode_showing_the_feeds_source(env: PaperEnv) -> None:
    assert isinstance(env.ex, Exchange)
    assert env.ex.mode is Mode.PAPER and env.ex.source == "fake feed"
    assert (await env.ex.fetch_ticker("xbtusd")).ask == D("65010")
    assert await env.ex.fetch_balances() == {"USD": Balance("USD", D("10000"), D("0"))}


async def test_market_buy_fills_at_the_ask_plus_slippage_rounded_up(env: PaperEnv) -> None:
    order = await env.ex.create_order(req(BUY, MARKET, "0.01"))
    # 65010 * 1.0005 = 65042.505 -> up to the 0.1 step; fee 650.426 * 0.004
    assert (order.status, order.filled, order.average, order.fee) == (
        OrderStatus.CLOSED, D("0.01"), D("65042.6"), D("2.601704"))
    assert order.fee_currency == "USD" and re.fullmatch(r"O[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{6}", order.id)
    assert await env.ex.fetch_balances() == {"BTC": Balance("BTC", D("0.01")), "USD": Balance("USD", D("9346.972296"))}
    [fill] = await env.ex.fetch_my_trades()
    assert (fill.price, fill.amount, fill.fee, fill.liquidity, fill.order_id) == (
        D("65042.6"), D("0.01"), D("2.601704"), Liquidity.TAKER, order.id)
    pos = (await env.ex.positions())["BTC/USD"]
    assert (pos.amount, pos.avg_price, pos.realized_pnl, pos.fees_paid) == (D("0.01"), D("65302.7704"), 0, D("2.601704"))


async def test_market_sell_fills_at_the_bid_minus_slippage_and_realises(env: PaperEnv) -> None:
    await env.ex.create_order(req(BUY, MARKET, "0.01"))
    order = await env.ex.create_order(req(SELL, MARKET, "0.01"))
    assert (order.average, order.fee) == (D("64967.5"), D("2.5987"))  # 65000 * 0.9995, fee 649.675 * 0.004
    balances = await env.ex.fetch_balances()
    assert balances == {"USD": Balance("USD", D("9994.048596"))}
    pos = (await env.ex.positions())["BTC/USD"]
    assert (pos.amount, pos.realized_pnl, pos.fees_paid) == (0, D("-5.951404"), D("5.200404"))
    assert (await env.ex.equity()) - 10000 == pos.realized_pnl


async def test_limit_buy_rests_with_a_hold_then_fills_as_maker(env: PaperEnv) -> None:
    order = await env.ex.create_order(req(BUY, LIMIT, "0.01", price="64000"))
    assert order.status is OrderStatus.OPEN
    # hold = 0.01 * 64000 * (1 + taker fee 0.004)
    assert (await env.ex.fetch_balances())["USD"] == Balance("USD", D("10000"), D("642.56"))
    env.price("63990", "64000.1")
    assert await env.ex.sync() == []
    env.price("63980", "63990")
    [fill] = await env.ex.sync()
    assert (fill.price, fill.fee, fill.liquidity) == (D("64000"), D("1.6"), Liquidity.MAKER)
    assert await env.ex.fetch_balances() == {"BTC": Balance("BTC", D("0.01")), "USD": Balance("USD", D("9358.4"))}
    done = await env.ex.fetch_order(order.client_id)
    assert (done.status, done.average, done.fee) == (OrderStatus.CLOSED, D("64000"), D("1.6"))
    assert await env.ex.fetch_open_orders() == []


async def test_limit_sell_rests_holding_base_and_fills_at_its_price(env: PaperEnv) -> None:
    await env.ex.create_order(req(BUY, MARKET, "0.01"))
    await env.ex.create_order(req(SELL, LIMIT, "0.01", price="66000"))
    assert (await env.ex.fetch_balances())["BTC"] == Balance("BTC", D("0.01"), D("0.01"))
    with pytest.raises(InsufficientFundsError, match="insufficient BTC: need 0.01, free 0"):
        await env.ex.create_order(req(SELL, MARKET, "0.01"))
    env.price("66000", "66010")
    [fill] = await env.ex.sync()
    assert (fill.price, fill.liquidity, fill.fee) == (D("66000"), Liquidity.MAKER, D("1.65"))


async def test_marketable_limit_takes_the_touch_without_slippage(env: PaperEnv) -> None:
    buy = await env.ex.create_order(req(BUY, LIMIT, "0.01", price="66000"))
    assert (buy.status, buy.average, buy.fee) == (OrderStatus.CLOSED, D("65010"), D("2.6004"))
    sell = await env.ex.create_order(req(SELL, LIMIT, "0.01", price="60000"))
    assert (sell.status, sell.average) == (OrderStatus.CLOSED, D("65000"))
    assert [f.liquidity for f in await env.ex.fetch_my_trades()] == [Liquidity.TAKER, Liquidity.TAKER]


async def test_stop_loss_sell_triggers_into_a_market_fill(env: PaperEnv) -> None:
    await env.ex.create_order(req(BUY, MARKET, "0.01"))
    stop = await env.ex.create_order(req(SELL, STOP, "0.01", stop="64000"))
    assert stop.status is OrderStatus.OPEN
    assert (await env.ex.fetch_balances())["BTC"].used == D("0.01")
    env.price("64000.1", "64010")
    assert await env.ex.sync() == []
    env.price("63900", "63910")
    [fill] = await env.ex.sync()
    # 63900 * 0.9995 = 63868.05 -> down to 63868.0; fee 638.68 * 0.004
    assert (fill.price, fill.fee, fill.liquidity, fill.order_id) == (D("63868.0"), D("2.55472"), Liquidity.TAKER, stop.id)
    assert (await env.ex.fetch_balances())["USD"].total == D("9346.972296") + D("638.68") - D("2.55472")


async def test_take_profit_sell_triggers_when_the_bid_reaches_it(env: PaperEnv) -> None:
    await env.ex.create_order(req(BUY, MARKET, "0.01"))
    await env.ex.create_order(req(SELL, TP, "0.01", stop="66000"))
    env.price("65999.9", "66010")
    assert await env.ex.sync() == []
    env.price("66100", "66110")
    [fill] = await env.ex.sync()
    assert fill.price == D("66066.9")  # 66100 * 0.9995 = 66066.95 -> down


async def test_buy_stop_and_buy_take_profit_hold_quote_and_trigger(env: PaperEnv) -> None:
    stop = await env.ex.create_order(req(BUY, STOP, "0.01", stop="66000"))
    # held for the triggered price with slippage and the taker fee: 0.01 * 66033 * 1.004
    assert (await env.ex.fetch_balances())["USD"].used == D("662.97132")
    target = await env.ex.create_order(req(BUY, TP, "0.01", stop="64000"))
    env.price("65990", "66000")
    [fill] = await env.ex.sync()
    assert (fill.order_id, fill.price) == (stop.id, D("66033.0"))
    env.price("63980", "63990")
    [fill] = await env.ex.sync()
    assert (fill.order_id, fill.price) == (target.id, D("64022.0"))  # 63990 * 1.0005 = 64021.995 -> up


async def test_a_stop_already_crossed_fills_at_once(env: PaperEnv) -> None:
    await env.ex.create_order(req(BUY, MARKET, "0.01"))
    order = await env.ex.create_order(req(SELL, STOP, "0.01", stop="65500"))
    assert (order.status, order.average) == (OrderStatus.CLOSED, D("64967.5"))


async def test_cancel_releases_the_hold_and_is_refused_twice(env: PaperEnv) -> None:
    order = await env.ex.create_order(req(BUY, LIMIT, "0.01", price="64000", client_id="my-order"))
    eth = await env.ex.create_order(req(BUY, LIMIT, "0.1", price="2900", symbol="ETH/USD"))
    cancelled = await env.ex.cancel_order("my-order")
    assert (cancelled.id, cancelled.status, cancelled.reason) == (order.id, OrderStatus.CANCELED, "cancelled by request")
    assert (await env.ex.fetch_balances())["USD"].used == D("291.16")  # only the ETH order's 0.1 * 2900 * 1.004
    with pytest.raises(OrderNotFoundError, match=rf"order {order.id} is not open \(canceled\)"):
        await env.ex.cancel_order(order.id)
    with pytest.raises(OrderNotFoundError, match="order OZZZZZ-ZZZZZ-ZZZZZZ not found"):
        await env.ex.cancel_order("OZZZZZ-ZZZZZ-ZZZZZZ")
    assert await env.ex.cancel_all("BTC/USD") == []
    [gone] = await env.ex.cancel_all("ethusd")
    assert gone.id == eth.id and (await env.ex.fetch_balances())["USD"] == Balance("USD", D("10000"))
    assert [o.id for o in await env.ex.fetch_closed_orders()] == [eth.id, order.id]


async def test_pair_spellings_and_auto_adjust(env: PaperEnv) -> None:
    for spelling in ("btcusd", "XBTUSD", "XBT/USD", "BTC/USD"):
        o = await env.ex.create_order(req(BUY, LIMIT, "0.001", price="60000", symbol=spelling))
        assert o.symbol == "BTC/USD"
    o = await env.ex.create_order(req(BUY, LIMIT, "0.012345678", price="60000.06"), auto_adjust=True)
    assert (o.amount, o.price) == (D("0.01234567"), D("60000.1"))


async def test_duplicate_client_id_places_nothing(env: PaperEnv) -> None:
    first = await env.ex.create_order(req(BUY, MARKET, "0.001", client_id="abc"))
    with pytest.raises(InvalidOrderError, match=f"client id abc is already used by order {first.id}"):
        await env.ex.create_order(req(BUY, LIMIT, "0.001", price="60000", client_id="abc"))
    assert len(env.db.list_orders()) == 1


REFUSED = [
    (req(BUY, MARKET, "NaN"), InvalidAmountError, "amount NaN must be a positive number"),
    (req(BUY, MARKET, "-1"), InvalidAmountError, "amount -1 must be a positive number"),
    (req(BUY, MARKET, "Infinity"), InvalidAmountError, "amount Infinity must be a positive number"),
    (req(BUY, MARKET, "0"), InvalidAmountError, "amount 0 must be a positive number"),
    (req(BUY, LIMIT, "0.01", price="-5"), InvalidAmountError, "price -5 must be a positive number"),
    (req(BUY, MARKET, "0.01", symbol="DOGE/XYZ"), UnknownPairError, "unknown pair 'DOGE/XYZ'"),
    (req(BUY, MARKET, "0.01", symbol="nonsense!"), UnknownPairError, "is not a pair"),
    (req(BUY, LIMIT, "0.01", price="65000.123"), PrecisionError,
     "price 65000.123 has more decimals than BTC/USD allows (step 0.1)"),
    (req(SELL, STOP, "0.01", stop="64000.05"), PrecisionError,
     "trigger price 64000.05 has more decimals than BTC/USD allows (step 0.1)"),
    (req(BUY, MARKET, "0.000000001"), PrecisionError,
     "amount 0.000000001 has more decimals than BTC/USD allows (step 0.00000001)"),
    (req(BUY, MARKET, "0.00005"), BelowMinimumError, "amount 0.00005 BTC is below the BTC/USD minimum of 0.0001 BTC"),
    (req(BUY, LIMIT, "0.0001", price="1000"), BelowMinimumError,
     "order value 0.10 USD is below the BTC/USD minimum of 0.5 USD"),
    (req(BUY, MARKET, "1"), InsufficientFundsError, "insufficient USD: need 65302.78, free 10000.00"),
    (req(BUY, LIMIT, "0.2", price="50000"), InsufficientFundsError, "insufficient USD: need 10040.00, free 10000.00"),
    (req(SELL, MARKET, "0.01"), InsufficientFundsError, "insufficient BTC: need 0.01, free 0"),
    (req(SELL, STOP, "0.01", stop="60000"), InsufficientFundsError, "insufficient BTC: need 0.01, free 0"),
    (req(BUY, LIMIT, "0.01"), InvalidOrderError, "a limit order takes a price"),
    (req(BUY, MARKET, "0.01", price="65000"), InvalidOrderError, "a market order takes no price"),
    (req(BUY, STOP, "0.01", price="65000"), InvalidOrderError, "a stop-loss order takes a trigger price"),
]


@pytest.mark.parametrize(("request_", "error", "message"), REFUSED, ids=[m for _, _, m in REFUSED])
async def test_a_refused_order_writes_nothing(env: PaperEnv, request_: OrderRequest, error: type,
                                              message: str) -> None:
    balances = await env.ex.fetch_balances()  # funds the account first
    before = env.rows()
    with pytest.raises(error) as err:
        await env.ex.create_order(request_)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert env.rows() == before
    assert await env.ex.fetch_balances() == balances and await env.ex.fetch_open_orders() == []


async def test_a_failed_commit_leaves_memory_as_it_was(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    flaky = FlakyLedger(env.db)
    ex = PaperExchange(env.feed, flaky, env.clock)
    await ex.create_order(req(BUY, LIMIT, "0.01", price="64000"))
    balances, opened = await ex.fetch_balances(), await ex.fetch_open_orders()
    flaky.fail_next = True
    with pytest.raises(OSError):
        await ex.create_order(req(BUY, MARKET, "0.01"))
    assert await ex.fetch_balances() == balances and await ex.fetch_open_orders() == opened
    flaky.fail_next = True
    env.price("63980", "63990")
    with pytest.raises(OSError):
        await ex.sync()  # the limit fill could not be stored, so it did not happen
    assert await ex.fetch_balances() != balances  # ...and happens on the next check instead
    assert len(await ex.fetch_my_trades()) == 1
    env.db.close()


async def test_funding_happens_once_and_fees_are_configurable(tmp_path: Path) -> None:
    env = make_env(tmp_path, starting_balance=D("500"), maker_fee=D("0"), taker_fee=D("0.001"), slippage_bps=D("0"))
    o = await env.ex.create_order(req(BUY, MARKET, "0.001"))
    assert (o.average, o.fee) == (D("65010"), D("0.06501"))
    ex2 = env.reopen(starting_balance=D("99999"))
    assert (await ex2.fetch_balances())["USD"].total == D("500") - D("65.01") - D("0.06501")
    env.db.close()


async def test_equity_identity_holds_exactly(env: PaperEnv) -> None:
    await env.ex.create_order(req(BUY, MARKET, "0.013"))
    env.price("65500", "65503.3")
    await env.ex.create_order(req(BUY, MARKET, "0.00700001"))
    await env.ex.create_order(req(BUY, MARKET, "0.3", symbol="ETH/USD"))
    env.price("66100", "66120")
    await env.ex.create_order(req(SELL, MARKET, "0.00912345"))
    env.price("3011.11", "3011.5", "ETH/USD")
    await env.ex.create_order(req(SELL, LIMIT, "0.1", price="3011.11", symbol="ETH/USD"))
    env.price("64321.7", "64330")
    acct = await env.ex.account()
    assert acct.equity - 10000 == acct.realized_pnl + acct.unrealized_pnl
    assert acct.unrealized_pnl != 0 and acct.realized_pnl != 0
    trades = await env.ex.fetch_my_trades()
    assert acct.fees_paid == sum(f.fee for f in trades)


async def test_validate_only_checks_everything_and_places_nothing(env: PaperEnv) -> None:
    await env.ex.fetch_balances()
    before = env.rows()
    checked = await env.ex.create_order(req(BUY, LIMIT, "0.01", price="64000", validate_only=True))
    assert (checked.id, checked.status, checked.reason) == ("", OrderStatus.CANCELED, "validated only")
    with pytest.raises(InsufficientFundsError):
        await env.ex.create_order(req(BUY, MARKET, "1", validate_only=True))
    assert env.rows() == before


def test_ids_look_like_krakens_and_settings_are_checked(tmp_path: Path) -> None:
    from trading.errors import ConfigError
    from trading.exchange.paper.book import kraken_id

    ids = {kraken_id() for _ in range(500)}
    assert len(ids) == 500 and all(re.fullmatch(r"O[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{6}", i) for i in ids)
    env = make_env(tmp_path)
    for bad in ({"taker_fee": D("-0.1")}, {"maker_fee": D("1")}, {"starting_balance": D("0")},
                {"slippage_bps": D("NaN")}):
        with pytest.raises(ConfigError):
            PaperExchange(env.feed, env.db, env.clock, **bad)
    env.db.close()
