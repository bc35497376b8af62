"""The kill -9 drill: a subprocess runs autopilot ticks on a fast, clock-driven market; the harness kills it at
random moments, restarts (a new Autopilot on the same database settles what the crash left) and checks the
ledger, the daily counters, one decision per candle and the brackets after every restart.

`python -m tests.drill.harness child DIR` is the ticking child; run_drill() is the parent. Everything is
local (a SQLite file in DIR), bounded (a step cap and a deadline per child) and stops by itself.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import selectors
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from memory import open_database
from tests.fakes import FakeFeed
from trading.autopilot.engine import Autopilot
from trading.autopilot.intents import IntentKind, IntentStatus
from trading.clock import ManualClock
from trading.config import FilterSettings, IndicatorSettings, RegimeSettings, RiskSettings, TradingConfig
from trading.domain import Candle, Mode, OrderType, Side
from trading.events import EventBus
from trading.exchange.paper.exchange import PaperExchange
from trading.risk.limits import DailyLimits, KillSwitch

SYMBOL = "BTC/USD"
START = datetime(2024, 3, 4, 0, 0, tzinfo=UTC)
CANDLE = timedelta(minutes=5)
HISTORY = 50
CFG = TradingConfig(
    universe=(SYMBOL,), strategy="ma_crossover", history=HISTORY,
    indicators=IndicatorSettings(sma_fast=3, sma_slow=6, sma_trend=10, ema_fast=3, ema_slow=6, macd_signal=3,
                                 atr_period=5, bb_period=5, volume_period=5, vol_period=5, chop_period=5,
                                 adx_period=5, atr_spike_period=5, breakout_period=5),
    filters=FilterSettings(rsi_max_long=100, rsi_min_long=0, require_trend_sma=False, min_volume_ratio=0,
                           max_volatility=10, max_chop=100, max_atr_spike=100),
    regimes=RegimeSettings(),
    risk=RiskSettings(min_reward_to_cost=Decimal("0"), max_trades_per_symbol=40, max_trades_total=40,
                      daily_loss_limit=Decimal("0.5")))


def close_at(i: int) -> Decimal:
    """The market: a fast wave with a little deterministic noise, so crossovers (entries and exits) are frequent."""
    noise = ((i * 7919) % 23 - 11) * 4
    return Decimal(str(round(30000 + 500 * math.sin(i / 2.3) + noise, 1)))


class DrillFeed(FakeFeed):
    """Candles and a ticker as a function of the clock, with a little latency so kills land inside calls."""

    async def fetch_ticker(self, symbol: str):
        await asyncio.sleep(0.002)
        return await super().fetch_ticker(symbol)

    async def fetch_ohlcv(self, symbol, timeframe="5m", since=None, limit=None):
        await asyncio.sleep(0.002)
        return await super().fetch_ohlcv(symbol, timeframe, since, limit)

    def at(self, step: int) -> None:
        """The market as it is 5 s after candle `step` closed."""
        candles = []
        for i in range(step - HISTORY, step):
            o, c = close_at(i - 1), close_at(i)
            candles.append(Candle(SYMBOL, START + CANDLE * i, o, max(o, c) + 60, min(o, c) - 60, c, Decimal(10),
                                  closed=True))
        self.candles[SYMBOL] = candles
        last = close_at(step - 1)
        self.set_price(SYMBOL, last - Decimal("0.5"), last + Decimal("0.5"))


def step_time(step: int) -> datetime:
    return START + CANDLE * step + timedelta(seconds=5)


def build(data: Path, step: int) -> tuple[Autopilot, PaperExchange, DrillFeed, object]:
    """The service's objects on the drill's database, with the market and clock at `step` (a restart)."""
    clock = ManualClock(step_time(step))
    feed = DrillFeed(clock=clock)
    feed.at(step)
    db = open_database(Mode.PAPER, data)
    exchange = PaperExchange(feed, db, clock)
    pilot = Autopilot(exchange, db, DailyLimits(db, CFG.risk, clock), KillSwitch(db, CFG.risk, clock), clock, CFG,
                      EventBus())
    return pilot, exchange, feed, db


def resume_step(db) -> int:  # noqa: ANN001 - memory Database
    """Where the child carries on: the candle after the last finished tick (a killed tick is run again)."""
    last = db.get_autopilot_state().last_tick_at
    if last is None:
        return HISTORY + 1
    return int((last - START - timedelta(seconds=5)) / CANDLE) + 1


async def child(data: Path, max_steps: int) -> None:
    """Tick until killed, or max_steps ticks (bounded), printing one line per tick."""
    db = open_database(Mode.PAPER, data)
    step = resume_step(db)
    db.set_autopilot_enabled(True, by="drill")
    db.close()
    pilot, _exchange, feed, _db = build(data, step)
    await pilot.recover()  # what the service does at start
    await pilot.run_kill_steps()
    print("ready", flush=True)
    for _ in range(max_steps):
        pilot.clock.set(step_time(step))
        feed.at(step)
        await pilot.tick()
        print(f"tick {step}", flush=True)
        step += 1


@dataclass
class Figures:
    kills: int = 0
    ticks: int = 0
    restarts: int = 0
    checks: int = 0
    violations: list[str] = field(default_factory=list)
    entries: int = 0
    exits: int = 0
    orders: int = 0
    fills: int = 0
    voided: int = 0
    settled_at_restart: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        return (f"kills {self.kills} · restarts {self.restarts} · ticks {self.ticks} · orders {self.orders} "
                f"(entries {self.entries}, exits {self.exits}, never-sent entries uncounted {self.voided}) · fills "
                f"{self.fills} · settled at restart {self.settled_at_restart} · invariants checked {self.checks} · "
                f"violations {len(self.violations)} · {self.seconds:.1f} s")


async def restart_and_check(data: Path, figures: Figures) -> None:
    """A new Autopilot on the database (a restart): settle what the crash left, then check every invariant."""
    db0 = open_database(Mode.PAPER, data)
    step = resume_step(db0)
    db0.close()
    pilot, exchange, _feed, db = build(data, step)
    await pilot.recover()
    await pilot.run_kill_steps()
    figures.restarts += 1
    figures.settled_at_restart += pilot._recovery.settled
    bad = figures.violations
    fills = await exchange.fetch_my_trades()
    balances = await exchange.fetch_balances()
    # 1. the ledger: balances are the starting cash plus the sum of the fills, to the last digit
    usd = Decimal("10000") + sum(((f.cost if f.side is Side.SELL else -f.cost) - f.fee for f in fills), Decimal(0))
    btc = sum((f.amount if f.side is Side.BUY else -f.amount for f in fills), Decimal(0))
    held = balances["BTC"].total if "BTC" in balances else Decimal(0)
    if balances["USD"].total != usd or held != btc:
        bad.append(f"ledger: USD {balances['USD'].total} vs fills {usd}, BTC {held} vs fills {btc}")
    # 2. daily counters = entries in the ledger (placed entry intents, each a bracket of the ledger)
    intents = db.list_intents()
    placed = [i for i in intents if i.kind is IntentKind.ENTRY and i.status is IntentStatus.PLACED]
    brackets = {b.entry_order_id for b in db.list_brackets()}
    if {i.order_id for i in placed} != brackets:
        bad.append(f"brackets {len(brackets)} vs placed entries {len(placed)}")
    for day, n in Counter(i.day for i in placed).items():
        counted = db.get_day(day).trades_total
        if counted != n:
            bad.append(f"day {day}: counter {counted} vs {n} entries")
    if any(i.status is IntentStatus.PENDING for i in intents):
        bad.append("intents still pending after the restart")
    # 3. one decision per symbol and candle, and every claimed candle has its decision
    evaluations = db.list_evaluations(SYMBOL, limit=1_000_000)
    dupes = [k for k, n in Counter((e.symbol, e.candle_time) for e in evaluations).items() if n > 1]
    if dupes:
        bad.append(f"{len(dupes)} candles decided twice")
    if db.unfinished_claims(START):
        bad.append("claimed candles without a decision")
    # 4. brackets: a holding has its stop (and target) resting for exactly its amount; flat has no exits
    sells = [o for o in await exchange.fetch_open_orders(SYMBOL) if o.side is Side.SELL]
    stops = [o for o in sells if o.type is OrderType.STOP_LOSS]
    if held > 0 and (len(stops) != 1 or stops[0].amount != held):
        bad.append(f"holding {held} with stops {[s.amount for s in stops]}")
    if held == 0 and sells:
        bad.append(f"flat with {len(sells)} resting exits")
    figures.checks += 6
    figures.entries = len(placed)
    figures.exits = sum(1 for i in intents if i.kind is IntentKind.EXIT and i.status is IntentStatus.DONE)
    figures.voided = sum(1 for i in intents if i.status is IntentStatus.VOID)
    figures.orders = len(await exchange.fetch_closed_orders()) + len(await exchange.fetch_open_orders())
    figures.fills = len(fills)
    db.close()


def _spawn(data: Path, max_steps: int) -> subprocess.Popen:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.Popen([sys.executable, "-m", "tests.drill.harness", "child", str(data), str(max_steps)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=root, env=env, text=True)


def _lines_until(proc: subprocess.Popen, want: int, deadline: float) -> int:
    """Read the child's lines until `want` ticks after "ready" (or it ends, or the deadline); returns the ticks."""
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None
    sel.register(proc.stdout, selectors.EVENT_READ)
    ticks, ready = 0, False
    while time.monotonic() < deadline and (not ready or ticks < want):
        if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
            break
        line = proc.stdout.readline()
        if not line:
            break
        ready = ready or line.startswith("ready")
        ticks += line.startswith("tick")
    sel.close()
    return ticks


def run_drill(data: Path, kills: int, *, seed: int = 12, child_timeout: float = 60.0) -> Figures:
    """Kill a ticking child `kills` times at random moments; restart and check after each kill."""
    rng = random.Random(seed)
    figures = Figures()
    began = time.monotonic()
    for _ in range(kills):
        proc = _spawn(data, max_steps=50)
        try:
            figures.ticks += _lines_until(proc, rng.randint(1, 8), time.monotonic() + child_timeout)
            time.sleep(rng.uniform(0, 0.06))  # somewhere inside the next tick, mostly inside an exchange call
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                figures.kills += 1
            proc.wait(timeout=10)
            assert proc.stdout is not None
            proc.stdout.close()
        asyncio.run(restart_and_check(data, figures))
    figures.seconds = time.monotonic() - began
    return figures


if __name__ == "__main__" and sys.argv[1:2] == ["child"]:
    asyncio.run(child(Path(sys.argv[2]), int(sys.argv[3])))
