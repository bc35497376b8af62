"""Vectorised indicators over closed candles, matching TA-Lib's definitions and warm-up lengths.

Every function takes float64 arrays and returns arrays of the same length, NaN before the first
valid bar. Where TA-Lib defines the indicator (SMA, EMA, RSI, ATR, MACD, BBANDS, ADX, +DI, -DI)
the values agree with it to about 1e-12 from that bar on (tests/trading/decision/test_indicators.py checks
1e-9 on real candles). Division guards test for an exact zero, never a fixed epsilon, so nothing
depends on the price scale: a BTC-quoted pair at 1e-5 reads like a USD pair at 1e5 (the bundled
TA-Lib behaves the same; TA-Lib 0.4 used a fixed 1e-8 and gave such pairs RSI 0 and flat bands).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from trading.decision.kernels import linear_recurrence, rolling_max, rolling_min, rolling_sum, rolling_var
from trading.decision.timeframes import HigherTimeframe, compute_htf, compute_trend

if TYPE_CHECKING:
    from trading.config import IndicatorSettings
    from trading.domain import Candle

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def _frozen(values: object, dtype: type) -> np.ndarray:
    arr = np.array(values, dtype=dtype)  # a copy: the caller's buffer may change, ours must not
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class OHLCV:
    """Candle columns as read-only numpy arrays: timestamps in epoch ms (int64), prices and volume float64."""

    timestamps: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _frozen(getattr(self, f.name),
                                                     np.int64 if f.name == "timestamps" else np.float64))
        lengths = {len(getattr(self, f.name)) for f in fields(self)}
        if len(lengths) != 1:
            raise ValueError(f"OHLCV columns differ in length: {sorted(lengths)}")

    @classmethod
    def from_candles(cls, candles: Sequence[Candle]) -> OHLCV:
        """The closed candles of a sequence (the forming one is left out), oldest first as given."""
        closed = [c for c in candles if c.closed]

        def ms(ts: datetime) -> int:
            aware = ts if ts.tzinfo else ts.replace(tzinfo=UTC)  # naive means UTC in this project
            return (aware - _EPOCH) // _MS

        return cls(timestamps=[ms(c.timestamp) for c in closed], open=[float(c.open) for c in closed],
                   high=[float(c.high) for c in closed], low=[float(c.low) for c in closed],
                   close=[float(c.close) for c in closed], volume=[float(c.volume) for c in closed])

    def __len__(self) -> int:
        return len(self.close)

    def tail(self, n: int) -> OHLCV:
        """The last n candles (all of them when there are fewer)."""
        start = max(len(self) - n, 0) if n > 0 else len(self)
        return OHLCV(*(getattr(self, f.name)[start:] for f in fields(self)))


# --- helpers -------------------------------------------------------------------------------------


def _arr(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _period(n: int, minimum: int = 2) -> int:
    if int(n) != n or n < minimum:
        raise ValueError(f"period must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _first_valid(x: np.ndarray) -> int:
    """Index of the first non-NaN value (len(x) when there is none), as TA-Lib's wrapper skips a NaN lead."""
    valid = np.flatnonzero(~np.isnan(x))
    return int(valid[0]) if len(valid) else len(x)


def _ratio(num: np.ndarray, den: np.ndarray, zero: float) -> np.ndarray:
    """num / den, with `zero` where den is exactly 0 (NaN stays NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den == 0, zero, num / den)


def _ema_seeded(x: np.ndarray, n: int, seed_end: int) -> np.ndarray:
    """EMA with alpha 2/(n+1), seeded at seed_end with the mean of the n values ending there."""
    out = np.full(len(x), np.nan)
    if seed_end >= len(x):
        return out
    k = 2.0 / (n + 1)
    out[seed_end] = x[seed_end - n + 1 : seed_end + 1].mean()
    out[seed_end + 1 :] = linear_recurrence(k * x[seed_end + 1 :], 1.0 - k, out[seed_end])
    return out


def _wilder_mean(x: np.ndarray, n: int, first: int) -> np.ndarray:
    """Wilder's average (alpha 1/n) seeded with the mean of x[first:first+n]."""
    out = np.full(len(x), np.nan)
    seed = first + n - 1
    if seed >= len(x):
        return out
    out[seed] = x[first : seed + 1].mean()
    out[seed + 1 :] = linear_recurrence(x[seed + 1 :] / n, (n - 1) / n, out[seed])
    return out


def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """TA-Lib TRANGE: max(high-low, |high-prev close|, |low-prev close|); NaN at bar 0."""
    high, low, close = _arr(high), _arr(low), _arr(close)
    out = np.full(len(close), np.nan)
    if len(close) > 1:
        prev = close[:-1]
        out[1:] = np.maximum(high[1:] - low[1:], np.maximum(np.abs(high[1:] - prev), np.abs(low[1:] - prev)))
    return out


# --- TA-Lib indicators ---------------------------------------------------------------------------


def sma(x: np.ndarray, n: int) -> np.ndarray:
    """Simple moving average (TA-Lib SMA); first value at index n-1."""
    return rolling_sum(_arr(x), _period(n, 1)) / n


def ema(x: np.ndarray, n: int) -> np.ndarray:
    """Exponential moving average as TA-Lib EMA: seeded with the mean of the first n values, alpha 2/(n+1)."""
    x, n = _arr(x), _period(n)
    return _ema_seeded(x, n, _first_valid(x) + n - 1)


def rsi(close: np.ndarray, n: int) -> np.ndarray:
    """Wilder's RSI as TA-Lib RSI (first value at index n; 0 when prices have not moved at all)."""
    close, n = _arr(close), _period(n)
    out = np.full(len(close), np.nan)
    if len(close) <= n:
        return out
    diff = np.diff(close)  # diff[j] is bar j+1's move
    gain = _wilder_mean(np.maximum(diff, 0.0), n, 0)
    loss = _wilder_mean(np.maximum(-diff, 0.0), n, 0)
    out[1:] = 100.0 * _ratio(gain, gain + loss, 0.0)
    return out


def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int) -> np.ndarray:
    """Average true range as TA-Lib ATR: first value at index n = mean of TR[1..n], then Wilder."""
    n = _period(n)
    return _wilder_mean(true_range(high, low, close), n, 1)


def macd(close: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9) -> tuple[np.ndarray, ...]:
    """(macd, signal, hist) as TA-Lib MACD: both EMAs start at bar slow-1, every output at slow+signal-2."""
    close = _arr(close)
    fast, slow, signal = _period(fast), _period(slow), _period(signal)
    if slow < fast:
        fast, slow = slow, fast  # TA-Lib swaps them too
    # TA-Lib seeds the fast EMA at the slow EMA's first bar (mean of the `fast` values ending there),
    # not at bar fast-1: so MACD's fast line differs from EMA(fast) for its first few dozen bars.
    start = _first_valid(close) + slow - 1
    line = _ema_seeded(close, fast, start) - _ema_seeded(close, slow, start)
    sig = ema(line, signal)
    line[np.isnan(sig)] = np.nan
    return line, sig, line - sig


def bollinger(close: np.ndarray, n: int = 20, k: float = 2.0) -> tuple[np.ndarray, ...]:
    """(upper, middle, lower) as TA-Lib BBANDS with matype 0: SMA +/- k population standard deviations."""
    close, n = _arr(close), _period(n)
    mid = sma(close, n)
    width = k * np.sqrt(rolling_var(close, n, ddof=0))
    return mid + width, mid, mid - width


def _directional(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    """(+DI, -DI, DX) as TA-Lib: Wilder sums of +DM, -DM and TR; first value at index n."""
    high, low, close = _arr(high), _arr(low), _arr(close)
    length = len(close)
    nan = np.full(length, np.nan)
    if length <= n:
        return nan, nan.copy(), nan.copy()
    up, down = np.diff(high), -np.diff(low)  # bar j+1 against bar j
    plus = np.where((up > 0) & (up > down), up, 0.0)
    minus = np.where((down > 0) & (down > up), down, 0.0)

    def wilder_sum(moves: np.ndarray) -> np.ndarray:
        # TA-Lib sums the first n-1 bars, then each bar: S = S - S/n + value (Wilder's running sum).
        out = np.full(length, np.nan)
        out[n:] = linear_recurrence(moves[n - 1 :], (n - 1) / n, moves[: n - 1].sum())
        return out

    tr = wilder_sum(true_range(high, low, close)[1:])
    plus_di = 100.0 * _ratio(wilder_sum(plus), tr, 0.0)
    minus_di = 100.0 * _ratio(wilder_sum(minus), tr, 0.0)
    # DX is undefined (skipped by TA-Lib) only while no move at all has happened yet; then ADX is 0
    # either way, so counting it as 0 reproduces TA-Lib exactly.
    dx = 100.0 * _ratio(np.abs(plus_di - minus_di), plus_di + minus_di, 0.0)
    return plus_di, minus_di, dx


def adx(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 14) -> tuple[np.ndarray, ...]:
    """(adx, plus_di, minus_di) as TA-Lib ADX, PLUS_DI, MINUS_DI: DI from index n, ADX from 2n-1."""
    n = _period(n)
    plus_di, minus_di, dx = _directional(high, low, close, n)
    return _wilder_mean(dx, n, n), plus_di, minus_di


# --- the rest ------------------------------------------------------------------------------------


def volume_ratio(volume: np.ndarray, n: int) -> np.ndarray:
    """volume / SMA(volume, n); NaN where the average is 0 (no trading: no meaningful ratio)."""
    volume = _arr(volume)
    return _ratio(volume, sma(volume, n), np.nan)


def realized_volatility(close: np.ndarray, n: int) -> np.ndarray:
    """Sample standard deviation (ddof=1) of the last n one-candle log returns, per candle (not annualised).

    First value at index n. The sample estimator matches pandas' rolling std, the usual reference.
    """
    close, n = _arr(close), _period(n)
    returns = np.full(len(close), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns[1:] = np.diff(np.log(close))
    return np.sqrt(rolling_var(returns, n, ddof=1))


def choppiness(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 14) -> np.ndarray:
    """Choppiness index: 100 * log10(sum TR(n) / (max high(n) - min low(n))) / log10(n); first at index n.

    A window with no range at all (a dead-flat market) reads 100, the choppiest value, not NaN:
    it is data, and it must keep the regime out of trend strategies rather than look like warm-up.
    """
    high, low, n = _arr(high), _arr(low), _period(n)
    span = rolling_max(high, n) - rolling_min(low, n)
    tr_sum = rolling_sum(true_range(high, low, close), n)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * np.log10(tr_sum / span) / np.log10(n)
    out[span == 0] = 100.0
    out[np.isnan(tr_sum)] = np.nan
    return out


def atr_spike(atr_values: np.ndarray, n: int) -> np.ndarray:
    """ATR / SMA(ATR, n): how far the current ATR is above its own recent average.

    Where the average is 0 the ATR is 0 too (ATR >= 0 and is part of the average): no spike, 1.0.
    """
    atr_values = _arr(atr_values)
    return _ratio(atr_values, sma(atr_values, n), 1.0)


def donchian(high: np.ndarray, low: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(upper, lower): highest high and lowest low of the previous n bars, excluding the current one."""
    high, low, n = _arr(high), _arr(low), _period(n, 1)
    upper, lower = np.full(len(high), np.nan), np.full(len(low), np.nan)
    upper[1:], lower[1:] = rolling_max(high, n)[:-1], rolling_min(low, n)[:-1]
    return upper, lower


# --- everything at once --------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicators:
    """The candles and every indicator the autopilot reads, one read-only array per name, aligned by bar."""

    ohlcv: OHLCV
    rsi: np.ndarray
    sma_fast: np.ndarray
    sma_slow: np.ndarray
    sma_trend: np.ndarray
    ema_fast: np.ndarray
    ema_slow: np.ndarray
    macd: np.ndarray
    macd_signal: np.ndarray
    macd_hist: np.ndarray
    atr: np.ndarray
    bb_upper: np.ndarray
    bb_mid: np.ndarray
    bb_lower: np.ndarray
    volume_ratio: np.ndarray
    volatility: np.ndarray
    chop: np.ndarray
    adx: np.ndarray
    plus_di: np.ndarray
    minus_di: np.ndarray
    atr_spike: np.ndarray
    donchian_high: np.ndarray
    donchian_low: np.ndarray
    htf: HigherTimeframe | None = None  # the closed higher-timeframe bars as seen at each bar (timeframes.py)
    trend_htf: HigherTimeframe | None = None  # the trend's own bars (trend_timeframe), when not the higher ones

    names: ClassVar[tuple[str, ...]] = ()  # filled in below from the fields

    def __post_init__(self) -> None:
        for name in self.names:
            arr = getattr(self, name)
            if len(arr) != len(self.ohlcv):
                raise ValueError(f"{name} has {len(arr)} values for {len(self.ohlcv)} candles")
            # A read-only view, not a copy: cheap, and no strategy can overwrite an indicator by accident.
            view = np.asarray(arr, dtype=np.float64).view()
            view.setflags(write=False)
            object.__setattr__(self, name, view)

    def __len__(self) -> int:
        return len(self.ohlcv)

    @property
    def timestamps(self) -> np.ndarray:
        return self.ohlcv.timestamps

    @property
    def open(self) -> np.ndarray:
        return self.ohlcv.open

    @property
    def high(self) -> np.ndarray:
        return self.ohlcv.high

    @property
    def low(self) -> np.ndarray:
        return self.ohlcv.low

    @property
    def close(self) -> np.ndarray:
        return self.ohlcv.close

    @property
    def volume(self) -> np.ndarray:
        return self.ohlcv.volume

    def row(self, i: int) -> dict[str, float | None]:
        """Close and every indicator at bar i (negative counts from the end) as plain floats, NaN as None."""
        out: dict[str, float | None] = {}
        for name in ("close", *self.names):
            value = float(getattr(self, name)[i])
            out[name] = None if np.isnan(value) else value
        if self.htf is not None:
            out.update(self.htf.row(i))
        if self.trend_htf is not None:
            out.update(self.trend_htf.row(i, prefix="trend_", only=("close", "sma_fast", "sma_slow")))
        return out

    @property
    def higher(self) -> HigherTimeframe:
        """The higher-timeframe view (compute_all always builds it)."""
        if self.htf is None:
            raise ValueError("these indicators were built without the higher timeframe")
        return self.htf

    @property
    def trend(self) -> HigherTimeframe:
        """The bars the trend is read on: the trend timeframe's (4h) when set apart, else the higher ones."""
        return self.trend_htf if self.trend_htf is not None else self.higher


Indicators.names = tuple(f.name for f in fields(Indicators) if f.name not in ("ohlcv", "htf", "trend_htf"))


def compute_all(ohlcv: OHLCV, s: IndicatorSettings) -> Indicators:
    """Every indicator over the candles, with the periods of the settings."""
    high, low, close, volume = ohlcv.high, ohlcv.low, ohlcv.close, ohlcv.volume
    line, signal, hist = macd(close, s.ema_fast, s.ema_slow, s.macd_signal)
    upper, mid, lower = bollinger(close, s.bb_period, s.bb_std)
    adx_, plus_di, minus_di = adx(high, low, close, s.adx_period)
    atr_ = atr(high, low, close, s.atr_period)
    d_high, d_low = donchian(high, low, s.breakout_period)
    return Indicators(
        ohlcv=ohlcv, rsi=rsi(close, s.rsi_period),
        sma_fast=sma(close, s.sma_fast), sma_slow=sma(close, s.sma_slow), sma_trend=sma(close, s.sma_trend),
        ema_fast=ema(close, s.ema_fast), ema_slow=ema(close, s.ema_slow),
        macd=line, macd_signal=signal, macd_hist=hist, atr=atr_,
        bb_upper=upper, bb_mid=mid, bb_lower=lower,
        volume_ratio=volume_ratio(volume, s.volume_period), volatility=realized_volatility(close, s.vol_period),
        chop=choppiness(high, low, close, s.chop_period), adx=adx_, plus_di=plus_di, minus_di=minus_di,
        atr_spike=atr_spike(atr_, s.atr_spike_period), donchian_high=d_high, donchian_low=d_low,
        htf=compute_htf(ohlcv, s.higher), trend_htf=compute_trend(ohlcv, s.higher))
