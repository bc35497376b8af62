"""The report tool over a real paper history (tools, paper exchange, SQLite): figures to the cent, PNG."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from memory import Database, open_database
from tests.fakes import FakeFeed
from tools.catalog import CATALOG, invoke
from tools.context import ToolContext
from tools.report import ReportResult, closing_trades
from trading.clock import ManualClock
from trading.config import TradingConfig
from trading.domain import Balance, Mode
from trading.errors import InputError
from trading.exchange.paper.exchange import PaperExchange

D = Decimal
DAY = datetime(2024, 5, 6, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


@dataclass
class World:
    tmp: Path
    clock: ManualClock
    feed: FakeFeed
    db: Database
    ctx: ToolContext

    def at(self, when: datetime) -> None:
        self.clock.set(when)

    async def trade(self, symbol: str, side: str, amount: str) -> None:
        await invoke(self.ctx, "place_order", {"symbol": symbol, "side": side, "amount": amount})

    def reopen(self) -> None:
        """Close the database and rebuild everything on the same file (a restart)."""
        self.db.close()
        self.db = open_database(Mode.PAPER, self.tmp)
        self.ctx = make_ctx(self.tmp, self.clock, self.feed, self.db)


def make_ctx(tmp: Path, clock: ManualClock, feed: FakeFeed, db: Database) -> ToolContext:
    # No slippage: every fill is at the touch, so the expected figures below are plain arithmetic.
    ex = PaperExchange(feed, db, clock, slippage_bps=D("0"))
    return ToolContext(mode=Mode.PAPER, exchange=ex, journal=db, clock=clock, quote_currency="USD",
                       credentials_present=False, log_level="INFO", database="test", store=db,
                       trading_config=TradingConfig(), log_file=tmp / "logs" / "zyn.log")


def make_world(tmp: Path, start: datetime = DAY - timedelta(hours=14)) -> World:
    clock = ManualClock(start)
    feed = FakeFeed(clock=clock)
    feed.set_price("BTC/USD", "60000.0", "60010.0")
    feed.set_price("ETH/USD", "3000.00", "3000.50")
    db = open_database(Mode.PAPER, tmp)
    return World(tmp, clock, feed, db, make_ctx(tmp, clock, feed, db))


async def build_history(w: World) -> None:
    """A small win the day before; on DAY a win, a loss (fees 0.4% each leg) and an open ETH position."""
    w.at(DAY - timedelta(hours=14))  # 05-05 10:00: buy 0.1 BTC @ 60,010 (fee 24.004)
    await w.trade("BTC/USD", "buy", "0.1")
    w.at(DAY - timedelta(hours=12))  # 05-05 12:00: sell @ 60,500 (fee 24.2): +0.796
    w.feed.set_price("BTC/USD", "60500.0", "60510.0")
    await w.trade("BTC/USD", "sell", "0.1")
    w.at(DAY + timedelta(hours=1))  # 05-06 01:00: buy 0.1 BTC @ 60,010 (fee 24.004)
    w.feed.set_price("BTC/USD", "60000.0", "60010.0")
    await w.trade("BTC/USD", "buy", "0.1")
    w.at(DAY + timedelta(hours=3))  # 03:00: sell @ 61,000 (fee 24.4): +50.596
    w.feed.set_price("BTC/USD", "61000.0", "61010.0")
    await w.trade("BTC/USD", "sell", "0.1")
    w.at(DAY + timedelta(hours=4))  # 04:00: buy 1 ETH @ 3,000.50 (fee 12.002)
    await w.trade("ETH/USD", "buy", "1")
    w.at(DAY + timedelta(hours=7))  # 07:00: sell @ 2,950 (fee 11.8): -74.302
    w.feed.set_price("ETH/USD", "2950.00", "2950.50")
    await w.trade("ETH/USD", "sell", "1")
    w.at(DAY + timedelta(hours=8))  # 08:00: buy 0.5 ETH @ 2,950.50 (fee 5.901), average 2,962.302
    await w.trade("ETH/USD", "buy", "0.5")
    w.at(DAY + timedelta(hours=10))  # 10:00: ETH bid 3,100: unrealised +68.849
    w.feed.set_price("ETH/USD", "3100.00", "3100.50")


@pytest.fixture
async def world(tmp_path: Path) -> World:
    w = make_world(tmp_path)
    await build_history(w)
    yield w
    w.db.close()


def cents(value: Decimal | None) -> Decimal:
    assert value is not None
    return value.quantize(D("0.01"))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def assert_phone_text(text: str) -> None:
    lines = text.splitlines()
    assert 5 <= len(lines) <= 25, text
    assert max(len(line) for line in lines) <= 40, [line for line in lines if len(line) > 40]


async def test_today_report_figures_to_the_cent(world: World) -> None:
    r: ReportResult = await invoke(world.ctx, "report", {"period": "today"})
    assert (r.start, r.end, r.complete) == (DAY, DAY + timedelta(hours=10), False)
    assert cents(r.realized_pnl) == D("-23.71")  # +50.596 - 74.302
    assert cents(r.fees) == D("78.11")  # 24.004 + 24.4 + 12.002 + 11.8 + 5.901
    assert (r.trades, r.wins, r.win_rate) == (2, 1, D("0.5"))
    assert (r.best.symbol, cents(r.best.pnl), r.best.at) == ("BTC/USD", D("50.60"), DAY + timedelta(hours=3))
    assert (r.worst.symbol, cents(r.worst.pnl)) == ("ETH/USD", D("-74.30"))
    assert r.worst.at == DAY + timedelta(hours=7)
    [eth] = r.positions
    assert eth.position.symbol == "ETH/USD" and eth.position.amount == D("0.5")
    assert cents(eth.unrealized_pnl) == D("68.85") and cents(r.unrealized_pnl) == D("68.85")
    assert cents(r.equity_now) == D("10045.94")  # 10,000 + 0.796 - 23.706 + 68.849
    assert cents(r.equity_start) == D("10000.80") and r.equity_start_at == DAY  # flat overnight: exact
    assert r.equity_end == r.equity_now and r.curve_source == "fills"
    assert (r.kill_switch_tripped, r.autopilot_on) == (False, False)
    assert (r.mode, r.source) == (Mode.PAPER, "fake feed")
    assert all(isinstance(v, Decimal) for v in (r.realized_pnl, r.fees, r.unrealized_pnl, r.equity_now))
    text = r.text()
    assert_phone_text(text)
    for part in ("P&L -23.71 USD after fees", "Fees 78.11 USD", "Trades 2 · won 1 (50%)",
                 "Best BTC/USD +50.60 03:00", "Worst ETH/USD -74.30 07:00", "Equity 10,000.80 → 10,045.94",
                 "Change +45.14 USD (+0.45%)", " ETH/USD 0.5 +68.85", "Autopilot OFF · kill switch armed",
                 "PAPER · fake feed", "00:00–10:00 UTC", "2024-05-06, so far"):
        assert part in text, part
    data = r.chart.read_bytes()
    assert png_size(data) == (1000, 600) and len(data) > 15_000


async def test_week_and_a_past_day(world: World) -> None:
    week = await invoke(world.ctx, "report", {"period": "week", "chart": False})
    assert week.start == DAY - timedelta(days=6) and week.chart is None
    assert week.label == "7 days to 2024-05-06"
    assert (week.trades, week.wins) == (3, 2) and cents(week.realized_pnl) == D("-22.91")
    assert cents(week.fees) == D("126.31") and cents(week.equity_start) == D("10000.00")
    assert "Trades 3 · won 2 (67%)" in week.text() and "Best BTC/USD +50.60 05-06 03:00" in week.text()
    assert_phone_text(week.text())
    month = await invoke(world.ctx, "report", {"period": "month", "chart": False})
    assert month.start == DAY - timedelta(days=29) and month.trades == 3
    # "day" without a date is yesterday, the last complete UTC day.
    for args in ({"period": "day"}, {"period": "day", "date": "2024-05-05"}):
        past = await invoke(world.ctx, "report", args)
        assert (past.start, past.end, past.complete) == (DAY - timedelta(days=1), DAY, True)
        assert past.trades == 1 and cents(past.realized_pnl) == D("0.80") and cents(past.fees) == D("48.20")
        assert cents(past.equity_start) == D("10000.00") and cents(past.equity_end) == D("10000.80")
        assert "Trade BTC/USD +0.80 12:00" in past.text() and "Equity now 10,045.94 USD" in past.text()
    assert png_size(past.chart.read_bytes()) == (1000, 600)


async def test_empty_day_draws_a_flat_line(tmp_path: Path) -> None:
    w = make_world(tmp_path, DAY + timedelta(hours=21))
    r = await invoke(w.ctx, "report", {"period": "today"})
    assert (r.trades, r.wins, r.win_rate, r.best, r.realized_pnl, r.fees) == (0, 0, None, None, 0, 0)
    assert r.curve == [(DAY, D("10000")), (DAY + timedelta(hours=21), D("10000"))]
    assert "No trades in this period" in r.text() and "Open: none" in r.text()
    assert "Equity 10,000.00 → 10,000.00" in r.text()
    assert_phone_text(r.text())
    assert png_size(r.chart.read_bytes()) == (1000, 600)
    w.db.close()


async def test_snapshots_make_the_curve_when_recorded(world: World) -> None:
    usd = {"USD": Balance("USD", D("1"))}
    for minutes, equity in ((-3, "10000.50"), (30, "10001"), (240, "10040"), (480, "9980.25")):
        world.db.record_balance_snapshot(usd, DAY + timedelta(minutes=minutes), D(equity), "fake feed")
    r = await invoke(world.ctx, "report", {"period": "today"})
    assert r.curve_source == "snapshots" and "Curve: from fills" not in r.text()
    # The snapshot 3 minutes before midnight stands for the start; now's live equity ends the curve.
    assert r.curve[0] == (DAY, D("10000.50")) and r.curve[-1] == (world.clock.now(), r.equity_now)
    assert [p[1] for p in r.curve[1:-1]] == [D("10001"), D("10040"), D("9980.25")]
    assert cents(r.change) == D("45.44")
    assert png_size(r.chart.read_bytes()) == (1000, 600)
    # A past day ends at its last snapshot; snapshots that begin late are preceded by the fills' steps.
    world.db.record_balance_snapshot(usd, DAY - timedelta(hours=2), D("10000.80"), "fake feed")
    past = await invoke(world.ctx, "report", {"period": "day", "date": "2024-05-05"})
    noon, ten = DAY - timedelta(hours=12), DAY - timedelta(hours=2)
    assert past.curve_source == "fills+snapshots" and past.snapshots_from == ten
    assert [(t, cents(v)) for t, v in past.curve] == [
        (DAY - timedelta(days=1), D("10000.00")), (noon, D("10000.00")), (noon, D("10000.80")),
        (ten, D("10000.80")), (ten, D("10000.80")), (DAY - timedelta(minutes=3), D("10000.50"))]
    assert "Equity 10,000.00 → 10,000.50" in past.text() and "Curve: from fills until 22:00" in past.text()
    assert png_size(past.chart.read_bytes()) == (1000, 600)


async def test_kill_switch_and_autopilot_show(world: World) -> None:
    from trading.risk.state import KillSwitchState

    world.db.set_autopilot_enabled(True, by="test", at=world.clock.now())
    world.db.put_kill_switch(KillSwitchState(tripped=True, tripped_at=DAY + timedelta(hours=7, minutes=5),
                                             day=DAY.date(), reason="down 5%"))
    r = await invoke(world.ctx, "report", {"period": "today", "chart": False})
    assert r.kill_switch_tripped and r.autopilot_on
    assert "Autopilot ON" in r.text() and "Kill switch TRIPPED at 07:05 UTC" in r.text()


async def test_bad_arguments_are_one_clear_line(world: World) -> None:
    with pytest.raises(InputError, match="has not started"):
        await invoke(world.ctx, "report", {"period": "day", "date": "2024-05-07"})
    with pytest.raises(InputError, match="'today' takes no date"):
        await invoke(world.ctx, "report", {"period": "today", "date": "2024-05-01"})
    with pytest.raises(InputError):
        await invoke(world.ctx, "report", {"period": "year"})
    with pytest.raises(InputError):
        await invoke(world.ctx, "report", {"period": "day", "date": "yesterday-ish"})
    tool = CATALOG["report"]
    assert tool.permission.value == "read" and not tool.needs_confirmation(Mode.LIVE)


async def test_without_prices_the_report_still_comes(world: World) -> None:
    del world.feed.tickers["ETH/USD"]  # the open position cannot be valued
    r = await invoke(world.ctx, "report", {"period": "today"})
    assert r.equity_now is None and r.curve_source == "none" and cents(r.realized_pnl) == D("-23.71")
    assert "Equity unknown" in r.text() and png_size(r.chart.read_bytes()) == (1000, 600)


def test_closing_trades_only_count_sales_of_what_we_bought() -> None:
    from trading.domain import Fill, Liquidity, Side

    def fill(side: Side, amount: str, price: str, fee: str, minute: int) -> Fill:
        return Fill(f"T{minute}", "O", "C", "BTC/USD", side, D(amount), D(price), D(fee), "USD",
                    Liquidity.TAKER, DAY + timedelta(minutes=minute))

    trades = closing_trades([fill(Side.SELL, "1", "100", "1", 0),  # coins from outside our history
                             fill(Side.BUY, "2", "100", "2", 1), fill(Side.SELL, "1", "110", "1", 2),
                             fill(Side.SELL, "2", "90", "2", 3)])  # only 1 was left: half the fee
    assert [(t.pnl, t.at.minute) for t in trades] == [(D("8"), 2), (D("-12"), 3)]


def test_daily_windows_up_to_the_report_time_are_contiguous_and_refuse_the_future() -> None:
    from datetime import UTC, datetime, timedelta

    from tools.report import period_bounds
    from trading.errors import InputError

    now = datetime(2024, 5, 7, 21, 0, 5, tzinfo=UTC)
    first = period_bounds("day", None, now, datetime(2024, 5, 6, 21, 0, tzinfo=UTC))
    second = period_bounds("day", None, now, datetime(2024, 5, 7, 21, 0, tzinfo=UTC))
    assert first[1] == second[0] and second[1] - second[0] == timedelta(days=1)  # a 22:00 trade is in one only
    assert "so far" not in second[2]
    assert "so far" in period_bounds("day", None, now, datetime(2024, 5, 8, 0, 0, tzinfo=UTC))[2]
    with pytest.raises(InputError):
        period_bounds("day", None, now, datetime(2024, 5, 9, 21, 0, tzinfo=UTC))
    with pytest.raises(InputError):
        period_bounds("week", None, now, datetime(2024, 5, 7, 21, 0, tzinfo=UTC))


async def test_pnl_command_and_report_agree_to_the_cent(world: World) -> None:
    r: ReportResult = await invoke(world.ctx, "report", {"period": "today"})
    p = await invoke(world.ctx, "performance_report", {"period": "today"})
    assert (p.realized_pnl, p.trades, p.wins, p.best, p.worst) == (
        r.realized_pnl, r.trades, r.wins, r.best.pnl, r.worst.pnl)
    assert cents(p.fees) == cents(r.fees) and sum(p.by_symbol.values()) == p.realized_pnl
