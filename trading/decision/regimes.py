"""The market regime of each candle, from ADX/DI, choppiness, ATR spike and realised volatility.

Rules, first match wins (thresholds from RegimeSettings):
  any input not yet computed          -> None (warm-up)
  ATR spike or volatility too high    -> volatile
  ADX at or above the trend threshold -> trending up (+DI > -DI) or trending down
  choppiness at or above its limit    -> chop
  otherwise                           -> range
classify_all() applies them to every bar at once (backtests); classify_at() to one bar, with the
values and a sentence (live decisions and "why?"). They share the comparisons, so they agree.

With RegimeSettings.timeframe = "higher" the regime is read on the closed higher-timeframe bars instead
(timeframes.py; no look-ahead): trending up when the last closed bar's close and its fast SMA are above the
slow SMA, trending down when both are below, range otherwise, warm-up until the slow SMA exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from trading.config import RegimeSettings
from trading.decision.indicators import Indicators
from trading.decision.timeframes import tf_label


class Regime(StrEnum):
    TRENDING_UP = "trending_up"
    TRENDING_DOWN = "trending_down"
    RANGE = "range"
    VOLATILE = "volatile"
    CHOP = "chop"


REGIME_ORDER: tuple[Regime, ...] = tuple(Regime)
WARMUP = -1  # classify_all()'s code for a bar whose inputs are not all available yet
_CODE = {regime: np.int8(code) for code, regime in enumerate(REGIME_ORDER)}
INPUTS = ("adx", "plus_di", "minus_di", "chop", "atr_spike", "volatility")


HIGHER_INPUTS = ("close", "sma_fast", "sma_slow")


def _higher_masks(ind: Indicators) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h = ind.trend  # the trend timeframe's closed bars (the higher timeframe's unless trend_timeframe is set)
    ready = ~(np.isnan(h.close) | np.isnan(h.sma_fast) | np.isnan(h.sma_slow))
    with np.errstate(invalid="ignore"):
        up = (h.close > h.sma_slow) & (h.sma_fast > h.sma_slow)
        down = (h.close < h.sma_slow) & (h.sma_fast < h.sma_slow)
    return ready, up, down


def classify_all(ind: Indicators, s: RegimeSettings) -> np.ndarray:
    """int8 regime code per bar: an index into REGIME_ORDER, or -1 during warm-up."""
    if s.timeframe == "higher":
        ready, up, down = _higher_masks(ind)
        return np.select([~ready, up, down], [WARMUP, _CODE[Regime.TRENDING_UP], _CODE[Regime.TRENDING_DOWN]],
                         default=_CODE[Regime.RANGE]).astype(np.int8)
    adx, plus_di, minus_di = ind.adx, ind.plus_di, ind.minus_di
    ready = np.ones(len(ind), dtype=bool)
    for name in INPUTS:
        ready &= ~np.isnan(getattr(ind, name))
    with np.errstate(invalid="ignore"):  # NaN compares False; those bars are warm-up anyway
        volatile = (ind.atr_spike >= s.atr_spike_volatile) | (ind.volatility >= s.vol_volatile)
        trending = adx >= s.adx_trend
        up = plus_di > minus_di
        chop = ind.chop >= s.chop_high
    codes = np.select(
        [~ready, volatile, trending & up, trending, chop],
        [WARMUP, _CODE[Regime.VOLATILE], _CODE[Regime.TRENDING_UP], _CODE[Regime.TRENDING_DOWN], _CODE[Regime.CHOP]],
        default=_CODE[Regime.RANGE])
    return codes.astype(np.int8)


@dataclass(frozen=True)
class RegimeReading:
    """The regime at one bar (None during warm-up), the values that decided it, and why in one line."""

    regime: Regime | None
    values: dict[str, float | None]
    reason: str


def _shown(value: float, digits: int, other: float, holds: bool, strict: bool = False) -> tuple[str, str]:
    """value and other rounded to the fewest digits (from `digits`) that still show the comparison's outcome.

    Without this, an ADX of 21.96 against a threshold of 22 would read "ADX 22.0 < 22".
    """
    for d in range(digits, digits + 8):
        a, b = round(value, d), round(other, d)
        if ((a > b) if strict else (a >= b)) == holds:
            return f"{value:.{d}f}", f"{other:.{d}f}"
    return repr(value), repr(other)


def _cmp(label: str, value: float, limit: float, digits: int) -> tuple[bool, str]:
    """Whether value >= limit, and the comparison as words, e.g. "ADX 31.2 >= 22"."""
    holds = value >= limit
    text, _ = _shown(value, digits, limit, holds)
    return holds, f"{label} {text} {'>=' if holds else '<'} {limit:g}"


def classify_at(ind: Indicators, i: int, s: RegimeSettings) -> RegimeReading:
    """The regime at bar i (negative counts from the end), with the deciding values and the reason."""
    if s.timeframe == "higher":
        return _higher_at(ind, i)
    raw = {name: float(getattr(ind, name)[i]) for name in INPUTS}
    values = {name: (None if math.isnan(v) else v) for name, v in raw.items()}
    missing = [name for name, v in values.items() if v is None]
    if missing:
        return RegimeReading(None, values, f"warming up: no {', '.join(missing)} yet")
    spiking, spike_text = _cmp("ATR spike", raw["atr_spike"], s.atr_spike_volatile, 2)
    wild, vol_text = _cmp("volatility", raw["volatility"], s.vol_volatile, 4)
    if spiking or wild:
        causes = [t for hit, t in ((spiking, spike_text), (wild, vol_text)) if hit]
        return RegimeReading(Regime.VOLATILE, values, f"{' and '.join(causes)}: volatile")
    trending, adx_text = _cmp("ADX", raw["adx"], s.adx_trend, 1)
    if trending:
        up = raw["plus_di"] > raw["minus_di"]
        plus, minus = _shown(raw["plus_di"], 1, raw["minus_di"], up, strict=True)
        regime = Regime.TRENDING_UP if up else Regime.TRENDING_DOWN
        di = f"+DI {plus} > -DI {minus}" if up else f"+DI {plus} <= -DI {minus}"
        return RegimeReading(regime, values, f"{adx_text} and {di}: {'trending up' if up else 'trending down'}")
    choppy, chop_text = _cmp("choppiness", raw["chop"], s.chop_high, 1)
    regime = Regime.CHOP if choppy else Regime.RANGE
    return RegimeReading(regime, values, f"{adx_text} and {chop_text}: {'chop' if choppy else 'range'}")


def _higher_at(ind: Indicators, i: int) -> RegimeReading:
    """classify_at() on the closed higher-timeframe bars (the same masks as classify_all())."""
    h = ind.trend
    raw = {f"htf_{name}": float(getattr(h, name)[i]) for name in HIGHER_INPUTS}
    values = {name: (None if math.isnan(v) else v) for name, v in raw.items()}
    ready, up, down = (m[i] for m in _higher_masks(ind))
    tf = tf_label(h.minutes)
    if not ready:
        return RegimeReading(None, values, f"warming up: fewer closed {tf} bars than the slow SMA needs")
    close, fast, slow = raw["htf_close"], raw["htf_sma_fast"], raw["htf_sma_slow"]
    facts = f"last closed {tf} bar: close {close:.6g}, fast SMA {fast:.6g}, slow SMA {slow:.6g}"
    if up:
        return RegimeReading(Regime.TRENDING_UP, values, f"{facts}: close and fast SMA above the slow one, trending up")
    if down:
        return RegimeReading(Regime.TRENDING_DOWN, values,
                             f"{facts}: close and fast SMA below the slow one, trending down")
    return RegimeReading(Regime.RANGE, values, f"{facts}: no clear {tf} trend, range")
