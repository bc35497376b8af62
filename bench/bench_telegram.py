"""Telegram under load, printed (no assertions): issue 5's bench/telegram figures.

50 chats x 20 slash commands (/price BTC/USD, /status, /price ETH/USD, /balance, /positions; no model in the
loop) pushed at once into the Bot API stand-in (tests/standins/telegram.py); the real python-telegram-bot
Application polls it and answers through a real Agent on a PAPER account (offline replay feed, SQLite in a
temporary folder). Each chat's answers come in the order of its questions (the handlers serialise a chat),
so the k-th answer in a chat belongs to its k-th command; latency is from the push of an update to the
stand-in receiving its answer. The stand-in runs in the same process and event loop, so its own work is
included. Each run twice: Zyn's workers and PTB's default (one update at a time); first on the offline replay
feed (CPU only), then with a fixed delay on every market-data call, as Kraken's public API has, then with
50-100 ms on every Bot API call (the stand-in's delay), as bench/bench_discord.py runs Discord.

Run: .venv/bin/python bench/bench_telegram.py [--chats 50] [--messages 20] [--delay 0.05]
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
from bot.frontend import FrontEndContext  # noqa: E402
from bot.service import build_runtime  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.telegram.app import WORKERS, TelegramFrontEnd  # noqa: E402
from tests.standins.telegram import TelegramStandin  # noqa: E402
from trading.clock import SystemClock  # noqa: E402
from trading.exchange.feeds.replay import ReplayFeed  # noqa: E402

TOKEN = "123456789:bench-token-not-a-real-one-0123456789"
COMMANDS = [("/price BTC/USD", "BTC/USD: last"), ("/status", "Mode PAPER"), ("/price ETH/USD", "ETH/USD: last"),
            ("/balance", "Balances (paper)"), ("/positions", "No open positions")]
USER0 = 10_000
IDLE = 100  # commands sent one at a time before the burst
API_DELAY = (0.05, 0.10)  # seconds per Bot API call in the third configuration


class SlowFeed:
    """The replay feed with a fixed network delay on each market-data call (Kraken's public REST is ~50-300 ms)."""

    def __init__(self, feed: ReplayFeed, delay: float) -> None:
        self._feed, self._delay = feed, delay

    def __getattr__(self, name: str):  # noqa: ANN204 - source, close, ...
        return getattr(self._feed, name)

    async def load_markets(self):  # noqa: ANN201
        await asyncio.sleep(self._delay)
        return await self._feed.load_markets()

    async def fetch_ticker(self, symbol: str):  # noqa: ANN201
        await asyncio.sleep(self._delay)
        return await self._feed.fetch_ticker(symbol)

    async def fetch_ohlcv(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        await asyncio.sleep(self._delay)
        return await self._feed.fetch_ohlcv(*args, **kwargs)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def run(chats: int, messages: int, workers: int, data_dir: Path, delay: float = 0.0,
              api_delay: tuple[float, float] = (0.0, 0.0)) -> None:
    users = [USER0 + i for i in range(chats)]
    os.environ["ZYN_DATA_DIR"] = str(data_dir)
    async with TelegramStandin(TOKEN) as tg:
        tg.delay = api_delay
        settings = load_settings(telegram_token=TOKEN, telegram_api_url=tg.url, telegram_owner_id=users[0],
                                 telegram_allowed_ids=",".join(map(str, users[1:])), offline=True)
        clock = SystemClock()
        feed = SlowFeed(ReplayFeed(clock), delay) if delay else None
        runtime = build_runtime(settings, clock=clock, feed=feed)
        gate = build_gate(runtime.services)
        agent = build_agent(runtime.services, gate)
        front = TelegramFrontEnd(poll_timeout=1, workers=workers)
        await front.start(FrontEndContext(gate=gate, agent=agent, clock=clock, settings=settings))
        try:
            for u in users:  # warm-up: one command per chat (market data, database), not measured
                tg.push_command(u, u, "/status")
            await tg.wait_for(lambda: len(tg.sent) >= chats, 60)
            idle = []  # one command at a time: what a single user feels, without a queue
            for i in range(IDLE):
                before, user = len(tg.sent), users[i % chats]
                mid = tg.push_command(user, user, COMMANDS[i % len(COMMANDS)][0])
                await tg.wait_for(lambda before=before: len(tg.sent) > before, 10)
                idle.append(tg.sent[-1].at - tg.pushed_at[(user, mid)])
            warm = len(tg.sent)
            pushes: dict[int, list[tuple[float, str]]] = {u: [] for u in users}
            started = time.monotonic()
            for i in range(messages):  # all at once: 20 per chat, interleaved across the 50 chats
                for u in users:
                    text, expect = COMMANDS[(i + u) % len(COMMANDS)]
                    mid = tg.push_command(u, u, text)
                    pushes[u].append((tg.pushed_at[(u, mid)], expect))
            total = chats * messages
            try:
                await tg.wait_for(lambda: len(tg.sent) - warm >= total, 120)
            except AssertionError:
                pass  # lost answers are counted below
            finished = time.monotonic()
            await asyncio.sleep(1.0)  # late duplicates would arrive now
        finally:
            await front.stop()
            await agent.close()
            await runtime.services.close()
    answers: dict[int, list] = {u: [] for u in users}
    for s in tg.sent[warm:]:
        answers[s.chat_id].append(s)
    latencies, mismatched, lost, duplicated = [], 0, 0, 0
    for u in users:
        got, asked = answers[u], pushes[u]
        lost += max(0, len(asked) - len(got))
        duplicated += max(0, len(got) - len(asked))
        for (pushed, expect), sent in zip(asked, got, strict=False):
            latencies.append(sent.at - pushed)
            mismatched += not sent.text.startswith(expect)
    received = sum(len(a) for a in answers.values())
    redelivered = sum(1 for n in tg.delivered.values() if n > 1)
    wall = finished - started
    label = f"workers={workers}" + (" (PTB's default: one update at a time)" if workers == 1 else " (Zyn's)")
    api = f" · Bot API delay {1000 * api_delay[0]:.0f}-{1000 * api_delay[1]:.0f} ms a call" if api_delay[1] else ""
    print(f"  {label}, market data delay {1000 * delay:.0f} ms{api}")
    print(f"    total {total} commands in {chats} chats · replies received {received} · lost {lost} · "
          f"duplicated {duplicated} · out of order/mismatched {mismatched} · updates delivered twice {redelivered}")
    print(f"    idle, one command at a time ({IDLE}): p50 {1000 * statistics.median(idle):.1f} ms · "
          f"p99 {1000 * pct(idle, 99):.1f} ms")
    if latencies:
        print(f"    burst latency push->reply: p50 {1000 * statistics.median(latencies):.0f} ms · "
              f"p99 {1000 * pct(latencies, 99):.0f} ms · max {1000 * max(latencies):.0f} ms")
    print(f"    throughput {received / wall:.0f} replies/s (wall {wall:.2f} s) · "
          f"Bot API calls {sum(tg.calls.values())} ({tg.calls['getUpdates']} getUpdates) · "
          f"errors {len(tg.errors)}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.05, help="market-data delay of the second run, s")
    args = parser.parse_args()
    print(f"bench/telegram: {args.chats} chats x {args.messages} slash commands, pushed at once; real PTB polls "
          "the stand-in; commands call their tools directly (no model)")
    for delay in (0.0, args.delay):
        for workers in (WORKERS, 1):
            with tempfile.TemporaryDirectory() as tmp:
                await run(args.chats, args.messages, workers, Path(tmp), delay)
    # The same configuration as bench/bench_discord.py: every Bot API call takes 50-100 ms, as over the internet.
    for workers in (WORKERS, 1):
        with tempfile.TemporaryDirectory() as tmp:
            await run(args.chats, args.messages, workers, Path(tmp), 0.0, api_delay=API_DELAY)


if __name__ == "__main__":
    from loguru import logger

    logger.remove()  # the figures only
    asyncio.run(main())
