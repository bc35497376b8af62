"""The report and performance_report over more fills than the old 100,000-fill read: every fill counts.

A 10 BTC position bought first, then 50,100 small ETH round trips (100,200 fills), then today's sale of the old
position: its P&L needs the first buy's cost. Both tools must give the figures of a replay from scratch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from memory import open_database
from tests.fakes import FakeFeed
from tools.catalog import invoke
from tools.context import ToolContext
from trading.clock import ManualClock
from trading.config import TradingConfig
from trading.domain import ZERO, Fill, Liquidity, Mode, Side
from trading.exchange.paper.exchange import PaperExchange
from trading.pnl import closing_pnls

D = Decimal
NOW = datetime(2024, 6, 30, 18, 0, tzinfo=UTC)
ROUND_TRIPS = 50_100


def fill(n: int, side: Side, amount: str, price: D, fee: D, at: datetime, symbol: str = "ETH/USD") -> Fill:
    return Fill(id=f"T{n}", order_id=f"O{n}", client_id=f"c{n}", symbol=symbol, side=side, amount=D(amount),
                price=price, fee=fee, fee_currency="USD", liquidity=Liquidity.TAKER, timestamp=at)


async def test_reports_over_more_fills_than_the_old_cap_use_every_fill(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    feed = FakeFeed(clock=clock)
    feed.set_price("BTC/USD", "30000", "30001")
    db = open_database(Mode.PAPER, tmp_path)
    first = NOW - timedelta(days=30)
    fills = [fill(0, Side.BUY, "10", D(20000), D("40"), first, "BTC/USD")]
    step = (NOW - timedelta(hours=1) - first) / ROUND_TRIPS
    for i in range(ROUND_TRIPS):
        at = first + step * (i + 1)
        price = D(2500 + (i * 37) % 500)
        fills.append(fill(2 * i + 1, Side.BUY, "0.001", price, D("0.01"), at))
        fills.append(fill(2 * i + 2, Side.SELL, "0.001", price + D(i % 7 - 3), D("0.01"), at + step / 2))
    fills.append(fill(10**7, Side.SELL, "10", D(30000), D("60"), NOW - timedelta(minutes=30), "BTC/USD"))
    for start in range(0, len(fills), 20_000):
        db.record_fills(fills[start:start + 20_000])
    assert len(fills) > 100_000

    ex = PaperExchange(feed, db, clock, slippage_bps=D("0"))
    ctx = ToolContext(mode=Mode.PAPER, exchange=ex, journal=db, clock=clock, quote_currency="USD",
                      credentials_present=False, log_level="INFO", database="test", store=db,
                      trading_config=TradingConfig(), log_file=tmp_path / "zyn.log")
    today = NOW.replace(hour=0)
    scratch = closing_pnls(sorted(fills, key=lambda f: f.timestamp))  # from scratch, every fill
    expected = [(f, p) for f, p in scratch if f.timestamp >= today]
    old_sale = next(p for f, p in scratch if f.id == f"T{10**7}")
    # Its average cost is the first buy's, 20,004 a coin with the fee: the old read saw none of it.
    assert old_sale == (D(30000) - D(20004)) * 10 - 60

    report = await invoke(ctx, "report", {"period": "today", "chart": False})
    assert report.trades == len(expected) > 1
    assert report.realized_pnl == sum((p for _, p in expected), ZERO)
    assert report.best.pnl == old_sale
    assert report.fees == sum((f.fee for f in fills if f.timestamp >= today), ZERO)

    perf = await invoke(ctx, "performance_report", {"period": "today"})
    assert perf.trades == len(expected) and perf.realized_pnl == report.realized_pnl
    everything = await invoke(ctx, "performance_report", {"period": "all"})
    assert everything.trades == len(scratch)
    assert everything.realized_pnl == sum((p for _, p in scratch), ZERO)
    assert db.check_costs().ok
    db.close()
