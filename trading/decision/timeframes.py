"""Higher-timeframe candles built from 5-minute ones, and what of them a 5-minute bar may see (no look-ahead).

aggregate() buckets the base candles by UTC period (1h: 10:00-11:00, ...; 4h: 00:00-04:00, 04:00-08:00, ...,
counted from the epoch, so a period that divides a day starts at UTC midnight). A bucket is CLOSED, and so
visible, from the base bar whose close time reaches the bucket's end: the 1h bar 10:00-11:00 is seen
first by the 5m bar 10:55-11:00 (decided at 11:00), never by 10:50-10:55. A bucket whose first base
candle is not at the bucket's start (the data, or a tick's fetched history, begins mid-period) is dropped:
it would differ between a tick that fetched 720 candles and a backtest over months, and decisions must
not. Gaps inside the data leave a bucket with fewer candles; it is still the market over its period.

HigherTimeframe holds the higher-timeframe indicators the decision code reads, ALIGNED to the base bars:
value[i] is the indicator of the last higher-timeframe bar closed at base bar i's close (NaN before the
first). The autopilot's tick, the backtester and the walk-forward all build it with compute_htf() inside
compute_all(), so they decide alike. With trend_timeframe set apart (4h), compute_trend() builds a second view
on those bars, which the trend reads (the higher regime, the htf_* strategies' uptrend); channels, ATR and the
trailing stop stay on the higher timeframe.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from trading.decision.kernels import rolling_max, rolling_min

if TYPE_CHECKING:
    from trading.config import HigherTimeframeSettings
    from trading.decision.indicators import OHLCV

MINUTE_MS = 60_000


def tf_label(minutes: int) -> str:
    """'1h', '4h', '30m'."""
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def base_step_ms(timestamps: np.ndarray) -> int:
    """The base candles' spacing (the median of the gaps; 5 minutes when it cannot be told)."""
    if len(timestamps) < 2:
        return 5 * MINUTE_MS
    return int(np.median(np.diff(timestamps[-1000:])))


@dataclass(frozen=True)
class Aggregated:
    """Closed-bucket candles and, per base bar, the index of the last bucket closed at its close (-1: none)."""

    timestamps: np.ndarray  # int64 ms, bucket open times
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    visible: np.ndarray  # int64 per base bar


def aggregate(ohlcv: OHLCV, minutes: int, base_ms: int | None = None) -> Aggregated:
    """The higher-timeframe candles of `minutes` (a multiple of the base spacing) and their visibility."""
    t = np.asarray(ohlcv.timestamps, dtype=np.int64)
    n = len(t)
    period = int(minutes) * MINUTE_MS
    base = base_ms or base_step_ms(t)
    if n == 0:
        empty = np.empty(0)
        return Aggregated(np.empty(0, dtype=np.int64), empty, empty, empty, empty, empty, np.empty(0, dtype=np.int64))
    bucket = t // period
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])  # first base bar of each bucket
    keep = np.ones(len(starts), dtype=bool)
    keep[0] = t[0] == bucket[0] * period  # a bucket that began before the data is incomplete: drop it
    ends = np.r_[starts[1:], n]
    high = np.maximum.reduceat(ohlcv.high, starts)
    low = np.minimum.reduceat(ohlcv.low, starts)
    volume = np.add.reduceat(ohlcv.volume, starts)
    opens, closes = ohlcv.open[starts], ohlcv.close[ends - 1]
    b_open = bucket[starts] * period
    # Visible at base bar i: buckets whose end (open + period) is at or before bar i's close time.
    close_time = t + base
    sel = np.flatnonzero(keep)
    b_end = b_open[sel] + period
    visible = np.searchsorted(b_end, close_time, side="right").astype(np.int64) - 1
    return Aggregated(b_open[sel], opens[sel], high[sel], low[sel], closes[sel], volume[sel], visible)


def align(values: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """values of the higher-timeframe bars, as seen at each base bar (NaN where no bar is closed yet)."""
    out = np.full(len(visible), np.nan)
    seen = visible >= 0
    if len(values):
        out[seen] = values[visible[seen]]
    return out


@dataclass(frozen=True)
class HigherTimeframe:
    """The higher-timeframe view at each base bar: the last closed bar's values and indicators (fixed windows)."""

    minutes: int
    close: np.ndarray
    sma_fast: np.ndarray
    sma_slow: np.ndarray
    atr: np.ndarray  # mean true range of the last atr_period closed bars
    channel_high: np.ndarray  # highest high of the last `channel` closed bars (the visible one included)
    channel_low: np.ndarray  # lowest low of the last `exit_channel` closed bars
    trail_high: np.ndarray  # highest close of the last `trail_period` closed bars (the trailing stop's anchor)

    names: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for name in self.names:
            view = np.asarray(getattr(self, name), dtype=np.float64).view()
            view.setflags(write=False)
            object.__setattr__(self, name, view)

    def __len__(self) -> int:
        return len(self.close)

    def row(self, i: int, prefix: str = "htf_", only: tuple[str, ...] | None = None) -> dict[str, float | None]:
        """Every value (or those named in only) at base bar i, named <prefix><name>, NaN as None."""
        out: dict[str, float | None] = {}
        for name in only or self.names:
            v = float(getattr(self, name)[i])
            out[f"{prefix}{name}"] = None if np.isnan(v) else v
        return out


HigherTimeframe.names = tuple(f.name for f in fields(HigherTimeframe) if f.name != "minutes")


def compute_trend(ohlcv: OHLCV, s: HigherTimeframeSettings) -> HigherTimeframe | None:
    """The trend timeframe's bars (s.trend_timeframe, e.g. 4h) aligned to the base candles; None when the trend
    is read on the higher timeframe itself (s.minutes), so the default builds nothing more."""
    if s.trend_minutes == s.minutes:
        return None
    return compute_htf(ohlcv, s, minutes=s.trend_minutes)


def compute_htf(ohlcv: OHLCV, s: HigherTimeframeSettings, minutes: int | None = None) -> HigherTimeframe:
    """The higher-timeframe indicators of s.minutes (or of `minutes`), aligned to the base candles."""
    from trading.decision.indicators import sma, true_range

    minutes = minutes or s.minutes
    agg = aggregate(ohlcv, minutes)
    h, lo, c, vis = agg.high, agg.low, agg.close, agg.visible
    if len(c) == 0:
        nan = np.full(len(vis), np.nan)
        return HigherTimeframe(minutes, *(nan for _ in HigherTimeframe.names))
    tr = true_range(h, lo, c)  # NaN at the first bar (no previous close), so the first mean starts after it
    return HigherTimeframe(
        minutes=minutes, close=align(c, vis), sma_fast=align(sma(c, s.sma_fast), vis),
        sma_slow=align(sma(c, s.sma_slow), vis), atr=align(sma(tr, s.atr_period), vis),
        channel_high=align(rolling_max(h, s.channel), vis), channel_low=align(rolling_min(lo, s.exit_channel), vis),
        trail_high=align(rolling_max(c, s.trail_period), vis))
