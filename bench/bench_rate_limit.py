"""Prints what Kraken's rate limits do to a burst of calls from four clients on one key (the autopilot, a chat,
the reconciler and the fill watcher), against the Kraken stand-in enforcing the counter (tests/standins/).

Real ccxt over HTTP to 127.0.0.1, signed calls. The counter is Kraken's starter model (maximum 15; Ledgers and
TradesHistory cost 2) with its decay sped up 12x (4/s instead of 0.33/s) so a run takes seconds: refusals are
counted without our limiter and with it, with the wall time and how long callers waited. Also the limiter's own
cost per call (no waiting), in microseconds.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.standins.kraken import DEFAULT_KEY, DEFAULT_SECRET, KrakenStandin  # noqa: E402
from tests.standins.kraken_limits import KrakenLimits  # noqa: E402
from trading.exchange.kraken.client import KrakenExchange  # noqa: E402
from trading.exchange.kraken.ratelimit import KrakenLimiter, Tier, limiter_for  # noqa: E402

TIER = Tier("starter-x12", 15, 4.0, 60, 12.0)
CALLS, CLIENTS = 60, 4


async def burst(tier: Tier | None) -> tuple[int, int, float, float]:
    async with KrakenStandin(api_key=DEFAULT_KEY, api_secret=DEFAULT_SECRET) as k:
        k.limits = KrakenLimits(max_counter=TIER.max_counter, decay=TIER.decay)
        clients = [KrakenExchange(DEFAULT_KEY, DEFAULT_SECRET, api_url=k.url, retries=4, retry_wait=0.01,
                                  rate_tier=tier) for _ in range(CLIENTS)]
        try:
            await asyncio.gather(*(c.load_markets() for c in clients), return_exceptions=True)

            async def one(i: int) -> object:
                ex = clients[i % CLIENTS]
                method = ("fetch_my_trades", "fetch_balance", "fetch_open_orders")[i % 3]
                return await ex._call(method, *([] if method == "fetch_balance" else [None]))

            started = time.perf_counter()
            results = await asyncio.gather(*(one(i) for i in range(CALLS)), return_exceptions=True)
            wall = time.perf_counter() - started
        finally:
            for c in clients:
                await c.close()
        failed = sum(isinstance(r, BaseException) for r in results)
        waited = sum(c.limiter.waited for c in clients if c.limiter is not None)
        return len(k.limits.refused), failed, wall, waited


def overhead() -> float:
    limiter: KrakenLimiter = limiter_for("http://bench", "bench-key", Tier("huge", 1e12, 1e12, 1e12, 1e12))
    n = 20000
    started = time.perf_counter()
    for _ in range(n):
        limiter._where("private", "BalanceEx", {})
        limiter.account.api.wait_for(1.0)
        limiter.account.api.add(1.0)
    return (time.perf_counter() - started) / n * 1e6


async def main() -> None:
    print(f"{CALLS} private calls from {CLIENTS} clients on one key, counter max {TIER.max_counter:g}, "
          f"decay {TIER.decay:g}/s (starter x12)")
    for label, tier in (("without our limiter", None), ("with the shared limiter", TIER)):
        refused, failed, wall, waited = await burst(tier)
        print(f"  {label:<24} Kraken refusals {refused:>3}  calls failed {failed:>2}  wall {wall:5.2f} s  "
              f"callers waited {waited:6.1f} s (summed)")
    print(f"  limiter bookkeeping per call: {overhead():.1f} us")


if __name__ == "__main__":
    asyncio.run(main())
