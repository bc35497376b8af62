"""A 4h trend in the running autopilot: its 8.5-day warm-up from the candle store behind Kraken's 720-candle OHLC
window (the real ccxt client against the Kraken stand-in), no look-ahead, and the words when history is short."""

from __future__ import annotations

import dataclasses
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from memory import open_database
from tests.standins.kraken import KrakenStandin
from trading.autopilot.engine import Autopilot
from trading.autopilot.history import LIVE_FEED, coverage, feed_note, needed
from trading.backtest.data import make_ohlcv
from trading.clock import ManualClock
from trading.config import HigherTimeframeSettings, IndicatorSettings, TradingConfig
from trading.decision.evaluation import SkipReason
from trading.domain import Mode
from trading.events import EventBus
from trading.exchange.feeds.replay import ReplayFeed
from trading.exchange.kraken.client import KrakenPublicFeed
from trading.exchange.paper.exchange import PaperExchange
from trading.risk.limits import DailyLimits, KillSwitch

NOW = datetime(2026, 12, 2, 12, 0, 5, tzinfo=UTC)  # 5 s after the 11:55 candle closed
LAST = datetime(2026, 12, 2, 11, 55, tzinfo=UTC)  # the decision candle's open
STEP = timedelta(minutes=5)
CFG4H = TradingConfig(universe=("BTC/USD",),
                      indicators=IndicatorSettings(higher=HigherTimeframeSettings(trend_timeframe="4h")))
N = 2600  # closed candles of history in all (8.5 days needed)
FEED = 719  # closed candles Kraken's OHLC serves (720 with the forming one)


def _series(n: int = N) -> list[tuple[int, float, float, float, float, float]]:
    """n closed candles up to LAST: a slow rise with a wave, so the 4h trend is up once it exists."""
    out = []
    for k in range(n):
        t = LAST - (n - 1 - k) * STEP
        c = 30000 + 0.8 * k + 60 * math.sin(k / 9)
        o = 30000 + 0.8 * (k - 1) + 60 * math.sin((k - 1) / 9)
        out.append((int(t.timestamp()), o, max(o, c) + 5, min(o, c) - 5, c, 2.0))
    return out


def _rows(bars, forming: float | None = None) -> list[list[str]]:
    """Kraken OHLC rows of the bars, then the forming candle (at the last close, or at a poisoned price)."""
    rows = [[t, f"{o:.1f}", f"{h:.1f}", f"{lo:.1f}", f"{c:.1f}", f"{c:.1f}", f"{v:.8f}", 5] for t, o, h, lo, c, v in bars]
    p = forming if forming is not None else bars[-1][4]
    rows.append([bars[-1][0] + 300, f"{p:.1f}", f"{p:.1f}", f"{p:.1f}", f"{p:.1f}", f"{p:.1f}", "1.00000000", 1])
    return rows


def _store(db, bars, source: str = "kraken public trades") -> None:
    a = np.array(bars, dtype=np.float64)
    db.add_candles("BTC/USD", "5m", make_ohlcv(a[:, 0].astype(np.int64) * 1000, a[:, 1], a[:, 2], a[:, 3], a[:, 4],
                                               a[:, 5]), source=source, at=NOW)


def _pilot(exchange, db, clock, cfg: TradingConfig = CFG4H) -> Autopilot:
    db.set_autopilot_enabled(True, by="test")
    return Autopilot(exchange, db, DailyLimits(db, cfg.risk, clock), KillSwitch(db, cfg.risk, clock), clock, cfg,
                     EventBus())


async def _tick(tmp_path: Path, *, stored=(), forming: float | None = None, live=None):
    """One tick with trend_timeframe=4h: Kraken (the stand-in) serves the last 719 closed candles, the store
    holds `stored`. Returns (evaluation, pilot, db)."""
    bars = live if live is not None else _series()[-FEED:]
    clock = ManualClock(NOW)
    db = open_database(Mode.PAPER, tmp_path)
    if stored:
        _store(db, list(stored))
    async with KrakenStandin(now=NOW) as k:
        k.forbid_private = True
        k.set_candles("XXBTZUSD", _rows(bars, forming))
        k.set_price("XXBTZUSD", "30000.0", "30000.2")
        feed = KrakenPublicFeed(api_url=k.url, clock=clock, retries=0)
        try:
            pilot = _pilot(PaperExchange(feed, db, clock), db, clock)
            report = await pilot.tick()
        finally:
            await feed.close()
    [ev] = report.evaluations
    return ev, pilot, db


def test_the_4h_warm_up_is_longer_than_krakens_window() -> None:
    assert needed(CFG4H) == (2448, "4h trend") and needed(TradingConfig())[0] <= FEED
    assert feed_note(TradingConfig()) is None
    note = feed_note(CFG4H)
    assert note is not None and "8.5 days" in note and "2.5 days" in note and "zyn data fetch" in note


async def test_a_4h_tick_warms_up_from_stored_history_and_decides(tmp_path: Path) -> None:
    series = _series()
    ev, pilot, db = await _tick(tmp_path, stored=series[:-FEED])
    assert ev.skip_reason is not SkipReason.WARMUP, ev.reasons
    assert ev.regime == "trending_up" and ev.candle_time == LAST
    assert ev.indicators["trend_sma_slow"] is not None
    assert pilot.history.store_reads == 1
    held = db.candle_set("BTC/USD")
    assert held is not None and LIVE_FEED in held.sources and held.candles == N  # Kraken's candles kept once


async def test_no_look_ahead_poisoned_future_candles_change_nothing(tmp_path: Path) -> None:
    series = _series()
    clean, _, _ = await _tick(tmp_path / "clean", stored=series[:-FEED])
    # The store holds candles AFTER the decision candle (at 10x the price), and a wrong copy of the last ones;
    # Kraken's forming candle is poisoned too. Only closed candles up to 11:55 (Kraken's own) may count.
    future = [(int(LAST.timestamp()) + 300 * (k + 1), o * 10, h * 10, lo * 10, c * 10, v)
              for k, (_t, o, h, lo, c, v) in enumerate(series[-30:])]
    wrong = [(t, o * 3, h * 3, lo * 3, c * 3, v) for t, o, h, lo, c, v in series[-FEED:]]
    poisoned, _, _ = await _tick(tmp_path / "poisoned", stored=[*series[:-FEED], *wrong, *future],
                                 forming=series[-1][4] * 10)
    same = ("decision", "regime", "strategy", "signal", "indicators", "regime_values", "reasons", "skip_reason")
    assert {f: getattr(poisoned, f) for f in same} == {f: getattr(clean, f) for f in same}
    assert clean.skip_reason is not SkipReason.WARMUP


async def test_too_short_history_says_what_it_needs_and_when_trading_starts(tmp_path: Path) -> None:
    ev, pilot, db = await _tick(tmp_path)
    first = LAST - (FEED - 1) * STEP
    assert ev.skip_reason is SkipReason.WARMUP
    assert ev.reasons[-1] == (
        f"4h trend needs 8.5 days of 5m candles (2448); have 2.5 days (719) since {first:%Y-%m-%d %H:%M} UTC; "
        f"trading starts ~{first + 2448 * STEP:%Y-%m-%d %H:%M} UTC as the autopilot keeps the candles it sees, "
        "or at once after `zyn data fetch BTC/USD --since 2026-11-23`")
    held = db.candle_set("BTC/USD")
    assert held is not None and held.sources == (LIVE_FEED,) and held.candles == FEED  # kept for the next start


async def test_a_restart_reads_back_what_the_autopilot_kept(tmp_path: Path) -> None:
    """The candles kept by an earlier run (here stored as the live feed's) warm a new process up."""
    series = _series()
    ev, _, _ = await _tick(tmp_path, stored=[])
    assert ev.skip_reason is SkipReason.WARMUP
    _store(open_database(Mode.PAPER, tmp_path), series[:-FEED], source=LIVE_FEED)  # as the days went by
    ev2, pilot, _ = await _tick(tmp_path / "again", stored=series[:-FEED])
    assert ev2.skip_reason is not SkipReason.WARMUP and pilot.history.store_reads == 1


async def test_the_next_tick_does_not_read_the_store_again(tmp_path: Path) -> None:
    series = _series(N + 1)
    clock = ManualClock(NOW)
    db = open_database(Mode.PAPER, tmp_path)
    _store(db, series[:-FEED - 1])
    async with KrakenStandin(now=NOW) as k:
        k.forbid_private = True
        k.set_price("XXBTZUSD", "30000.0", "30000.2")
        k.set_candles("XXBTZUSD", _rows(series[-FEED - 1:-1]))
        feed = KrakenPublicFeed(api_url=k.url, clock=clock, retries=0)
        try:
            pilot = _pilot(PaperExchange(feed, db, clock), db, clock)
            first = (await pilot.tick()).evaluations[0]
            shifted = [(t + 300, *rest) for t, *rest in series[-FEED:]]  # five minutes later: one more candle
            k.set_candles("XXBTZUSD", _rows(shifted))
            clock.advance(STEP)
            second = (await pilot.tick()).evaluations[0]
        finally:
            await feed.close()
    assert first.skip_reason is not SkipReason.WARMUP and second.skip_reason is not SkipReason.WARMUP
    assert second.candle_time == first.candle_time + STEP
    assert pilot.history.store_reads == 1  # the in-memory window carried the history forward
    assert pilot.history.held("BTC/USD") == 2448 + 48  # trimmed to what the stack reads


async def test_the_offline_replay_serves_the_whole_warm_up_and_nothing_is_kept(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    db = open_database(Mode.PAPER, tmp_path)
    pilot = _pilot(PaperExchange(ReplayFeed(clock), db, clock), db, clock)
    [ev] = (await pilot.tick()).evaluations
    assert ev.skip_reason is not SkipReason.WARMUP, ev.reasons
    assert ev.indicators["trend_sma_slow"] is not None
    assert db.candle_set("BTC/USD") is None  # replay prices are not real: never stored


def test_doctor_coverage_counts_stored_history_that_reaches_krakens_window() -> None:
    series = _series()
    a = np.array(series[:-FEED], dtype=np.float64)
    old = make_ohlcv(a[:, 0].astype(np.int64) * 1000, a[:, 1], a[:, 2], a[:, 3], a[:, 4], a[:, 5])
    assert not coverage(CFG4H, "BTC/USD", old, NOW).short
    empty = dataclasses.replace(old, timestamps=old.timestamps[:0], open=old.open[:0], high=old.high[:0],
                                low=old.low[:0], close=old.close[:0], volume=old.volume[:0])
    short = coverage(CFG4H, "BTC/USD", empty, NOW)
    assert short.short and short.have == FEED and "zyn data fetch BTC/USD --since 2026-11-23" in short.text()


def test_the_1h_default_reads_no_more_than_krakens_window() -> None:
    from trading.autopilot.history import window

    cfg = TradingConfig()
    assert window(cfg) == cfg.history == FEED


async def test_the_self_test_reads_the_same_warm_up_and_writes_nothing(tmp_path: Path) -> None:
    from trading.autopilot.selftest import self_test

    series = _series()
    clock = ManualClock(NOW)
    db = open_database(Mode.PAPER, tmp_path)
    async with KrakenStandin(now=NOW) as k:
        k.forbid_private = True
        k.set_candles("XXBTZUSD", _rows(series[-FEED:]))
        k.set_price("XXBTZUSD", "30000.0", "30000.2")
        feed = KrakenPublicFeed(api_url=k.url, clock=clock, retries=0)
        try:
            ex = PaperExchange(feed, db, clock)
            limits, kill = DailyLimits(db, CFG4H.risk, clock), KillSwitch(db, CFG4H.risk, clock)
            short = await self_test(ex, CFG4H, clock, limits, kill, "BTC/USD", enabled=True, archive=db)
            assert db.candle_set("BTC/USD") is None  # a self-test keeps nothing
            _store(db, series[:-FEED])
            warm = await self_test(ex, CFG4H, clock, limits, kill, "BTC/USD", enabled=True, archive=db)
        finally:
            await feed.close()
    decision = {s.name: s.detail for s in short.steps}["decision"]
    assert "4h trend needs 8.5 days of 5m candles (2448); have 2.5 days (719)" in decision
    assert "regime trending_up" in {s.name: s.detail for s in warm.steps}["decision"]


async def test_the_fix_it_names_works_zyn_data_fetch_then_the_next_start_decides(tmp_path: Path) -> None:
    """Kraken's trades (the stand-in's tape) are the only source: a first start is short and keeps Kraken's 719
    candles; the fetch `zyn data fetch` runs (HistoryFetch from the public Trades, before the kept ones) fills the
    store; the next process warms up from it and decides."""
    from trading.exchange.feeds.history import HistoryFetch

    series = _series()
    tape = [(int((t + 60) * 1e9), f"{c:.1f}", "0.50000000", "b", "m") for t, _o, _h, _lo, c, _v in series]
    db = open_database(Mode.PAPER, tmp_path)
    evs = []
    async with KrakenStandin(now=NOW) as k:
        k.forbid_private = True
        k.set_trades("XXBTZUSD", tape)
        k.set_price("XXBTZUSD", "30000.0", "30000.2")
        for step in ("first start", "fetch", "next start"):
            clock = ManualClock(NOW - STEP if step == "first start" else NOW)  # each start decides a new candle
            feed = KrakenPublicFeed(api_url=k.url, clock=clock, retries=0)
            try:
                if step == "fetch":
                    held = db.candle_set("BTC/USD")
                    assert held is not None and held.sources == (LIVE_FEED,)
                    job = HistoryFetch(feed, "BTC/USD", "5m", now=lambda: NOW, delay=0,
                                       store=lambda o, s: db.add_candles("BTC/USD", "5m", o, source=s, at=NOW))
                    since = re.search(r"--since (\d{4}-\d\d-\d\d)", evs[0].reasons[-1])  # the date the row named
                    assert since is not None
                    await job.run(datetime.fromisoformat(since[1]).replace(tzinfo=UTC), held.first)
                    continue
                pilot = _pilot(PaperExchange(feed, db, clock), db, clock)
                evs.append((await pilot.tick()).evaluations[0])
            finally:
                await feed.close()
    assert evs[0].skip_reason is SkipReason.WARMUP
    assert evs[1].candle_time == LAST and evs[1].skip_reason is not SkipReason.WARMUP and evs[1].regime == "trending_up", evs[1].reasons
