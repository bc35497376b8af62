"""The LIVE journal: brackets written ahead, every fill copied once from Kraken, tools and the autopilot reading it."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.standins.kraken import KrakenStandin
from tests.trading.exchange.conftest import KRAKEN_KEY, KRAKEN_NOW, KRAKEN_SECRET
from tests.trading.exchange.kraken.live_env import BTC, PAIR, Live, market_bracket
from tools.catalog import invoke
from tools.context import ToolContext
from trading.config import TradingConfig
from trading.domain import BracketRequest, BracketStatus, Mode, OrderRequest, OrderStatus, OrderType, Side
from trading.errors import InputError, InsufficientFundsError
from trading.events import EventKind
from trading.exchange.kraken.brackets import ExitKind
from trading.exchange.kraken.client import KrakenExchange


async def test_refused_entry_leaves_a_cancelled_bracket_and_local_refusals_none(live):
    live.k.fail_next("AddOrder", "EOrder:Insufficient funds")
    with pytest.raises(InsufficientFundsError):
        await market_bracket(live)
    [b] = live.db.list_brackets()
    assert (b.status, b.exit_kind) == (BracketStatus.CANCELED, "entry-refused")
    with pytest.raises(InputError, match="stop must be below"):
        await live.ex.create_bracket(BracketRequest(BTC, Side.BUY, D("0.001"), D("80000"), D("70000")))
    assert len(live.db.list_brackets()) == 1


async def test_fills_are_journaled_once_and_the_tools_read_them_from_the_journal(live):
    bracket = await market_bracket(live)
    await live.watch()
    live.k.move_price(PAIR, "80000.0", "80000.1")
    await live.watch(3)
    await live.restart()
    await live.watch(2)
    fills = live.db.list_fills()
    assert sorted(f.id for f in fills) == sorted(live.k.trades) and len(fills) == 2
    entry_fill = next(f for f in fills if f.side is Side.BUY)
    assert entry_fill.client_id == bracket.id  # Kraken's trade has none; the journaled order's is used
    b = live.bracket(bracket.id)
    assert live.db.get_order(b.take_profit_order_id).status is OrderStatus.CLOSED

    ctx = ToolContext(mode=Mode.LIVE, exchange=live.ex, journal=live.db, clock=live.clock, quote_currency="USD",
                      credentials_present=True, log_level="INFO", database="test", store=live.db,
                      trading_config=TradingConfig())
    history = await invoke(ctx, "trade_history", {})
    assert [f.id for f in history.fills] == [f.id for f in fills]
    perf = await invoke(ctx, "performance_report", {"period": "all"})
    assert perf.trades == 1 and perf.realized_pnl > 0
    assert len(live.db.list_fills()) == 2


async def test_the_journal_keeps_more_than_one_page_of_kraken_history(live):
    for _ in range(55):
        await live.ex.create_order(OrderRequest(BTC, Side.BUY, OrderType.MARKET, D("0.0001")))
    plain = KrakenExchange(KRAKEN_KEY, KRAKEN_SECRET, api_url=live.k.url, clock=live.clock, retry_wait=0.01)
    try:
        assert len(await plain.fetch_my_trades()) == 50  # Kraken's one page
    finally:
        await plain.close()
    assert len(await live.ex.fetch_my_trades()) == 55
    assert len(await live.ex.fetch_my_trades(BTC, limit=10)) == 10
    assert len(live.db.list_fills()) == 55


async def test_autopilot_live_entry_is_journaled_protected_and_exits_once(tmp_path):
    from tests.trading.autopilot.test_autopilot import CFG, declining_then_jump

    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET, now=KRAKEN_NOW,
                             balances={"ZUSD": "100000", "XXBT": "0"}) as k:
        closes = declining_then_jump(top=74000.0)
        last_open = int(KRAKEN_NOW.timestamp()) // 300 * 300 - 300  # the newest closed 5-minute candle
        rows = []
        for i, close in enumerate(closes):
            o = closes[i - 1] if i else close
            rows.append([last_open - 300 * (len(closes) - 1 - i), f"{o:.1f}", f"{max(o, close) + 120:.1f}",
                         f"{min(o, close) - 120:.1f}", f"{close:.1f}", f"{close:.1f}", "10.00000000", 10])
        k.set_candles(PAIR, rows)
        k.set_price(PAIR, f"{closes[-1] - 0.5:.1f}", f"{closes[-1] + 0.5:.1f}")
        live = Live(k, tmp_path)
        live.pilot.cfg = live.pilot.base_cfg = CFG
        live.db.set_autopilot_enabled(True, by="test")
        try:
            await live.watch()
            report = await live.pilot.tick()
            [ev] = report.evaluations
            assert ev.decision.value == "enter", ev.reasons
            [b] = live.db.list_brackets()
            [(stop_id, stop)] = live.open_orders()
            assert (b.status, b.stop_order_id, stop["refid"]) == (BracketStatus.ACTIVE, stop_id, b.entry_order_id)
            assert [f.order_id for f in live.db.list_fills()] == [b.entry_order_id]
            live.k.move_price(PAIR, f"{b.take_profit_price + 5}", f"{b.take_profit_price + 6}")
            await live.watch(3)
            b = live.db.get_bracket(b.id)
            assert (b.status, b.exit_kind) == (BracketStatus.CLOSED, ExitKind.TAKE_PROFIT)
            assert [e.exit_kind for e in live.exits()] == ["take-profit"] and live.k.balances["XXBT"] == 0
            assert len(live.db.list_fills()) == 2
        finally:
            await live.close()


async def test_strategy_exit_releases_the_bracket_and_sells_once(live):
    bracket = await market_bracket(live)
    await live.watch()
    await live.pilot._exit(BTC, D("0.001"), "ma_crossover")  # what a tick's exit signal does
    live.k.move_price(PAIR, "80000.0", "80000.1")
    await live.watch(2)
    b = live.bracket(bracket.id)
    assert (b.status, b.exit_kind) == (BracketStatus.CLOSED, ExitKind.EXIT_SIGNAL)
    assert live.open_orders() == [] and live.k.balances["XXBT"] == 0
    assert len(live.adds("market")) == 2 and live.exits() == []
    assert [e.kind for e in live.events].count(EventKind.ORDER_FILLED) == 2
