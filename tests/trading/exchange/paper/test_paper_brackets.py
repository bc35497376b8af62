"""Paper brackets (OCO exits), restarts on the same database, and a random walk checking invariants."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from decimal import ROUND_DOWN, localcontext
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.trading.exchange.paper.paper_env import PaperEnv, make_env
from trading.domain import (
    Balance,
    BracketRequest,
    BracketStatus,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from trading.errors import InputError, InsufficientFundsError, InvalidOrderError, ZynError
from trading.exchange.paper.book import EXACT

BUY, SELL = Side.BUY, Side.SELL


def bracket(side: Side, amount: str, stop: str, target: str, entry: str | None = None, symbol: str = "BTC/USD",
            **kw: object) -> BracketRequest:
    return BracketRequest(symbol=symbol, side=side, amount=D(amount), stop_price=D(stop),
                          take_profit_price=D(target), entry_price=D(entry) if entry else None, **kw)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[PaperEnv]:
    e = make_env(tmp_path)
    yield e
    e.db.close()


async def statuses(env: PaperEnv, bracket_id: str) -> tuple[BracketStatus, list[OrderStatus]]:
    b = env.db.get_bracket(bracket_id)
    orders = [await env.ex.fetch_order(i) for i in (b.entry_order_id, b.stop_order_id, b.take_profit_order_id)]
    return b.status, [o.status for o in orders]


async def test_market_bracket_arms_both_exits_on_one_hold_then_take_profit_cancels_stop(env: PaperEnv) -> None:
    b = await env.ex.create_bracket(bracket(BUY, "0.01", stop="64000", target="67000", client_id="br"))
    assert b.status is BracketStatus.ACTIVE
    assert await statuses(env, b.id) == (BracketStatus.ACTIVE, [OrderStatus.CLOSED, OrderStatus.OPEN, OrderStatus.OPEN])
    assert (await env.ex.fetch_balances())["BTC"] == Balance("BTC", D("0.01"), D("0.01"))  # one hold, not two
    assert {o.client_id for o in await env.ex.fetch_open_orders()} == {"br-sl", "br-tp"}
    env.price("67100", "67110")
    [fill] = await env.ex.sync()
    assert fill.order_id == b.take_profit_order_id and fill.price == D("67066.4")
    assert await statuses(env, b.id) == (BracketStatus.CLOSED,
                                         [OrderStatus.CLOSED, OrderStatus.CANCELED, OrderStatus.CLOSED])
    assert (await env.ex.fetch_order(b.stop_order_id)).reason == "OCO: sibling filled"
    assert "BTC" not in await env.ex.fetch_balances()


async def test_stop_fills_and_cancels_the_take_profit(env: PaperEnv) -> None:
    b = await env.ex.create_bracket(bracket(BUY, "0.01", stop="64000", target="67000"))
    env.price("63950", "63960")
    [fill] = await env.ex.sync()
    assert fill.order_id == b.stop_order_id and fill.price == D("63918.0")  # 63950 * 0.9995 = 63918.025 -> down
    assert await statuses(env, b.id) == (BracketStatus.CLOSED,
                                         [OrderStatus.CLOSED, OrderStatus.CLOSED, OrderStatus.CANCELED])
    assert (await env.ex.fetch_order(b.take_profit_order_id)).reason == "OCO: sibling filled"


async def test_limit_entry_waits_with_pending_exits_then_arms_them(env: PaperEnv) -> None:
    b = await env.ex.create_bracket(bracket(BUY, "0.01", stop="63000", target="66000", entry="64000"))
    assert await statuses(env, b.id) == (BracketStatus.PENDING_ENTRY,
                                         [OrderStatus.OPEN, OrderStatus.PENDING, OrderStatus.PENDING])
    assert await env.ex.fetch_balances() == {"USD": Balance("USD", D("10000"), D("642.56"))}
    env.price("63980", "63990")
    [fill] = await env.ex.sync()
    assert (fill.order_id, fill.price) == (b.entry_order_id, D("64000"))
    assert await statuses(env, b.id) == (BracketStatus.ACTIVE, [OrderStatus.CLOSED, OrderStatus.OPEN, OrderStatus.OPEN])
    assert (await env.ex.fetch_balances())["BTC"] == Balance("BTC", D("0.01"), D("0.01"))


async def test_cancelling_the_entry_cancels_the_bracket_and_frees_the_hold(env: PaperEnv) -> None:
    b = await env.ex.create_bracket(bracket(BUY, "0.01", stop="63000", target="66000", entry="64000"))
    await env.ex.cancel_order(b.entry_order_id)
    assert await statuses(env, b.id) == (BracketStatus.CANCELED, [OrderStatus.CANCELED] * 3)
    assert (await env.ex.fetch_order(b.stop_order_id)).reason == "bracket entry cancelled"
    assert await env.ex.fetch_balances() == {"USD": Balance("USD", D("10000"))}
    assert await env.ex.fetch_open_orders() == []


async def test_cancelling_both_exits_cancels_an_active_bracket(env: PaperEnv) -> None:
    b = await env.ex.create_bracket(bracket(BUY, "0.01", stop="64000", target="67000"))
    await env.ex.cancel_order(b.stop_order_id)
    assert (await env.ex.fetch_balances())["BTC"].used == D("0.01")  # the target still guards it
    await env.ex.cancel_order(b.take_profit_order_id)
    assert env.db.get_bracket(b.id).status is BracketStatus.CANCELED
    assert (await env.ex.fetch_balances())["BTC"] == Balance("BTC", D("0.01"))


async def test_sell_bracket_buys_back_on_its_target(env: PaperEnv) -> None:
    await env.ex.create_order(OrderRequest("BTC/USD", BUY, OrderType.MARKET, D("0.02")))
    b = await env.ex.create_bracket(bracket(SELL, "0.01", stop="66000", target="64000"))
    # exits are buys: one quote hold at the stop with slippage and fee, 0.01 * 66033 * 1.004
    assert (await env.ex.fetch_balances())["USD"].used == D("662.97132")
    env.price("63980", "63990")
    [fill] = await env.ex.sync()
    assert (fill.order_id, fill.side, fill.price) == (b.take_profit_order_id, BUY, D("64022.0"))
    assert env.db.get_bracket(b.id).status is BracketStatus.CLOSED


BAD_BRACKETS = [
    (bracket(BUY, "0.01", stop="65500", target="67000"), "stop 65500 must be below the entry price 65010"),
    (bracket(BUY, "0.01", stop="64000", target="65005"), "take-profit 65005 must be above the entry price 65010"),
    (bracket(BUY, "0.01", stop="65005", target="67000"), "stop 65005 is at or above the bid 65000"),
    (bracket(BUY, "0.01", stop="63000", target="63900", entry="64000"), "take-profit 63900 must be above"),
    (bracket(SELL, "0.01", stop="64000", target="63000"), "stop 64000 must be above the entry price 65000"),
]


@pytest.mark.parametrize(("request_", "message"), BAD_BRACKETS, ids=[m for _, m in BAD_BRACKETS])
async def test_bracket_levels_are_checked_and_nothing_is_written(env: PaperEnv, request_: BracketRequest,
                                                                 message: str) -> None:
    await env.ex.fetch_balances()
    before = env.rows()
    with pytest.raises(InvalidOrderError, match=message):
        await env.ex.create_bracket(request_)
    assert env.rows() == before


async def test_bracket_needs_the_funds(env: PaperEnv) -> None:
    with pytest.raises(InsufficientFundsError, match="insufficient USD"):
        await env.ex.create_bracket(bracket(BUY, "1", stop="60000", target="70000"))
    with pytest.raises(InsufficientFundsError, match="insufficient BTC"):
        await env.ex.create_bracket(bracket(SELL, "0.01", stop="70000", target="60000"))


async def state(env: PaperEnv) -> tuple:
    """What a restart must reproduce."""
    return (await env.ex.fetch_balances(), await env.ex.fetch_open_orders(), await env.ex.positions(),
            env.db.list_brackets(active_only=True), await env.ex.fetch_my_trades())


async def test_a_restart_on_the_same_database_continues_exactly(env: PaperEnv) -> None:
    await env.ex.create_order(OrderRequest("BTC/USD", BUY, OrderType.MARKET, D("0.02")))
    await env.ex.create_order(OrderRequest("BTC/USD", BUY, OrderType.LIMIT, D("0.01"), price=D("60000")))
    await env.ex.create_order(OrderRequest("BTC/USD", SELL, OrderType.STOP_LOSS, D("0.005"), stop_price=D("60000")))
    await env.ex.create_bracket(bracket(BUY, "0.1", stop="2900", target="3100", entry="2950", symbol="ETH/USD"))
    active = await env.ex.create_bracket(bracket(BUY, "0.01", stop="64000", target="67000"))
    before = await state(env)
    env.reopen()
    assert await state(env) == before
    env.price("67100", "67110")
    [fill] = await env.ex.sync()
    assert fill.order_id == active.take_profit_order_id
    assert env.db.get_bracket(active.id).status is BracketStatus.CLOSED


def _round(value: D, step: D) -> D:
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


async def _random_action(env: PaperEnv, rng: random.Random, mid: D) -> None:
    ex, step = env.ex, D("0.1")
    amount = _round(D(str(rng.uniform(0.0005, 0.012))), D("0.00000001"))
    pick = rng.randrange(9)
    away = lambda pct: _round(mid * (1 + D(str(pct))), step)  # noqa: E731
    if pick == 0:
        await ex.create_order(OrderRequest("BTC/USD", rng.choice([BUY, SELL]), OrderType.MARKET, amount))
    elif pick == 1:
        await ex.create_order(OrderRequest("BTC/USD", BUY, OrderType.LIMIT, amount, price=away(-rng.uniform(0, .03))))
    elif pick == 2:
        await ex.create_order(OrderRequest("BTC/USD", SELL, OrderType.LIMIT, amount, price=away(rng.uniform(0, .03))))
    elif pick == 3:
        await ex.create_order(OrderRequest("BTC/USD", rng.choice([BUY, SELL]), rng.choice(
            [OrderType.STOP_LOSS, OrderType.TAKE_PROFIT]), amount, stop_price=away(rng.uniform(-.03, .03))))
    elif pick in (4, 5):
        entry = None if rng.random() < .5 else away(-rng.uniform(0, .02))
        await ex.create_bracket(BracketRequest("BTC/USD", BUY, amount, stop_price=away(-rng.uniform(.025, .05)),
                                               take_profit_price=away(rng.uniform(.01, .04)), entry_price=entry))
    elif pick == 6:
        opened = await ex.fetch_open_orders()
        if opened:
            await ex.cancel_order(rng.choice(opened).id)
    elif pick == 7 and rng.random() < .2:
        await ex.cancel_all()
    else:
        await ex.sync()


async def check_invariants(env: PaperEnv) -> None:
    balances = await env.ex.fetch_balances()
    assert all(b.free >= 0 and b.used >= 0 and b.total >= 0 for b in balances.values()), balances
    acct = await env.ex.account()
    assert acct.equity - 10000 == acct.realized_pnl + acct.unrealized_pnl
    fills = await env.ex.fetch_my_trades()
    with localcontext(EXACT):  # the ledger's fills explain the balances to the last digit
        cash = D(10000) + sum((f.cost - f.fee if f.side is SELL else -f.cost - f.fee for f in fills), D(0))
        coins = sum((f.amount if f.side is BUY else -f.amount for f in fills), D(0))
    assert balances["USD"].total == cash
    assert balances.get("BTC", Balance("BTC", D(0))).total == coins
    positions = await env.ex.positions()
    assert positions.get("BTC/USD") is None or positions["BTC/USD"].amount == coins


@pytest.mark.parametrize("seed", [7, 2024])
async def test_random_walk_keeps_the_books_consistent(tmp_path: Path, seed: int) -> None:
    env = make_env(tmp_path)
    rng = random.Random(seed)
    mid = D("65000")
    refused = 0
    try:
        for step in range(100):
            mid = _round(mid * D(str(1 + rng.gauss(0, 0.006))), D("0.1"))
            env.price(mid - D("2.5"), mid + D("2.5"))
            try:
                await _random_action(env, rng, mid)
            except (InputError, InvalidOrderError, InsufficientFundsError):
                refused += 1  # refusals are part of the walk; they must leave no trace
            except ZynError as exc:  # pragma: no cover - shows the step that broke
                raise AssertionError(f"step {step}: {exc}") from exc
            await check_invariants(env)
            if step % 25 == 24:  # a restart mid-walk must not change anything
                before = await state(env)
                env.reopen()
                assert await state(env) == before
        assert len(await env.ex.fetch_my_trades()) > 10 and refused < 90
    finally:
        env.db.close()
