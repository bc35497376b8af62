"""Every order and fill says who placed it, and the reports' parts by source and by strategy add up exactly.

Real parts throughout: the autopilot's tick on the paper simulator, the gate with chat, command and web
callers (a confirmation keeps the asking kind), the CLI, and the report tools over the ledger they wrote.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.agent.world import make_world
from tests.trading.autopilot.test_autopilot import World as PilotWorld
from tests.trading.autopilot.test_autopilot import declining_then_jump
from tools.catalog import invoke
from tools.context import ToolContext
from tools.gate import Caller, CallerKind, Confirmations, Gate, Role, ToolCall
from trading.config import TradingConfig
from trading.domain import Mode, Side

TELEGRAM = Caller(user_id="42", chat_id="42", channel="telegram", role=Role.OWNER)
DISCORD = Caller(user_id="7", chat_id="c7", channel="discord", role=Role.OWNER)
WEB = Caller(user_id="owner", chat_id="local", channel="web", role=Role.OWNER)
BUY = {"symbol": "BTC/USD", "side": "buy", "amount": "0.01"}


async def test_each_path_records_its_source_and_a_confirmation_keeps_the_asking_kind(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    gate = Gate(w.ctx, Confirmations(w.db, w.clock), confirm_in_paper=["place_order"])
    asked = await gate.execute(TELEGRAM, ToolCall("place_order", BUY), kind=CallerKind.MODEL)
    assert asked.pending is not None  # waits for the person; the model cannot confirm
    done = await gate.confirm(TELEGRAM, asked.pending.code)  # confirmed later by a button press
    assert done.ok, done.error
    by_chat = done.result.order
    plain = Gate(w.ctx, Confirmations(w.db, w.clock))
    by_command = (await plain.execute(DISCORD, ToolCall("place_order", BUY), kind=CallerKind.COMMAND)).result.order
    by_web = (await plain.execute(WEB, ToolCall("place_order", BUY), kind=CallerKind.COMMAND)).result.order
    sources = {o.id: o.source for o in w.db.list_orders()}
    assert sources == {by_chat.id: "chat:telegram:42", by_command.id: "command:discord:7", by_web.id: "web:owner"}
    assert {f.order_id: f.source for f in w.db.list_fills()} == sources  # each fill carries its order's source


def test_the_cli_records_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["order", "buy", "BTC/USD", "0.001"]) == 0, capsys.readouterr().err
    with sqlite3.connect(tmp_path / "data" / "paper" / "zyn.db") as db:
        assert db.execute("select source, strategy from orders").fetchall() == [("cli", None)]
        assert db.execute("select source from fills").fetchall() == [("cli",)]


@pytest.fixture
def pilot(tmp_path: Path) -> PilotWorld:
    w = PilotWorld(tmp_path)
    w.clock.advance(timedelta(seconds=5))
    yield w
    w.db.close()


def tools_for(w: PilotWorld) -> ToolContext:
    return ToolContext(mode=Mode.PAPER, exchange=w.exchange, journal=w.db, clock=w.clock, quote_currency="USD",
                       credentials_present=False, log_level="INFO", database="test", store=w.db,
                       trading_config=TradingConfig(), log_file=w.path / "logs" / "zyn.log")


async def test_report_parts_by_source_and_strategy_add_up_with_profit_factor_and_r(pilot: PilotWorld) -> None:
    w = pilot
    w.set_closes(declining_then_jump())
    [ev] = (await w.pilot.tick()).evaluations  # the autopilot buys, with its stop and target
    assert ev.strategy == "ma_crossover"
    [bracket] = w.db.list_brackets()
    assert (bracket.source, bracket.strategy) == ("autopilot", "ma_crossover")
    [entry] = await w.exchange.fetch_my_trades()
    assert (entry.source, entry.strategy) == ("autopilot", "ma_crossover")
    stop = bracket.stop_price
    w.feed.set_price("BTC/USD", stop - 50, stop - 49)  # the stop is hit: a loss, the autopilot's
    stop_fill = next(f for f in await w.exchange.fetch_my_trades() if f.side is Side.SELL)
    assert (stop_fill.source, stop_fill.strategy) == ("autopilot", "ma_crossover")

    ctx = tools_for(w)
    gate = Gate(ctx, Confirmations(w.db, w.clock))
    ok = await gate.execute(TELEGRAM, ToolCall("place_order", BUY), kind=CallerKind.TEXT)  # a chat trade...
    assert ok.ok, ok.error
    last = stop + 2000
    w.feed.set_price("BTC/USD", last, last + 1)
    sell = {**BUY, "side": "sell"}
    ok = await gate.execute(DISCORD, ToolCall("place_order", sell), kind=CallerKind.COMMAND)  # ...closed by command
    assert ok.ok, ok.error

    fills = sorted(reversed(await w.exchange.fetch_my_trades()), key=lambda f: f.timestamp)
    buy1, sell1, buy2, sell2 = fills
    loss = (sell1.price - (buy1.amount * buy1.price + buy1.fee) / buy1.amount) * sell1.amount - sell1.fee
    win = (sell2.price - (buy2.amount * buy2.price + buy2.fee) / buy2.amount) * sell2.amount - sell2.fee
    assert loss < 0 < win
    r = loss / (buy1.amount * (buy1.price - stop))  # net P&L over the initial risk at entry

    rep = await invoke(ctx, "report", {"period": "today", "chart": False})
    perf = await invoke(ctx, "performance_report", {"period": "all"})
    for result in (rep, perf):
        assert result.realized_pnl == loss + win
        assert result.by_source == {"autopilot": loss, "chat": win}
        assert result.by_strategy == {"ma_crossover": loss, "no strategy": win}
        assert sum(result.by_source.values()) == result.realized_pnl  # exactly, not to the cent
        assert sum(result.by_strategy.values()) == result.realized_pnl
        assert result.profit_factor == win / -loss
        assert (result.average_r, result.r_trades) == (r, 1)  # the chat trade had no stop at entry
    text = rep.text()
    assert f"PF {win / -loss:.2f} · avg R {r:+.2f} (1/2)" in text, text
    assert "Source autopilot" in text and "Strategy ma_crossover" in text and "Source chat" in text
    assert "profit factor" in perf.text() and "(1 of 2 trades had a known stop)" in perf.text()
    assert "By source: " in perf.text()


async def test_average_r_is_na_without_any_stop(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    await invoke(w.ctx, "place_order", BUY)
    await invoke(w.ctx, "place_order", {**BUY, "side": "sell"})
    perf = await invoke(w.ctx, "performance_report", {"period": "all"})
    assert perf.trades == 1 and perf.average_r is None
    assert "average R n/a (no trade had a known stop at entry)" in perf.text()
    assert Decimal(sum(perf.by_source.values())) == perf.realized_pnl
