"""Prints how long `reconcile` takes over a window of N Kraken trades (the stand-in, real ccxt over HTTP),
first run (every trade imported) and second run (nothing to do), with the private calls each made.

    .venv/bin/python bench/bench_reconcile.py [N]   (default 500)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as `python bench/bench_reconcile.py`

from loguru import logger  # noqa: E402

from memory import open_database  # noqa: E402
from tests.standins.kraken import KrakenStandin  # noqa: E402
from trading.clock import SystemClock  # noqa: E402
from trading.domain import Mode  # noqa: E402
from trading.exchange.kraken.journal import JournaledKraken  # noqa: E402

KEY, SECRET = "bench-key", "YmVuY2ggc2VjcmV0IGZvciB0aGUgc3RhbmQtaW4="


async def main(n: int) -> None:
    logger.remove()
    async with KrakenStandin(api_key=KEY, api_secret=SECRET, balances={"ZUSD": "100000000", "XXBT": "0"}) as k:
        for i in range(n):  # n trades booked outside Zyn over the last 3 days
            txid = f"OBENCH-{i:05d}-AAAAAA"
            k.orders[txid] = k._new_order("XXBTZUSD", "buy", "market", Decimal("0.001"), None, None, {})
            k._fill(txid, k.prices["XXBTZUSD"]["ask"])
            then = k.now() - 3 * 86400 * (i + 1) / (n + 1)
            k.trades[k.orders[txid]["trades"][0]]["time"] = then
            k.orders[txid].update(opentm=then, closetm=then)
        with tempfile.TemporaryDirectory() as tmp:
            db = open_database(Mode.LIVE, Path(tmp))
            ex = JournaledKraken(KEY, SECRET, api_url=k.url, clock=SystemClock(), journal=db)
            try:
                since = datetime.now(UTC) - timedelta(days=4)
                for label in ("first run", "second run"):
                    calls = len(k.requests)
                    start = time.perf_counter()
                    report = await ex.reconcile(since)
                    took = time.perf_counter() - start
                    print(f"{label}: {took:.2f} s for {report.kraken_trades} trades / {report.kraken_orders} orders, "
                          f"imported {len(report.imported)} fills + {len(report.orders_imported)} orders, "
                          f"{len(report.differences)} differences, {len(k.requests) - calls} HTTP calls")
            finally:
                await ex.close()
                db.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
