"""Prints how fast `zyn data fetch`'s engine turns Kraken public trades into stored candles (no delay).

Real ccxt against the local Kraken stand-in serving a trade tape of DAYS days (about 8,000 trades a day), the
first 12 hours before OHLC's 720-candle window rebuilt from Trades pages; candles stored in a fresh SQLite
candle store. With Kraken itself the delay between calls (default 1 s) and Kraken's own pacing dominate:
the last line says what that costs per day of history at a given trade rate.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as `python bench/bench_data_fetch.py`

from memory import open_database  # noqa: E402
from tests.bot.test_cli_data_fetch import NOW, _tape  # noqa: E402
from tests.standins.kraken import KrakenStandin  # noqa: E402
from trading.clock import ManualClock  # noqa: E402
from trading.domain import Mode  # noqa: E402
from trading.exchange.feeds.history import HistoryFetch  # noqa: E402
from trading.exchange.kraken.client import KrakenPublicFeed  # noqa: E402

RUNS = 3


async def one_run(tape: list) -> tuple[float, object]:
    async with KrakenStandin(now=NOW) as standin:
        standin.set_trades("XXBTZUSD", tape)
        with tempfile.TemporaryDirectory() as folder:
            db = open_database(Mode.PAPER, Path(folder))
            feed = KrakenPublicFeed(api_url=standin.url, clock=ManualClock(NOW), retries=0)
            try:
                job = HistoryFetch(feed, "BTC/USD", "5m", now=lambda: NOW, delay=0,
                                   store=lambda o, s: db.add_candles("BTC/USD", "5m", o, source=s,
                                                                     at=datetime.now(UTC)))
                started = time.perf_counter()
                report = await job.run(NOW - timedelta(days=3))
                return time.perf_counter() - started, report
            finally:
                await feed.close()
                db.close()


def main() -> None:
    tape = _tape()
    runs = [asyncio.run(one_run(tape)) for _ in range(RUNS)]
    seconds = statistics.median(s for s, _r in runs)
    r = runs[0][1]
    print(f"tape: {len(tape):,} trades over 3 days; fetched {r.trades:,} trades in {r.pages} Trades pages "
          f"+ {r.calls - r.pages} OHLC calls -> {r.from_trades:,} candles from trades, {r.from_ohlc:,} from OHLC")
    print(f"median of {RUNS}: {seconds:.2f} s  ({r.trades / seconds:,.0f} trades/s, "
          f"{1000 * seconds / r.calls:.0f} ms per call incl. storing)")
    for trades_a_day in (8_000, 50_000):
        pages = -(-trades_a_day // 1000)
        print(f"with Kraken at --delay 1 and {trades_a_day:,} trades a day: about {pages} calls, "
              f"~{pages * 1.0 / 60:.1f} min per day of history older than OHLC's window")


if __name__ == "__main__":
    main()
