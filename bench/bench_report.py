"""Prints how long the report tools take over 1,000, 100,000 and 1,000,000 stored fills (medians, warm).

For each size, a real paper exchange on a temp SQLite file holds a history built with bulk inserts (the
journal's record_fills, 20,000 fills a transaction): round trips in BTC and ETH, the same last day (500 fills
"today") and the rest before it. Each figure is the median of RUNS calls after one untimed warm-up call, so
every size is measured warm against warm. Also prints what each report said, to show the figures agree.

    python bench/bench_report.py            # 1k, 100k and 1M fills (1M takes a few minutes to build)
    python bench/bench_report.py 1000 100000
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as `python bench/bench_report.py`

from loguru import logger  # noqa: E402

from bot.notify.fanout import NotifyResult  # noqa: E402
from bot.reports import DailyReporter  # noqa: E402
from memory import open_database  # noqa: E402
from tests.fakes import FakeFeed  # noqa: E402
from tools.catalog import invoke  # noqa: E402
from tools.context import ToolContext  # noqa: E402
from trading.clock import ManualClock  # noqa: E402
from trading.config import TradingConfig  # noqa: E402
from trading.domain import Fill, Liquidity, Mode, Side  # noqa: E402
from trading.exchange.paper.exchange import PaperExchange  # noqa: E402

END = datetime(2024, 6, 30, 21, 0, tzinfo=UTC)
TODAY = 100  # fills on the reported day (an autopilot on 5-minute candles makes tens a day), any size
SIZES = (1_000, 100_000, 1_000_000)
RUNS = 7
BATCH = 20_000


class NullNotifier:
    async def notify(self, alert) -> NotifyResult:  # noqa: ANN001
        return NotifyResult(alert)


def history(n: int, lo: int = 0, hi: int | None = None) -> list[Fill]:
    """Fills lo..hi of n, oldest first: buy then sell round trips, TODAY of them in the 21 hours before END."""
    spacing = timedelta(hours=21) / TODAY
    first = END - spacing * n
    out = []
    for i in range(lo, n if hi is None else hi):
        symbol, scale = ("BTC/USD", 1) if (i // 2) % 2 else ("ETH/USD", D("0.05"))
        side = Side.BUY if i % 2 == 0 else Side.SELL
        price = (D(60000) + D((i * 7919) % 4000) - 2000) * scale
        amount = D("0.01") if scale == 1 else D("0.2")
        out.append(Fill(id=f"B{i}", order_id=f"O{i}", client_id=f"c{i}", symbol=symbol, side=side, amount=amount,
                        price=price, fee=(price * amount * D("0.004")).quantize(D("0.0001")), fee_currency="USD",
                        liquidity=Liquidity.TAKER,
                        timestamp=first + spacing * i))
    return out


async def median_ms(make, runs: int = RUNS) -> float:  # noqa: ANN001
    await make()  # warm-up, not timed
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await make()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def one_size(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock(END)
        feed = FakeFeed(clock=clock)
        feed.set_price("BTC/USD", "60000", "60001")
        feed.set_price("ETH/USD", "3000", "3000.5")
        db = open_database(Mode.PAPER, Path(tmp))
        built = time.perf_counter()
        for start in range(0, n, BATCH):  # generated batch by batch: a million Fill objects at once is 1 GB
            db.record_fills(history(n, start, start + BATCH))
        took = time.perf_counter() - built
        ctx = ToolContext(mode=Mode.PAPER, exchange=PaperExchange(feed, db, clock), journal=db, clock=clock,
                          quote_currency="USD", credentials_present=False, log_level="WARNING",
                          database="bench", store=db, trading_config=TradingConfig(),
                          log_file=Path(tmp) / "logs" / "zyn.log")
        reporter = DailyReporter(ctx, NullNotifier(), clock, type("S", (), {"report_time": "21:00"})())
        today = await invoke(ctx, "report", {"period": "today", "chart": False})
        perf = await invoke(ctx, "performance_report", {"period": "today"})
        print(f"{n:>9,} fills (built in {took:5.1f} s): today {today.trades} trades, P&L {today.realized_pnl:,.2f}, "
              f"fees {today.fees:,.2f}; performance today {perf.trades} trades, P&L {perf.realized_pnl:,.2f}")
        figures = [
            ("report today, text", await median_ms(lambda: invoke(ctx, "report", {"period": "today",
                                                                                "chart": False}))),
            ("report week, text", await median_ms(lambda: invoke(ctx, "report", {"period": "week",
                                                                               "chart": False}))),
            ("performance_report today", await median_ms(lambda: invoke(ctx, "performance_report",
                                                                        {"period": "today"}))),
            ("daily report + PNG (the alert)", await median_ms(lambda: reporter.build_alert(END.date()), 3)),
        ]
        print("   " + "  ".join(f"{label} {ms:7.1f} ms" for label, ms in figures))
        db.close()


async def main(sizes: tuple[int, ...]) -> None:
    logger.remove()  # measure the work, not the log sink
    print(f"report benchmark: medians of {RUNS} warm calls (PNG: 3), {TODAY} fills on the reported day")
    for n in sizes:
        await one_size(n)


if __name__ == "__main__":
    asyncio.run(main(tuple(int(a) for a in sys.argv[1:]) or SIZES))
