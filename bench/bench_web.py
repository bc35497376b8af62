"""The web cockpit under load, printed (no assertions): 20 dashboard clients with SSE open while the autopilot ticks.

The running web front end (uvicorn in this loop, tests/bot/web/harness.py) on a PAPER account with the offline
replay feed and a manual clock. Each client loads the first page (/), opens /api/events, then reads
/api/dashboard and a pair's candles (/api/tools/get_candles) in a loop, as the page does after each event.
Meanwhile the autopilot ticks (the clock jumps to the next candle close each time); each tick's
tick_completed event must reach every open stream. Clients, server and autopilot share one process and loop,
so the figures include the clients' own work.

Run: .venv/bin/python bench/bench_web.py [--clients 20] [--ticks 10] [--every 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def main(clients: int, ticks: int, every: float) -> None:
    for hammer in (True, False):
        await phase(clients, ticks, every, hammer)


async def phase(clients: int, ticks: int, every: float, hammer: bool) -> None:
    """hammer: every client re-reads as fast as it can (50 ms pauses); else as the page does, once per event."""
    from tests.bot.web.harness import running

    first: list[float] = []
    api: dict[str, list[float]] = {"/api/dashboard": [], "/api/tools/get_candles": []}
    events: list[int] = [0] * clients
    tick_times: list[float] = []
    stop = asyncio.Event()
    async with running() as h:
        # Some history: an order and a first tick, so the page has positions, fills and decisions to show.
        owner, csrf = await h.owner()
        await owner.post("/api/actions/place_bracket_order", json={"symbol": "BTC/USD", "side": "buy",
                         "amount": "0.01", "stop_pct": "2", "take_profit_pct": "4"}, headers={"X-CSRF-Token": csrf})
        await h.tick()
        alone: list[float] = []
        for _ in range(20):  # the first page with nobody else around
            async with h.client() as c:
                t0 = time.perf_counter()
                assert (await c.get("/")).status_code == 200
                alone.append(time.perf_counter() - t0)

        async def client(i: int) -> None:
            async with h.client() as c:
                t0 = time.perf_counter()
                page = await c.get("/")
                first.append(time.perf_counter() - t0)
                assert page.status_code == 200

                got = asyncio.Event()

                async def listen() -> None:
                    async with c.stream("GET", "/api/events") as r:
                        async for line in r.aiter_lines():
                            if line == "event: tick_completed":
                                events[i] += 1
                                got.set()

                sse = asyncio.create_task(listen())
                pair = ("BTC/USD", "ETH/USD", "SOL/USD")[i % 3]
                while not stop.is_set():
                    if not hammer:  # the page: read again when an event says something changed
                        waiter = asyncio.create_task(got.wait())
                        halt = asyncio.create_task(stop.wait())
                        await asyncio.wait({waiter, halt}, return_when=asyncio.FIRST_COMPLETED)
                        waiter.cancel()
                        halt.cancel()
                        if stop.is_set():
                            break
                        got.clear()
                    for path, params in (("/api/dashboard", None), ("/api/tools/get_candles", {"symbol": pair})):
                        t = time.perf_counter()
                        r = await c.get(path, params=params)
                        api[path].append(time.perf_counter() - t)
                        assert r.status_code == 200, r.text
                    if hammer:
                        await asyncio.sleep(0.05)
                sse.cancel()

        tasks = [asyncio.create_task(client(i)) for i in range(clients)]
        for _ in range(500):  # every stream open before the first tick
            if h.front.web.hub.listeners >= clients:
                break
            await asyncio.sleep(0.01)
        started = time.perf_counter()
        for _ in range(ticks):
            t = time.perf_counter()
            await h.tick()
            tick_times.append(time.perf_counter() - t)
            await asyncio.sleep(every)
        await asyncio.sleep(0.5)  # the last events reach the streams
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        elapsed = time.perf_counter() - started
        await owner.aclose()
    ms = 1000
    how = "each re-reading as fast as it can (50 ms pauses)" if hammer else "each re-reading once per tick event"
    print(f"{clients} clients with SSE open, {how}; {ticks} autopilot ticks every {every}s, over {elapsed:.1f} s")
    print(f"  first page (/), alone:    p50 {pct(alone, .5) * ms:6.1f} ms   p99 {pct(alone, .99) * ms:6.1f} ms")
    print(f"  first page (/), 20 at once: {pct(first, .5) * ms:6.1f} ms   p99 {pct(first, .99) * ms:6.1f} ms"
          f"   max {max(first) * ms:6.1f} ms")
    for path, values in api.items():
        print(f"  {path:<25} p50 {pct(values, .5) * ms:6.1f} ms   p99 {pct(values, .99) * ms:6.1f} ms"
              f"   ({len(values)} requests, {len(values) / elapsed:.0f}/s)")
    print(f"  autopilot tick under load: p50 {statistics.median(tick_times) * ms:6.1f} ms   max "
          f"{max(tick_times) * ms:6.1f} ms")
    print(f"  tick_completed events delivered: {sum(events)} of {clients * ticks} "
          f"(min per client {min(events)}, max {max(events)})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--ticks", type=int, default=10)
    parser.add_argument("--every", type=float, default=0.5)
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for key in [k for k in os.environ if k.startswith(("ZYN_", "KRAKEN_"))]:
            del os.environ[key]
        os.environ["ZYN_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["ZYN_CONFIG_FILE"] = str(Path(tmp) / "zyn.toml")
        os.chdir(tmp)
        asyncio.run(main(ns.clients, ns.ticks, ns.every))
