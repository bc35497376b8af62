"""Discord under load, printed (no assertions): issue 10's bench figures.

50 users x 20 slash commands (/price BTC/USD, /status, /price ETH/USD, /balance, /positions; no model in the
loop) dispatched at once by the gateway stand-in (tests/standins/discord.py) to the real discord.py client,
which answers each interaction through the desk and gate on a PAPER account (offline replay feed, SQLite in a
temporary folder). Every interaction must get exactly one answer (lost: none; duplicated: a second callback or
answer); latency is from the dispatch of INTERACTION_CREATE to the stand-in receiving the answer. The stand-in
runs in the same process and loop, so its work is included. Twice: no network delay, then 50-100 ms on every
REST call, as over the internet (bench/bench_telegram.py runs the same configuration for Telegram).

Run: .venv/bin/python bench/bench_discord.py [--users 50] [--commands 20]
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

from bot.app import build_agent, build_gate  # noqa: E402
from bot.discord.client import DiscordFrontEnd  # noqa: E402
from bot.frontend import FrontEndContext  # noqa: E402
from bot.service import build_runtime  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from tests.standins.discord import DiscordStandin  # noqa: E402
from trading.clock import SystemClock  # noqa: E402

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GZyn03.bench-discord-token-not-a-real-one-0123"
COMMANDS = [("price", {"pair": "BTC/USD"}, "BTC/USD: last"), ("status", {}, "Mode PAPER"),
            ("price", {"pair": "ETH/USD"}, "ETH/USD: last"), ("balance", {}, "Balances (paper)"),
            ("positions", {}, "No open positions")]
USER0 = 10_000
CHANNEL = 6001
IDLE = 50


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def run(users_n: int, per_user: int, data_dir: Path, delay: tuple[float, float]) -> None:
    users = [USER0 + i for i in range(users_n)]
    os.environ["ZYN_DATA_DIR"] = str(data_dir)
    async with DiscordStandin(TOKEN) as dc:
        settings = load_settings(discord_token=TOKEN, discord_api_url=dc.url, discord_gateway_url=dc.gateway_url,
                                 discord_owner_id=users[0], discord_allowed_ids=",".join(map(str, users[1:])),
                                 discord_guild_ids=str(dc.guild_id), offline=True)
        clock = SystemClock()
        runtime = build_runtime(settings, clock=clock)
        gate = build_gate(runtime.services)
        agent = build_agent(runtime.services, gate)
        front = DiscordFrontEnd(guild_ready_timeout=0.1)
        await front.start(FrontEndContext(gate=gate, agent=agent, clock=clock, settings=settings))
        dc.delay = delay
        try:
            warm = [await dc.slash(u, "status", channel=CHANNEL) for u in users]  # not measured
            await dc.wait_for(lambda: all(it.answers for it in warm), 60)
            idle = []
            for i in range(IDLE):
                name, values, _ = COMMANDS[i % len(COMMANDS)]
                it = await dc.slash(users[i % users_n], name, values, channel=CHANNEL)
                [answer] = await dc.answer(it, timeout=10)
                idle.append(answer.at - it.at)
            burst: list[tuple[object, str]] = []
            started = time.monotonic()
            for i in range(per_user):  # all at once, interleaved across the users
                for u in users:
                    name, values, expect = COMMANDS[(i + u) % len(COMMANDS)]
                    burst.append((await dc.slash(u, name, values, channel=CHANNEL), expect))
            try:
                await dc.wait_for(lambda: all(it.answers for it, _ in burst), 180)
            except TimeoutError:
                pass  # lost answers are counted below
            finished = time.monotonic()
            await asyncio.sleep(1.0)  # late duplicates would arrive now
        finally:
            await front.stop()
            await agent.close()
            await runtime.services.close()
    lost = sum(1 for it, _ in burst if not it.answers)
    duplicated = sum(max(0, len(it.answers) - 1) + max(0, len(it.callbacks) - 1) for it, _ in burst)
    mismatched = sum(1 for it, expect in burst if it.answers and expect not in it.answers[0].text())
    latencies = [it.answers[0].at - it.at for it, _ in burst if it.answers]
    deferred = sum(1 for it, _ in burst if it.deferred)
    wall = finished - started
    print(f"  REST delay {1000 * delay[0]:.0f}-{1000 * delay[1]:.0f} ms a call")
    print(f"    total {len(burst)} slash commands from {users_n} users · answered {len(latencies)} · lost {lost} · "
          f"duplicated {duplicated} · mismatched {mismatched} · deferred {deferred} · REST errors {len(dc.errors)}")
    print(f"    idle, one command at a time ({IDLE}): p50 {1000 * statistics.median(idle):.1f} ms · "
          f"p99 {1000 * pct(idle, 99):.1f} ms")
    if latencies:
        print(f"    burst latency dispatch->answer: p50 {1000 * statistics.median(latencies):.0f} ms · "
              f"p99 {1000 * pct(latencies, 99):.0f} ms · max {1000 * max(latencies):.0f} ms")
    print(f"    throughput {len(latencies) / wall:.0f} answers/s (wall {wall:.2f} s)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--commands", type=int, default=20)
    args = parser.parse_args()
    print(f"bench/discord: {args.users} users x {args.commands} slash commands, dispatched at once by the gateway "
          "stand-in; real discord.py answers each interaction through the desk and gate (no model)")
    for delay in ((0.0, 0.0), (0.05, 0.10)):
        with tempfile.TemporaryDirectory() as tmp:
            await run(args.users, args.commands, Path(tmp), delay)


if __name__ == "__main__":
    import logging

    from loguru import logger

    logger.remove()  # the figures only
    logging.getLogger("discord").setLevel(logging.ERROR)
    asyncio.run(main())
