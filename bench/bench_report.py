"""Prints the time to build the daily report and its PNG over a month of 200 paper round trips.

A real paper exchange on a temp SQLite file, trades placed through the tools over 30 days, and (second
pass) a month of 5-minute equity snapshots, as the autopilot records them each tick.
"""

from __future__ import annotations

import asyncio
import random
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
from trading.domain import Balance, Mode  # noqa: E402
from trading.exchange.paper.exchange import PaperExchange  # noqa: E402

END = datetime(2024, 6, 30, 21, 0, tzinfo=UTC)
TRADES = 200
RUNS = 5


class NullNotifier:
    async def notify(self, alert) -> NotifyResult:  # noqa: ANN001
        return NotifyResult(alert)


async def timed(label: str, make) -> None:  # noqa: ANN001
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await make()
        times.append(time.perf_counter() - started)
    print(f"  {label:<46} median {statistics.median(times) * 1000:7.1f} ms  (min {min(times) * 1000:.1f}, "
          f"max {max(times) * 1000:.1f}, {RUNS} runs)")


async def main() -> None:
    logger.remove()  # measure the work, not the log sink
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        start = END - timedelta(days=30)
        clock = ManualClock(start)
        feed = FakeFeed(clock=clock)
        db = open_database(Mode.PAPER, Path(tmp))
        ctx = ToolContext(mode=Mode.PAPER, exchange=PaperExchange(feed, db, clock), journal=db, clock=clock,
                          quote_currency="USD", credentials_present=False, log_level="WARNING",
                          database="bench", store=db, trading_config=TradingConfig(),
                          log_file=Path(tmp) / "logs" / "zyn.log")
        step = (END - start) / (TRADES + 1)
        price = 60000.0
        built = time.perf_counter()
        for i in range(TRADES):  # 200 round trips: buy, then sell 40% of a step later at a random move
            symbol = "BTC/USD" if i % 2 else "ETH/USD"
            scale = 1.0 if symbol == "BTC/USD" else 0.05
            clock.set(start + step * i)
            feed.set_price(symbol, f"{price * scale:.2f}", f"{price * scale + 1:.2f}")
            await invoke(ctx, "place_order", {"symbol": symbol, "side": "buy", "amount": "0.01" if scale == 1
                                              else "0.2"})
            price *= 1 + rng.gauss(0.0005, 0.01)
            clock.set(start + step * i + step * 0.4)
            feed.set_price(symbol, f"{price * scale:.2f}", f"{price * scale + 1:.2f}")
            await invoke(ctx, "place_order", {"symbol": symbol, "side": "sell", "amount": "0.01" if scale == 1
                                              else "0.2"})
        clock.set(END)
        print(f"report benchmark: {TRADES} round trips ({len(db.list_fills())} fills) over 30 days, built in "
              f"{time.perf_counter() - built:.1f} s; SQLite at {db.path}")
        reporter = DailyReporter(ctx, NullNotifier(), clock, type("S", (), {"report_time": "21:00"})())
        day = END.date().isoformat()

        print(" equity curve from the fills (no snapshots):")
        await timed("daily report, text only", lambda: invoke(ctx, "report", {"period": "day", "date": day,
                                                                             "chart": False}))
        await timed("daily report + PNG (the scheduled alert)", lambda: reporter.build_alert(END.date()))
        await timed("month report + PNG", lambda: invoke(ctx, "report", {"period": "month"}))

        # What the autopilot records: a snapshot per 5-minute tick (a random walk bent to end at equity now).
        now_equity = (await invoke(ctx, "get_portfolio")).equity
        ticks = int((END - start) / timedelta(minutes=5)) + 1
        walk = [D("0")]
        for _ in range(ticks - 1):
            walk.append(walk[-1] + D(str(round(rng.gauss(0, 6), 2))))
        drift = (now_equity - D("10000") - walk[-1]) / (ticks - 1)
        for n, w in enumerate(walk):
            equity = (D("10000") + w + drift * n).quantize(D("0.01"))
            at = start + timedelta(minutes=5 * n)
            db.record_balance_snapshot({"USD": Balance("USD", equity)}, at, equity, "fake feed")
        n = ticks
        print(f" equity curve from {n} five-minute snapshots:")
        await timed("daily report + PNG (the scheduled alert)", lambda: reporter.build_alert(END.date()))
        await timed("month report + PNG", lambda: invoke(ctx, "report", {"period": "month"}))
        alert = await reporter.build_alert(END.date())
        month = await invoke(ctx, "report", {"period": "month"})
        kib = month.chart.stat().st_size / 1024
        print(f"  PNG sizes: daily {len(alert.photo) / 1024:.0f} KiB, month {kib:.0f} KiB; month: "
              f"{month.trades} trades, P&L {month.realized_pnl:,.2f} USD, fees {month.fees:,.2f} USD")
        db.close()


if __name__ == "__main__":
    asyncio.run(main())
