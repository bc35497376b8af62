"""Indicators against TA-Lib (and pandas / plain loops where TA-Lib has no such function) on real candles."""

from __future__ import annotations

import csv
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib

from trading.config import IndicatorSettings
from trading.decision import indicators as ti
from trading.decision.indicators import OHLCV, Indicators, compute_all
from trading.decision.kernels import linear_recurrence, rolling_max, rolling_min, rolling_sum, rolling_var
from trading.decision.timeframes import HigherTimeframe
from trading.domain import Candle

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "candles"
PAIRS = ("ETH_BTC", "LTC_BTC")
PERIODS = (5, 14, 30)
RTOL = 1e-9  # relative, for price-scaled outputs
ATOL_OSC = 1e-9  # absolute, for 0-100 oscillators


def load(pair: str) -> OHLCV:
    """A fixture CSV as OHLCV, read with the csv module."""
    with (FIXTURES / f"{pair}-5m.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    col = {k: [float(r[k]) for r in rows] for k in ("open", "high", "low", "close", "volume")}
    return OHLCV(timestamps=[int(r["timestamp"]) for r in rows], **col)


@pytest.fixture(scope="module", params=PAIRS)
def candles(request: pytest.FixtureRequest) -> OHLCV:
    return load(request.param)


def assert_same(mine: np.ndarray, ref: np.ndarray, *, rtol: float = RTOL, atol: float = 0.0) -> None:
    """Same length, NaN exactly where the reference has NaN, values within tolerance elsewhere."""
    mine, ref = np.asarray(mine, dtype=float), np.asarray(ref, dtype=float)
    assert mine.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(ref), err_msg="NaN positions differ")
    ok = ~np.isnan(ref)
    assert ok.any() or len(ref) == 0 or not np.isfinite(mine).any()
    np.testing.assert_allclose(mine[ok], ref[ok], rtol=rtol, atol=atol)


def scale_atol(ref: np.ndarray) -> float:
    """1e-9 of the series' largest magnitude: for outputs that cross zero (MACD), where relative error is moot."""
    return RTOL * float(np.nanmax(np.abs(ref)))


# --- TA-Lib functions, several periods, both pairs ------------------------------------------------


@pytest.mark.parametrize("n", PERIODS)
def test_moving_averages_match_talib(candles: OHLCV, n: int) -> None:
    assert_same(ti.sma(candles.close, n), talib.SMA(candles.close, n))
    assert_same(ti.ema(candles.close, n), talib.EMA(candles.close, n))
    assert_same(ti.sma(candles.volume, n), talib.SMA(candles.volume, n))


@pytest.mark.parametrize("n", PERIODS)
def test_rsi_and_atr_match_talib(candles: OHLCV, n: int) -> None:
    h, low, c = candles.high, candles.low, candles.close
    assert_same(ti.rsi(c, n), talib.RSI(c, n), rtol=0, atol=ATOL_OSC)
    assert_same(ti.atr(h, low, c, n), talib.ATR(h, low, c, n))
    assert_same(ti.true_range(h, low, c), talib.TRANGE(h, low, c))


@pytest.mark.parametrize("n", PERIODS)
def test_adx_and_directional_indices_match_talib(candles: OHLCV, n: int) -> None:
    h, low, c = candles.high, candles.low, candles.close
    adx, plus_di, minus_di = ti.adx(h, low, c, n)
    assert_same(adx, talib.ADX(h, low, c, n), rtol=0, atol=ATOL_OSC)
    assert_same(plus_di, talib.PLUS_DI(h, low, c, n), rtol=0, atol=ATOL_OSC)
    assert_same(minus_di, talib.MINUS_DI(h, low, c, n), rtol=0, atol=ATOL_OSC)


@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (5, 14, 3), (3, 30, 14), (26, 12, 9)])
def test_macd_matches_talib_all_three_outputs(candles: OHLCV, fast: int, slow: int, signal: int) -> None:
    mine = ti.macd(candles.close, fast, slow, signal)
    for got, ref in zip(mine, talib.MACD(candles.close, fast, slow, signal), strict=True):
        assert_same(got, ref, atol=scale_atol(ref))


def test_macd_fast_line_is_seeded_at_the_slow_start_as_talib_does(candles: OHLCV) -> None:
    line, _, _ = ti.macd(candles.close, 12, 26, 9)
    naive = talib.EMA(candles.close, 12) - talib.EMA(candles.close, 26)
    first = 26 - 1 + 9 - 1
    assert np.isnan(line[first - 1]) and not np.isnan(line[first])
    assert abs(line[first] - naive[first]) > 1e-12  # the alignment matters right after warm-up...
    assert_same(line[-100:], naive[-100:], atol=scale_atol(naive))  # ...and fades away later


@pytest.mark.parametrize("n", PERIODS)
@pytest.mark.parametrize("k", [2.0, 1.5])
def test_bollinger_matches_talib_bbands_with_population_std(candles: OHLCV, n: int, k: float) -> None:
    mine = ti.bollinger(candles.close, n, k)
    for got, ref in zip(mine, talib.BBANDS(candles.close, n, k, k, 0), strict=True):
        assert_same(got, ref)
    upper, mid, _ = mine
    window = candles.close[-n:]
    assert upper[-1] - mid[-1] == pytest.approx(k * window.std(ddof=0), rel=1e-9)


# --- the indicators TA-Lib does not have ----------------------------------------------------------


def chop_reference(h: np.ndarray, low: np.ndarray, c: np.ndarray, n: int) -> np.ndarray:
    """Choppiness with a plain loop over TA-Lib's TRANGE."""
    tr = talib.TRANGE(h, low, c)
    out = np.full(len(c), np.nan)
    for i in range(n, len(c)):
        span = h[i - n + 1 : i + 1].max() - low[i - n + 1 : i + 1].min()
        total = tr[i - n + 1 : i + 1].sum()
        out[i] = 100.0 if span == 0 else 100 * np.log10(total / span) / np.log10(n)
    return out


@pytest.mark.parametrize("n", PERIODS)
def test_choppiness_matches_a_reference_loop(candles: OHLCV, n: int) -> None:
    h, low, c = candles.high, candles.low, candles.close
    assert_same(ti.choppiness(h, low, c, n), chop_reference(h, low, c, n), rtol=0, atol=ATOL_OSC)


@pytest.mark.parametrize("n", PERIODS)
def test_volume_ratio_matches_pandas(candles: OHLCV, n: int) -> None:
    vol = pd.Series(candles.volume)
    assert_same(ti.volume_ratio(candles.volume, n), (vol / vol.rolling(n).mean()).to_numpy())


@pytest.mark.parametrize("n", PERIODS)
def test_realized_volatility_is_the_sample_std_of_log_returns(candles: OHLCV, n: int) -> None:
    mine = ti.realized_volatility(candles.close, n)
    returns = np.diff(np.log(candles.close))
    exact = np.full(len(mine), np.nan)
    exact[n:] = np.lib.stride_tricks.sliding_window_view(returns, n).std(axis=1, ddof=1)
    assert_same(mine, exact)
    # pandas' online rolling std carries its own rounding (up to ~1e-7 relative on near-flat windows
    # of these BTC-quoted prices), so against pandas the bound is 1e-9 of the series' scale.
    ref = np.log(pd.Series(candles.close)).diff().rolling(n).std(ddof=1).to_numpy()
    assert_same(mine, ref, atol=scale_atol(ref))


@pytest.mark.parametrize("n", PERIODS)
def test_atr_spike_and_donchian(candles: OHLCV, n: int) -> None:
    h, low, c = candles.high, candles.low, candles.close
    atr = talib.ATR(h, low, c, 14)
    assert_same(ti.atr_spike(atr, n), atr / talib.SMA(atr, n))
    upper, lower = ti.donchian(h, low, n)
    ref_up, ref_low = np.full(len(h), np.nan), np.full(len(h), np.nan)
    for i in range(n, len(h)):
        ref_up[i], ref_low[i] = h[i - n : i].max(), low[i - n : i].min()  # the previous n bars only
    assert_same(upper, ref_up, rtol=0)
    assert_same(lower, ref_low, rtol=0)
    assert (c[n:] <= talib.MAX(h, n)[n:]).all()  # with the current bar included a breakout could never show


# --- edge cases ------------------------------------------------------------------------------------


SHORT = np.array([1.0, 1.1, 1.05, 1.2])


@pytest.mark.parametrize("n", [5, 14])
def test_series_shorter_than_the_period_is_all_nan(n: int) -> None:
    x = SHORT
    outputs = [ti.sma(x, n), ti.ema(x, n), ti.rsi(x, n), ti.atr(x, x, x, n), *ti.macd(x, n, n + 1, 2),
               *ti.bollinger(x, n, 2), *ti.adx(x, x, x, n), ti.volume_ratio(x, n), ti.realized_volatility(x, n),
               ti.choppiness(x, x, x, n), ti.atr_spike(x, n), *ti.donchian(x, x, n)]
    for out in outputs:
        assert len(out) == len(x) and np.isnan(out).all()
    for out in (ti.sma(np.array([]), n), ti.rsi(np.array([]), n), ti.adx(np.array([]), np.array([]), np.array([]), n)[0]):
        assert len(out) == 0


def test_warm_up_lengths_equal_talib_at_the_boundary() -> None:
    x = np.linspace(1.0, 2.0, 29) + np.sin(np.arange(29.0))
    h, low = x + 0.1, x - 0.1
    assert_same(ti.adx(h, low, x, 14)[0], talib.ADX(h, low, x, 14), rtol=0, atol=ATOL_OSC)  # one value
    assert_same(ti.rsi(x[:15], 14), talib.RSI(x[:15], 14), rtol=0, atol=ATOL_OSC)
    assert_same(ti.atr(h[:15], low[:15], x[:15], 14), talib.ATR(h[:15], low[:15], x[:15], 14))


def test_constant_prices() -> None:
    c = np.full(200, 0.05)
    rsi = ti.rsi(c, 14)
    assert_same(rsi, talib.RSI(c, 14), rtol=0, atol=ATOL_OSC)
    assert (rsi[14:] == 0).all()  # TA-Lib's reading of "no gains and no losses"
    adx, plus_di, minus_di = ti.adx(c, c, c, 14)
    assert_same(adx, talib.ADX(c, c, c, 14), rtol=0, atol=ATOL_OSC)
    assert_same(plus_di, talib.PLUS_DI(c, c, c, 14), rtol=0, atol=ATOL_OSC)
    for got, ref in zip(ti.bollinger(c, 20, 2), talib.BBANDS(c, 20, 2, 2, 0), strict=True):
        assert_same(got, ref)
    assert (ti.choppiness(c, c, c, 14)[14:] == 100).all()  # the guard: no range is the choppiest market
    assert (ti.realized_volatility(c, 48)[48:] == 0).all()
    atr = ti.atr(c, c, c, 14)
    assert (ti.atr_spike(atr, 48)[14 + 47 :] == 1).all()  # 0 / 0: no spike
    assert np.isnan(ti.volume_ratio(np.zeros(30), 5)).all()  # no trading: no ratio


def test_flat_then_moving_series_matches_talib() -> None:
    c = np.r_[np.full(40, 2.0), 2.0 + np.cumsum(np.sin(np.arange(60.0)) * 0.01)]
    h, low = c + np.r_[np.zeros(40), np.full(60, 0.004)], c - np.r_[np.zeros(40), np.full(60, 0.003)]
    for got, ref in zip(ti.adx(h, low, c, 5), (talib.ADX(h, low, c, 5), talib.PLUS_DI(h, low, c, 5),
                                                 talib.MINUS_DI(h, low, c, 5)), strict=True):
        assert_same(got, ref, rtol=0, atol=ATOL_OSC)
    assert_same(ti.rsi(c, 5), talib.RSI(c, 5), rtol=0, atol=ATOL_OSC)


def test_results_do_not_depend_on_the_price_scale(candles: OHLCV) -> None:
    h, low, c = candles.high, candles.low, candles.close
    for scale in (1e-6, 1e6):
        assert_same(ti.rsi(c * scale, 14), ti.rsi(c, 14), rtol=0, atol=ATOL_OSC)
        assert_same(ti.adx(h * scale, low * scale, c * scale, 14)[0], ti.adx(h, low, c, 14)[0], rtol=0, atol=ATOL_OSC)
        assert_same(ti.choppiness(h * scale, low * scale, c * scale, 14), ti.choppiness(h, low, c, 14),
                    rtol=0, atol=ATOL_OSC)


def test_leading_nans_are_skipped_like_talib() -> None:
    x = np.r_[np.full(7, np.nan), np.linspace(1, 3, 50) + np.cos(np.arange(50.0))]
    assert_same(ti.ema(x, 10), talib.EMA(x, 10))
    assert_same(ti.sma(x, 10), talib.SMA(x, 10))
    for got, ref in zip(ti.macd(x, 5, 12, 4), talib.MACD(x, 5, 12, 4), strict=True):
        assert_same(got, ref, atol=scale_atol(ref))


def test_bad_periods_are_refused() -> None:
    for bad in (0, 1, -3, 2.5):
        with pytest.raises(ValueError):
            ti.ema(SHORT, bad)
    with pytest.raises(ValueError):
        ti.sma(SHORT, 0)


# --- the kernels -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 37])
def test_rolling_kernels_match_direct_windows(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.normal(5, 2, 101)
    x[50] = np.nan
    windows = np.lib.stride_tricks.sliding_window_view(x, n)
    for got, ref in ((rolling_sum(x, n), windows.sum(axis=1)), (rolling_max(x, n), windows.max(axis=1)),
                     (rolling_min(x, n), windows.min(axis=1))):
        assert_same(got, np.r_[np.full(n - 1, np.nan), ref])
    if n > 1:
        assert_same(rolling_var(x, n, ddof=1), np.r_[np.full(n - 1, np.nan), windows.var(axis=1, ddof=1)])
    assert np.isnan(rolling_sum(x[: n - 1], n)).all()


def test_rolling_var_keeps_digits_on_tiny_spreads_at_a_large_level() -> None:
    x = 1e4 + np.random.default_rng(3).normal(0, 1e-6, 500)
    ref = np.lib.stride_tricks.sliding_window_view(x - 1e4, 20).var(axis=1)
    assert_same(rolling_var(x, 20)[19:], ref, rtol=1e-6)  # E[x^2]-E[x]^2 would be pure noise here


@pytest.mark.parametrize("a", [1 / 3, 13 / 14, 0.999])
def test_linear_recurrence_matches_a_loop(a: float) -> None:
    b = np.random.default_rng(1).normal(0, 1, 5000)
    ref, y = np.empty_like(b), 0.7
    for t, v in enumerate(b):
        y = a * y + v
        ref[t] = y
    np.testing.assert_allclose(linear_recurrence(b, a, 0.7), ref, rtol=1e-9, atol=1e-12)


# --- OHLCV and compute_all -------------------------------------------------------------------------


def test_ohlcv_from_candles_keeps_closed_candles_as_floats() -> None:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    candles = [Candle("X", t0 + timedelta(minutes=5 * k), Decimal("1.5"), Decimal("2.25"), Decimal("1"),
                      Decimal(f"1.{k}"), Decimal("10"), closed=k < 3) for k in range(4)]
    o = OHLCV.from_candles(candles)
    assert len(o) == 3 and o.close.tolist() == [1.0, 1.1, 1.2] and o.high.dtype == np.float64
    assert o.timestamps.dtype == np.int64 and o.timestamps[0] == int(t0.timestamp()) * 1000
    assert o.timestamps[1] - o.timestamps[0] == 300_000
    assert o.tail(2).close.tolist() == [1.1, 1.2] and len(o.tail(10)) == 3 and len(o.tail(0)) == 0
    with pytest.raises(ValueError):
        o.close[0] = 9.0  # read-only: nobody edits the candles under an indicator
    with pytest.raises(ValueError, match="length"):
        OHLCV([1, 2], [1.0], [1.0], [1.0], [1.0], [1.0])
    assert len(OHLCV.from_candles([])) == 0


def test_compute_all_wires_every_indicator(candles: OHLCV) -> None:
    s = IndicatorSettings()
    ind = compute_all(candles, s)
    assert len(ind) == len(candles) and set(Indicators.names) == {
        "rsi", "sma_fast", "sma_slow", "sma_trend", "ema_fast", "ema_slow", "macd", "macd_signal", "macd_hist",
        "atr", "bb_upper", "bb_mid", "bb_lower", "volume_ratio", "volatility", "chop", "adx", "plus_di",
        "minus_di", "atr_spike", "donchian_high", "donchian_low"}
    h, low, c = candles.high, candles.low, candles.close
    assert_same(ind.sma_trend, talib.SMA(c, s.sma_trend))
    assert_same(ind.ema_slow, talib.EMA(c, s.ema_slow))
    assert_same(ind.macd_hist, talib.MACD(c, s.ema_fast, s.ema_slow, s.macd_signal)[2], atol=1e-9 * c.max())
    assert_same(ind.bb_lower, talib.BBANDS(c, s.bb_period, s.bb_std, s.bb_std, 0)[2])
    assert_same(ind.adx, talib.ADX(h, low, c, s.adx_period), rtol=0, atol=ATOL_OSC)
    assert_same(ind.atr_spike, ti.atr_spike(talib.ATR(h, low, c, s.atr_period), s.atr_spike_period))
    assert ind.close is candles.close
    with pytest.raises(ValueError):
        ind.rsi[-1] = 50.0
    first, last = ind.row(0), ind.row(-1)
    assert list(first) == ["close", *Indicators.names, *(f"htf_{n}" for n in HigherTimeframe.names)]
    assert first["close"] == c[0] and first["rsi"] is None and first["sma_trend"] is None
    assert all(isinstance(v, float) for v in last.values())


def test_settings_warmup_is_enough_for_every_indicator(candles: OHLCV) -> None:
    for s in (IndicatorSettings(), IndicatorSettings(adx_period=40, vol_period=10, atr_spike_period=90)):
        row = compute_all(candles.tail(s.warmup), s).row(-1)
        five = {k: v for k, v in row.items() if not k.startswith("htf_")}
        assert None not in five.values(), [k for k, v in five.items() if v is None]
        # The higher timeframe's own warm-up (one incomplete first hour included) is enough for its values.
        row = compute_all(candles.tail(s.higher.warmup), s).row(-1)
        assert None not in row.values(), [k for k, v in row.items() if v is None]


def test_compute_all_speed_on_a_year_of_5m_candles() -> None:
    """Prints the figure (run with -s); never a timed assertion."""
    n, rng = 105_120, np.random.default_rng(7)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    ohlcv = OHLCV(np.arange(n, dtype=np.int64) * 300_000, np.r_[close[0], close[:-1]],
                  close * (1 + rng.uniform(0, 0.003, n)), close * (1 - rng.uniform(0, 0.003, n)), close,
                  rng.uniform(1, 100, n))
    s = IndicatorSettings()
    compute_all(ohlcv, s)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        ind = compute_all(ohlcv, s)
        times.append(time.perf_counter() - start)
    print(f"\ncompute_all over {n:,} bars: best {min(times) * 1e3:.1f} ms, median {np.median(times) * 1e3:.1f} ms")
    assert len(ind) == n
