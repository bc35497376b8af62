"""The autopilot tick on the paper simulator and a real SQLite database, with a controlled clock and candles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from memory import open_database
from tests.fakes import FakeFeed
from trading.autopilot.engine import Autopilot
from trading.clock import ManualClock
from trading.config import FilterSettings, IndicatorSettings, RegimeSettings, RiskSettings, TradingConfig
from trading.decision.evaluation import Decision, SkipReason
from trading.decision.strategies import LONG, get_strategy
from trading.domain import Candle, Mode, OrderType
from trading.events import EventBus, EventKind
from trading.exchange.paper.exchange import PaperExchange
from trading.risk.limits import DailyLimits, KillSwitch

START = datetime(2024, 3, 4, 21, 0, tzinfo=UTC)  # three hours before a UTC midnight
CFG = TradingConfig(
    universe=("BTC/USD",), strategy="ma_crossover",
    indicators=IndicatorSettings(sma_fast=3, sma_slow=6, sma_trend=10, ema_fast=3, ema_slow=6, macd_signal=3,
                                 atr_period=5, bb_period=5, volume_period=5, vol_period=5, chop_period=5,
                                 adx_period=5, atr_spike_period=5, breakout_period=5),
    filters=FilterSettings(rsi_max_long=100, rsi_min_long=0, require_trend_sma=False, min_volume_ratio=0,
                           max_volatility=10, max_chop=100, max_atr_spike=100),
    regimes=RegimeSettings(), risk=RiskSettings(min_reward_to_cost=Decimal("0")))


def declining_then_jump(n: int = 40, top: float = 30000.0) -> list[float]:
    """A slow decline, then a jump on the last candle: SMA(3) crosses above SMA(6) exactly there."""
    closes = [top - 10 * i for i in range(n - 1)]
    return [*closes, closes[-1] + 300]


class World:
    """Feed, clock, database, exchange, autopilot: rebuilt by restart() on the same database file."""

    def __init__(self, tmp_path: Path, cfg: TradingConfig = CFG) -> None:
        self.path, self.cfg = tmp_path, cfg
        self.clock = ManualClock(START)
        self.feed = FakeFeed(clock=self.clock)
        self.closes: list[float] = []
        self.events: list = []
        self.restart()

    def restart(self) -> None:
        """New objects on the same database, as after a process restart."""
        self.db = open_database(Mode.PAPER, self.path)
        self.exchange = PaperExchange(self.feed, self.db, self.clock)
        self.bus = EventBus()
        self.bus.subscribe(self.events.append)
        self.pilot = Autopilot(self.exchange, self.db, DailyLimits(self.db, self.cfg.risk, self.clock),
                               KillSwitch(self.db, self.cfg.risk, self.clock), self.clock, self.cfg, self.bus)
        self.db.set_autopilot_enabled(True, by="test")

    def set_closes(self, closes: list[float]) -> None:
        """Closed candles ending at the candle that closed at the current (5-minute aligned) clock time."""
        self.closes = list(closes)
        end = self.clock.now().replace(second=0, microsecond=0)
        end -= timedelta(minutes=end.minute % 5)
        candles = []
        for k, close in enumerate(closes):
            t = end - timedelta(minutes=5 * (len(closes) - k))
            c, o = Decimal(str(close)), Decimal(str(closes[k - 1] if k else close))
            candles.append(Candle("BTC/USD", t, o, max(o, c) + 120, min(o, c) - 120, c, Decimal("10"), closed=True))
        self.feed.candles["BTC/USD"] = candles
        last = Decimal(str(closes[-1]))
        self.feed.set_price("BTC/USD", last - Decimal("0.5"), last + Decimal("0.5"))

    def next_candle(self, close: float) -> None:
        """Five minutes later, one more closed candle."""
        self.clock.advance(timedelta(minutes=5))
        self.set_closes([*self.closes, close])

    def dip_and_jump(self) -> None:
        """Eight falling candles then a +400 jump: a fresh SMA(3)/SMA(6) crossover on the newest candle."""
        closes = list(self.closes)
        for _ in range(8):
            closes.append(closes[-1] - 20)
        closes.append(closes[-1] + 400)
        self.clock.advance(timedelta(minutes=5 * 9))
        self.set_closes(closes)

    def kinds(self) -> list[EventKind]:
        return [e.kind for e in self.events]


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = World(tmp_path)
    w.clock.advance(timedelta(seconds=5))  # the tick fires 5 s after the close
    return w


def _ind_signal(closes: list[float]) -> int:
    from trading.decision.indicators import OHLCV, compute_all

    n = len(closes)
    arr = [float(c) for c in closes]
    ohlcv = OHLCV.from_candles([Candle("X", START + timedelta(minutes=5 * k), Decimal(str(a)), Decimal(str(a + 5)),
                                       Decimal(str(a - 5)), Decimal(str(a)), Decimal(10)) for k, a in enumerate(arr)])
    ind = compute_all(ohlcv, CFG.indicators)
    return get_strategy("ma_crossover").signal_at(ind, n - 1, CFG)


def test_the_fixture_series_signals_on_its_last_candle() -> None:
    closes = declining_then_jump()
    assert _ind_signal(closes) == LONG and _ind_signal(closes[:-1]) != LONG


async def test_entry_is_a_bracket_and_duplicate_or_restarted_ticks_never_trade_twice(world: World) -> None:
    world.set_closes(declining_then_jump())
    report = await world.pilot.tick()
    [ev] = report.evaluations
    assert ev.decision is Decision.ENTER and ev.strategy == "ma_crossover" and ev.order_id
    assert any("bought" in r for r in ev.reasons)
    open_types = sorted(o.type for o in await world.exchange.fetch_open_orders())
    assert open_types == [OrderType.STOP_LOSS, OrderType.TAKE_PROFIT]
    assert EventKind.ORDER_PLACED in world.kinds() and EventKind.ORDER_FILLED in world.kinds()

    again = await world.pilot.tick()  # a duplicate fire for the same candle
    assert again.evaluations == []
    world.restart()  # a restart mid-candle
    assert (await world.pilot.tick()).evaluations == []
    fills = await world.exchange.fetch_my_trades()
    assert len(fills) == 1
    assert len(world.db.list_evaluations("BTC/USD")) == 1


async def test_skipped_candles_are_logged_with_their_reasons(world: World) -> None:
    world.set_closes(declining_then_jump()[:-1])  # still declining: no crossover
    [ev] = (await world.pilot.tick()).evaluations
    assert ev.decision is Decision.SKIP and ev.skip_reason is SkipReason.NO_SIGNAL
    assert any("SMA(3)" in r for r in ev.reasons) and ev.indicators["close"] is not None
    stored = world.db.why_not("BTC/USD", ev.candle_time + timedelta(minutes=2))
    assert stored is not None and stored.skip_reason is SkipReason.NO_SIGNAL and stored.reasons == ev.reasons


async def test_stopped_autopilot_logs_the_trade_it_did_not_take(world: World) -> None:
    world.db.set_autopilot_enabled(False, by="test")
    world.set_closes(declining_then_jump())
    [ev] = (await world.pilot.tick()).evaluations
    assert ev.skip_reason is SkipReason.AUTOPILOT_STOPPED and ev.signal == LONG
    assert await world.exchange.fetch_my_trades() == []


async def test_daily_limit_is_enforced_and_resets_at_utc_midnight(tmp_path: Path) -> None:
    cfg = CFG.model_copy(update={"risk": CFG.risk.model_copy(update={"max_trades_per_symbol": 1})})
    w = World(tmp_path, cfg)
    w.clock.advance(timedelta(seconds=5))
    w.set_closes(declining_then_jump())
    assert (await w.pilot.tick()).evaluations[0].decision is Decision.ENTER
    await w.exchange.cancel_all()
    from trading.autopilot.engine import flatten_all

    await flatten_all(w.exchange, "USD")  # flat again, so the next signal is an entry candidate
    w.dip_and_jump()  # a second crossover the same day
    last = (await w.pilot.tick()).evaluations[0]
    assert last.signal == LONG
    assert last.skip_reason is SkipReason.DAILY_LIMIT and "1 of 1" in " ".join(last.reasons)
    assert w.clock.now().date() == START.date()
    w.clock.set(datetime(2024, 3, 5, 0, 0, 5, tzinfo=UTC))  # past midnight UTC: a new day, fresh limits
    assert w.pilot.limits.check("BTC/USD") is None


async def test_kill_switch_trips_in_the_crossing_tick_and_survives_a_restart(world: World) -> None:
    world.set_closes(declining_then_jump())
    assert (await world.pilot.tick()).evaluations[0].decision is Decision.ENTER
    equity = await world.exchange.equity()
    assert equity > Decimal("9900")
    world.next_candle(world.closes[-1] - 100)
    first = await world.pilot.tick()
    assert not first.kill_switch_tripped  # a small loss: not yet
    crash = world.closes[-1] * 0.80  # a 20% drop on a ~25% position: more than 3% of the day's equity
    world.next_candle(crash)
    tripped = await world.pilot.tick()
    assert tripped.kill_switch_tripped
    assert world.kinds().count(EventKind.KILL_SWITCH_TRIPPED) == 1
    world.next_candle(crash)
    assert not (await world.pilot.tick()).kill_switch_tripped  # trips once, in the crossing tick
    world.restart()
    assert world.pilot.kill.is_tripped()
    world.dip_and_jump()  # a fresh signal: still blocked the same day
    [ev] = (await world.pilot.tick()).evaluations
    assert ev.signal == LONG
    assert ev.skip_reason is SkipReason.KILL_SWITCH
    world.clock.set(datetime(2024, 3, 5, 0, 5, 5, tzinfo=UTC))
    assert not world.pilot.kill.is_tripped()  # the next UTC day


async def test_a_target_that_does_not_clear_the_fees_is_skipped_with_the_numbers(tmp_path: Path) -> None:
    cfg = CFG.model_copy(update={"risk": RiskSettings(min_reward_to_cost=Decimal("10"))})
    w = World(tmp_path, cfg)
    w.clock.advance(timedelta(seconds=5))
    w.set_closes(declining_then_jump())
    [ev] = (await w.pilot.tick()).evaluations
    assert ev.signal == LONG and ev.skip_reason is SkipReason.EDGE_BELOW_COSTS
    assert "fees both ways cost" in ev.reasons[-1] and await w.exchange.fetch_my_trades() == []


async def test_a_fill_made_while_zyn_was_down_is_announced_once_after_the_restart(world: World) -> None:
    from trading.domain import OrderRequest, OrderType, Side

    world.set_closes(declining_then_jump())
    await world.pilot.watch_fills()  # first start ever: the (empty) history is taken as announced
    await world.exchange.create_order(OrderRequest("BTC/USD", Side.BUY, OrderType.MARKET, Decimal("0.01")))
    await world.pilot.watch_fills()
    assert [e.kind for e in world.events].count(EventKind.ORDER_FILLED) == 1

    world.db.close()
    world.restart()  # Zyn is down; meanwhile a stop-loss style sale happens (placed by another process)
    await world.exchange.create_order(OrderRequest("BTC/USD", Side.SELL, OrderType.MARKET, Decimal("0.01")))
    world.db.close()
    world.restart()
    await world.pilot.watch_fills()  # the restarted watcher: the sale is news, the old buy is not
    await world.pilot.watch_fills()
    filled = [e for e in world.events if e.kind is EventKind.ORDER_FILLED]
    assert [e.fill.side for e in filled] == [Side.BUY, Side.SELL]
    assert filled[1].pnl is not None and filled[1].pnl < 0  # spread and fees

    world.db.close()
    world.restart()
    world.clock.advance(timedelta(days=2))
    await world.exchange.create_order(OrderRequest("BTC/USD", Side.BUY, OrderType.MARKET, Decimal("0.01")))
    world.clock.advance(timedelta(hours=25))  # a long outage: that buy is history by now, not news
    await world.pilot.watch_fills()
    assert len([e for e in world.events if e.kind is EventKind.ORDER_FILLED]) == 2
