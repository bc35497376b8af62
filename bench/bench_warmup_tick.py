"""Prints what a long warm-up (trend_timeframe = "4h", 2,448 five-minute candles) costs the autopilot's tick.

(a) Kraken (the local stand-in, real ccxt over HTTP) serving its 719 closed candles + the candle store holding the
    older ones: the first tick (reads the store once), then ten later ticks (the in-memory window), wall time
    of the whole tick, median.
(b) The offline replay serving the whole window itself: first tick and later ticks.
Run: .venv/bin/python bench/bench_warmup_tick.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memory import open_database  # noqa: E402
from tests.standins.kraken import KrakenStandin  # noqa: E402
from tests.trading.autopilot.test_history import FEED, NOW, _pilot, _rows, _series, _store  # noqa: E402
from trading.clock import ManualClock  # noqa: E402
from trading.domain import Mode  # noqa: E402
from trading.exchange.feeds.replay import ReplayFeed  # noqa: E402
from trading.exchange.kraken.client import KrakenPublicFeed  # noqa: E402
from trading.exchange.paper.exchange import PaperExchange  # noqa: E402

LATER = 10


async def kraken(tmp: Path) -> tuple[float, list[float], int]:
    series = _series(2600 + LATER)
    clock = ManualClock(NOW)
    db = open_database(Mode.PAPER, tmp)
    _store(db, series[:-FEED - LATER])
    async with KrakenStandin(now=NOW) as k:
        k.forbid_private = True
        k.set_price("XXBTZUSD", "30000.0", "30000.2")
        k.set_candles("XXBTZUSD", _rows(series[-FEED - LATER:-LATER]))
        feed = KrakenPublicFeed(api_url=k.url, clock=clock, retries=0)
        try:
            pilot = _pilot(PaperExchange(feed, db, clock), db, clock)
            t0 = time.perf_counter()
            await pilot.tick()
            first = time.perf_counter() - t0
            later = []
            for n in range(1, LATER + 1):
                k.set_candles("XXBTZUSD", _rows([(t + 300 * n, *r) for t, *r in series[-FEED - LATER:-LATER]]))
                clock.advance(timedelta(minutes=5))
                t0 = time.perf_counter()
                await pilot.tick()
                later.append(time.perf_counter() - t0)
        finally:
            await feed.close()
    return first, later, pilot.history.store_reads


async def replay(tmp: Path) -> tuple[float, list[float]]:
    clock = ManualClock(NOW)
    db = open_database(Mode.PAPER, tmp)
    pilot = _pilot(PaperExchange(ReplayFeed(clock), db, clock), db, clock)
    t0 = time.perf_counter()
    await pilot.tick()
    first = time.perf_counter() - t0
    later = []
    for _ in range(LATER):
        clock.advance(timedelta(minutes=5))
        t0 = time.perf_counter()
        await pilot.tick()
        later.append(time.perf_counter() - t0)
    return first, later


async def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        first, later, reads = await kraken(Path(d) / "k")
        print(f"(a) Kraken stand-in + candle store, 4h trend, 1 pair: first tick {first * 1000:.0f} ms, "
              f"later ticks median {statistics.median(later) * 1000:.0f} ms (max {max(later) * 1000:.0f}), "
              f"store reads {reads} in {1 + LATER} ticks")
        first, later = await replay(Path(d) / "r")
        print(f"(b) offline replay, 4h trend, 1 pair: first tick {first * 1000:.0f} ms, "
              f"later ticks median {statistics.median(later) * 1000:.0f} ms (max {max(later) * 1000:.0f})")


if __name__ == "__main__":
    asyncio.run(main())
