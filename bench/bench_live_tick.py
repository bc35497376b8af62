"""Prints the wall time of one LIVE autopilot tick over 20 symbols against the local Kraken stand-in.

Real ccxt over HTTP to 127.0.0.1, signed private calls, a real SQLite database: everything the live
tick does except the internet. Each symbol gets 301 closed 5-minute candles of a seeded random walk.
"""

from __future__ import annotations

import asyncio
import copy
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from memory import open_database  # noqa: E402
from tests.standins.kraken import KrakenStandin  # noqa: E402
from trading.autopilot.engine import Autopilot  # noqa: E402
from trading.clock import ManualClock  # noqa: E402
from trading.config import TradingConfig  # noqa: E402
from trading.domain import Mode  # noqa: E402
from trading.events import EventBus  # noqa: E402
from trading.exchange.kraken.client import KrakenExchange  # noqa: E402
from trading.risk.limits import DailyLimits, KillSwitch  # noqa: E402

NOW = datetime(2024, 6, 3, 12, 0, 5, tzinfo=UTC)
SYMBOLS = 20


def add_pairs(k: KrakenStandin) -> list[str]:
    """Twenty USD pairs: the recorded ones plus synthetic coins shaped like SOL/USD."""
    symbols = ["BTC/USD", "ETH/USD", "SOL/USD"]
    for n in range(SYMBOLS - len(symbols)):
        base = f"CN{n:02d}"
        pair = copy.deepcopy(k.pairs["SOLUSD"])
        pair.update(altname=f"{base}USD", wsname=f"{base}/USD", base=base)
        k.pairs[f"{base}USD"] = pair
        k.assets[base] = dict(k.assets["SOL"], altname=base)
        k.prices[f"{base}USD"] = {"bid": Decimal("10.00"), "ask": Decimal("10.01"), "last": Decimal("10.00")}
        symbols.append(f"{base}/USD")
    rng = random.Random(42)
    end = int(NOW.timestamp()) // 300 * 300
    for pid, pair in k.pairs.items():
        if pair["quote"] != "ZUSD":
            continue
        places = int(pair["pair_decimals"])
        price = float(k.prices[pid]["last"])
        rows = []
        for i in range(302):  # 301 closed candles and the forming one
            o = price
            price *= 1 + rng.gauss(0, 0.003)
            hi, lo = max(o, price) * (1 + abs(rng.gauss(0, 0.001))), min(o, price) * (1 - abs(rng.gauss(0, 0.001)))
            rows.append([end - (301 - i) * 300, f"{o:.{places}f}", f"{hi:.{places}f}", f"{lo:.{places}f}",
                         f"{price:.{places}f}", f"{price:.{places}f}", f"{rng.uniform(5, 50):.8f}", 10])
        k.set_candles(pid, rows)
        last = Decimal(rows[-1][4])
        k.set_price(pid, last, last + Decimal(1).scaleb(-places))
    return symbols


async def one_tick(k: KrakenStandin, symbols: list[str], tmp: Path, run: int) -> tuple[float, int]:
    clock = ManualClock(NOW)
    cfg = TradingConfig(universe=tuple(symbols))
    db = open_database(Mode.LIVE, tmp / f"run{run}")
    db.set_autopilot_enabled(True, by="bench")
    exchange = KrakenExchange(k.api_key, k.api_secret, api_url=k.url, clock=clock)
    pilot = Autopilot(exchange, db, DailyLimits(db, cfg.risk, clock), KillSwitch(db, cfg.risk, clock), clock, cfg,
                      EventBus())
    start = time.perf_counter()
    report = await pilot.tick()
    elapsed = time.perf_counter() - start
    await exchange.close()
    db.close()
    return elapsed, len(report.evaluations)


async def main() -> None:
    from loguru import logger

    logger.remove()  # the figures only
    async with KrakenStandin(now=NOW, balances={"ZUSD": "10000"}) as k:
        symbols = add_pairs(k)
        with tempfile.TemporaryDirectory() as tmp:
            times = []
            for run in range(5):
                elapsed, evaluated = await one_tick(k, symbols, Path(tmp), run)
                times.append(elapsed)
        requests = len(k.requests)
    print(f"live tick over {len(symbols)} symbols (Kraken stand-in on 127.0.0.1, real ccxt, signed calls, SQLite):")
    print(f"  first tick (cold: markets load) {times[0] * 1000:7.1f} ms, evaluated {evaluated} symbols")
    print(f"  later ticks median              {statistics.median(times[1:]) * 1000:7.1f} ms")
    print(f"  HTTP requests over 5 ticks      {requests}")


if __name__ == "__main__":
    asyncio.run(main())
