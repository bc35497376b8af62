"""Higher-timeframe candles from 5-minute ones: closed buckets only, and no look-ahead anywhere they are used."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trading.backtest.data import load_candles, make_ohlcv
from trading.config import HigherTimeframeSettings, TradingConfig
from trading.decision.indicators import OHLCV, compute_all
from trading.decision.orchestrator import decide_entry, plan_all
from trading.decision.regimes import Regime, classify_all, classify_at
from trading.decision.timeframes import HigherTimeframe, aggregate

CANDLES = Path(__file__).resolve().parents[2] / "fixtures" / "candles" / "ETH_BTC-5m.csv"
H = 3_600_000
M5 = 300_000
HIGHER = TradingConfig().model_copy(update={
    "regimes": TradingConfig().regimes.model_copy(update={"timeframe": "higher"}),
    "regime_strategies": {"trending_up": "htf_trend", "range": "htf_breakout", "trending_down": "none",
                          "volatile": "none", "chop": "none"}})


def _candles(start_ms: int, n: int) -> OHLCV:
    t = start_ms + np.arange(n, dtype=np.int64) * M5
    c = 100 + np.arange(n, dtype=float)  # close k = 100 + k: every bucket's values can be told by hand
    return make_ohlcv(t, c - 0.5, c + 1, c - 1, c, np.ones(n))


def test_an_hour_is_visible_only_from_the_5m_bar_that_closes_it() -> None:
    base = 10 * H  # 10:00 UTC on 1970-01-01
    agg = aggregate(_candles(base, 26), 60)  # 10:00 .. 12:05 (26 bars): buckets 10:00 and 11:00 closed
    assert agg.timestamps.tolist() == [10 * H, 11 * H, 12 * H]
    # The 10:00 bucket: opens at bar 0's open, closes at bar 11's close, high/low over bars 0..11.
    assert agg.open[0] == 99.5 and agg.close[0] == 111 and agg.high[0] == 112 and agg.low[0] == 99
    assert agg.volume[0] == 12
    # Bars 0..10 (closing 10:05 .. 10:55) see no closed hour; bar 11 (10:55-11:00) sees 10:00-11:00 first.
    assert agg.visible[:11].tolist() == [-1] * 11
    assert agg.visible[11] == 0 and agg.visible[22] == 0 and agg.visible[23] == 1
    # The 12:00 bucket is still forming at the last bar (12:05-12:10 would close it at 13:00): never seen.
    assert agg.visible.max() == 1


def test_a_bucket_begun_before_the_data_is_dropped() -> None:
    agg = aggregate(_candles(10 * H + 20 * 60_000, 40), 60)  # starts 10:20: the 10:00 hour is incomplete
    assert agg.timestamps[0] == 11 * H
    # Bars 10:20 .. 11:50 (0..18) see nothing; the 11:00 hour closes with bar 19 (11:55-12:00).
    assert agg.visible[:19].tolist() == [-1] * 19
    assert agg.visible[19] == 0


def test_a_tick_with_60_hours_decides_as_a_long_backtest_does() -> None:
    """Fixed windows only: the autopilot's 719 fetched candles give the same higher-timeframe values."""
    ohlcv = load_candles(CANDLES)
    full = compute_all(ohlcv, HIGHER.indicators).higher
    for end in (1500, 2222, len(ohlcv)):
        fetched = make_ohlcv(*(np.asarray(getattr(ohlcv, k))[end - HIGHER.history:end]
                               for k in ("timestamps", "open", "high", "low", "close", "volume")))
        tick = compute_all(fetched, HIGHER.indicators).higher
        for name in HigherTimeframe.names:
            assert getattr(tick, name)[-1] == pytest.approx(getattr(full, name)[end - 1], rel=1e-9), name
    assert HIGHER.warmup <= HIGHER.history


def _poison(ohlcv: OHLCV, cut: int, seed: int) -> OHLCV:
    """Candles after `cut` replaced by wild ones (valid OHLC); candles up to cut untouched."""
    rng = np.random.default_rng(seed)
    wild = rng.uniform(0.5, 2.0, size=len(ohlcv) - cut)
    o, h, lo, c, v = (np.array(getattr(ohlcv, k)) for k in ("open", "high", "low", "close", "volume"))
    c[cut:] *= wild
    o[cut:] *= wild[::-1]
    h[cut:] = np.maximum.reduce([h[cut:], o[cut:], c[cut:]]) * 1.01
    lo[cut:] = np.minimum.reduce([lo[cut:], o[cut:], c[cut:]]) * 0.99
    v[cut:] *= wild
    return make_ohlcv(ohlcv.timestamps, o, h, lo, c, v)


@pytest.mark.parametrize("t", [700, 1211, 2006])  # mid-hour, just before an hour closes, arbitrary
def test_poisoned_future_candles_change_no_decision_up_to_t(t: int) -> None:
    ohlcv = load_candles(CANDLES)
    dirty_ohlcv = _poison(ohlcv, t + 1, seed=t)
    clean, dirty = compute_all(ohlcv, HIGHER.indicators), compute_all(dirty_ohlcv, HIGHER.indicators)
    for name in HigherTimeframe.names:  # every higher-timeframe value seen up to bar t
        a, b = getattr(clean.higher, name)[:t + 1], getattr(dirty.higher, name)[:t + 1]
        assert np.array_equal(a, b, equal_nan=True), name
    p, q = plan_all(clean, HIGHER), plan_all(dirty, HIGHER)
    assert np.array_equal(p.regimes[:t + 1], q.regimes[:t + 1])
    assert np.array_equal(p.entries[:t + 1], q.entries[:t + 1])
    assert np.array_equal(p.atr[:t + 1], q.atr[:t + 1], equal_nan=True)
    for name, mask in p.exits.items():
        assert np.array_equal(mask[:t + 1], q.exits[name][:t + 1]), name
    for i in (t - 13, t):  # the tick's own decision at bar i, on candles up to i, agrees with the plan
        d = decide_entry(clean, i, HIGHER)
        assert d.enter == bool(p.entries[i]) or not p.entries[i]
        assert d.regime.regime == (None if p.regimes[i] < 0 else list(Regime)[p.regimes[i]])
    # ...and the poison reaches the later higher-timeframe bars, so the comparison could have failed.
    assert not np.array_equal(clean.higher.close[t + 13:], dirty.higher.close[t + 13:], equal_nan=True)


def test_the_higher_regime_reads_the_closed_hours() -> None:
    n = 12 * 80
    t = np.arange(n, dtype=np.int64) * M5
    up = 100 * np.exp(np.linspace(0, 0.3, n))
    ind = compute_all(make_ohlcv(t, up, up * 1.001, up * 0.999, up, np.ones(n)), HIGHER.indicators)
    codes = classify_all(ind, HIGHER.regimes)
    warm = HigherTimeframeSettings().sma_slow * 12 - 1  # the 50th hour closes with bar 599
    assert (codes[:warm] == -1).all() and codes[warm] != -1
    reading = classify_at(ind, -1, HIGHER.regimes)
    assert reading.regime is Regime.TRENDING_UP and "1h" in reading.reason
    assert list(Regime)[codes[-1]] is Regime.TRENDING_UP
    down = up[::-1].copy()
    ind = compute_all(make_ohlcv(t, down, down * 1.001, down * 0.999, down, np.ones(n)), HIGHER.indicators)
    assert classify_at(ind, -1, HIGHER.regimes).regime is Regime.TRENDING_DOWN


# The trend read on closed 4h bars (indicators.higher.trend_timeframe), channels, ATR and trail still on 1h.
FOUR_HOUR = HIGHER.model_copy(update={"indicators": HIGHER.indicators.model_copy(update={
    "higher": HigherTimeframeSettings(trend_timeframe="4h")})})


def test_4h_bars_start_at_00_04_08_utc_and_are_seen_only_once_closed() -> None:
    day = 86_400_000 * 19_000  # a UTC midnight
    agg = aggregate(_candles(day + 2 * H + 30 * 60_000, 12 * 11), 240)  # 02:30 .. 13:30: 00:00-04:00 incomplete
    assert agg.timestamps.tolist() == [day + 4 * H, day + 8 * H, day + 12 * H]
    first = (4 * H - (2 * H + 30 * 60_000)) // M5  # the bar opening 04:00
    assert agg.open[0] == 100 + first - 0.5 and agg.close[0] == 100 + first + 47  # 48 five-minute candles
    # The 04:00-08:00 bar is seen first by the 5m bar 07:55-08:00, never by 07:50-07:55.
    assert agg.visible[:first + 47].max() == -1 and agg.visible[first + 47] == 0
    assert agg.visible[first + 48 + 46] == 0 and agg.visible[first + 48 + 47] == 1
    assert agg.visible.max() == 1  # 12:00-16:00 is still forming at the last bar


def test_the_default_reads_the_trend_on_1h_and_4h_is_a_choice() -> None:
    ohlcv = load_candles(CANDLES)
    assert TradingConfig().indicators.higher.trend_minutes == 60
    assert compute_all(ohlcv, HIGHER.indicators).trend_htf is None  # nothing more is built by default
    ind = compute_all(ohlcv, FOUR_HOUR.indicators)
    assert ind.trend.minutes == 240 and ind.higher.minutes == 60
    assert FOUR_HOUR.warmup == 51 * 48 > HIGHER.warmup
    codes = classify_all(ind, FOUR_HOUR.regimes)
    # The first 4h bar opens 08:00 (the data starts 04:55); the 50th closes 50 x 4 h later: the first regime.
    first = int(np.searchsorted(ohlcv.timestamps, 1515571200000 + 50 * 4 * H - M5))
    assert (codes[:first] == -1).all() and codes[first] != -1
    reading = classify_at(ind, -1, FOUR_HOUR.regimes)
    assert "4h" in reading.reason and reading.values["htf_close"] == ind.trend.close[-1]
    assert ind.row(len(ohlcv) - 1)["trend_sma_slow"] == ind.trend.sma_slow[-1]


@pytest.mark.parametrize("t", [2500, 2687, 2901])
def test_poisoned_future_candles_change_no_4h_trend_decision_up_to_t(t: int) -> None:
    ohlcv = load_candles(CANDLES)
    dirty_ohlcv = _poison(ohlcv, t + 1, seed=t)
    clean, dirty = compute_all(ohlcv, FOUR_HOUR.indicators), compute_all(dirty_ohlcv, FOUR_HOUR.indicators)
    for name in HigherTimeframe.names:
        for view in ("trend", "higher"):
            a, b = getattr(getattr(clean, view), name)[:t + 1], getattr(getattr(dirty, view), name)[:t + 1]
            assert np.array_equal(a, b, equal_nan=True), (view, name)
    p, q = plan_all(clean, FOUR_HOUR), plan_all(dirty, FOUR_HOUR)
    assert (p.regimes[:t + 1] >= 0).any()  # the 4h trend is decided inside the compared part
    assert np.array_equal(p.regimes[:t + 1], q.regimes[:t + 1])
    assert np.array_equal(p.entries[:t + 1], q.entries[:t + 1])
    for name, mask in p.exits.items():
        assert np.array_equal(mask[:t + 1], q.exits[name][:t + 1]), name
    # A 4h bar closing after t does change: the comparison could have failed.
    assert not np.array_equal(clean.trend.close[t + 1:], dirty.trend.close[t + 1:], equal_nan=True)
