"""Prints how long the offline replay takes to load its three bundled markets from a cold folder.

Each run copies the bundled data to a new temp folder (so nothing is cached yet) and asks one ticker
per symbol, which reads, checks and indexes that symbol's whole cycle of 5-minute candles.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as `python bench/bench_replay_load.py`

from trading.clock import ManualClock  # noqa: E402
from trading.exchange.feeds.replay import ReplayFeed  # noqa: E402

SYMBOLS = ("BTC/USD", "ETH/USD", "SOL/USD")
NOW = datetime(2025, 3, 10, 14, 7, 30, tzinfo=UTC)
RUNS = 5


async def cold_load(folder: Path) -> float:
    """Seconds to answer one ticker per symbol from a folder the feed has not read before."""
    data = Path(str(resources.files("trading.data")))
    for name in ("markets.json", *(s.replace("/", "_") + "-5m.csv.gz" for s in SYMBOLS)):
        shutil.copy(data / name, folder / name)
    feed = ReplayFeed(ManualClock(NOW), data_dir=folder)
    started = time.perf_counter()
    for symbol in SYMBOLS:
        await feed.fetch_ticker(symbol)
    elapsed = time.perf_counter() - started
    await feed.close()
    return elapsed


async def main() -> None:
    """Run the cold load RUNS times and print the median and the fastest."""
    times = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            times.append(await cold_load(Path(tmp)))
    print(f"replay data for {len(SYMBOLS)} symbols, cold: median {statistics.median(times):.3f} s, "
          f"fastest {min(times):.3f} s ({RUNS} runs)")


if __name__ == "__main__":
    asyncio.run(main())
