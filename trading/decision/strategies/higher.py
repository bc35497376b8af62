"""Higher-timeframe strategies: trend and breakout read on closed 1h bars, 5-minute candles only time the entry.

The trend they need (close and fast SMA above the slow SMA) is read on the trend timeframe's bars
(indicators.higher.trend_timeframe: 4h when set, else the higher timeframe's own 1h bars); the channels, the ATR
and the trailing stop stay on the higher timeframe.

Both hold for fewer, larger moves than the 5-minute strategies: their stops and targets are ATR multiples of
the higher timeframe (stop_atr), and they exit on the higher timeframe's trailing stop, the highest recent
closed-bar close less trail_atr_mult x its ATR (a chandelier stop), so a 5-minute wiggle does not close them.
"""

from __future__ import annotations

import numpy as np

from trading.config import TradingConfig
from trading.decision.indicators import Indicators
from trading.decision.strategies.base import Strategy, crosses_above, fmt
from trading.decision.timeframes import tf_label


def _uptrend(ind: Indicators) -> np.ndarray:
    h = ind.trend
    with np.errstate(invalid="ignore"):
        return (h.close > h.sma_slow) & (h.sma_fast > h.sma_slow)


def trail_level(ind: Indicators, cfg: TradingConfig) -> np.ndarray:
    """The trailing stop at each bar: the highest recent higher-timeframe close less ATR x trail_atr_mult."""
    h = ind.higher
    return h.trail_high - cfg.indicators.higher.trail_atr_mult * h.atr


def _trend_lines(ind: Indicators, i: int, cfg: TradingConfig) -> str:
    h, s = ind.trend, cfg.indicators.higher
    return (f"{h.minutes}m close {fmt(h.close[i])}, SMA({s.sma_fast}) {fmt(h.sma_fast[i])}, "
            f"SMA({s.sma_slow}) {fmt(h.sma_slow[i])}; trailing stop {fmt(trail_level(ind, cfg)[i])}")


def _tf(ind: Indicators) -> str:
    """The trend's bar length as words ('1h', '4h')."""
    return tf_label(ind.trend.minutes)


class HigherTrend(Strategy):
    name = "htf_trend"
    description = ("while the closed 1h bars trend up (close and fast SMA above the slow SMA), buy a 5-minute close "
                   "back above the 5-minute slow EMA; sell when a 1h close falls below the trailing stop or the "
                   "trend ends")

    def describe(self, cfg: TradingConfig) -> str:
        return _on_trend_bars(self.description, cfg)

    def signals(self, ind: Indicators, cfg: TradingConfig) -> np.ndarray:
        h, trend, trail, up = ind.higher, ind.trend, trail_level(ind, cfg), _uptrend(ind)
        with np.errstate(invalid="ignore"):
            enter = up & crosses_above(ind.close, ind.ema_slow) & (ind.close > trail)
            exit_ = (h.close < trail) | (trend.sma_fast < trend.sma_slow)
        return self.combine(enter, exit_)

    def stop_atr(self, ind: Indicators) -> np.ndarray:
        return ind.higher.atr

    def bar_minutes(self, cfg: TradingConfig) -> int:
        return cfg.indicators.higher.minutes

    def explain(self, ind: Indicators, i: int, cfg: TradingConfig) -> list[str]:
        sig = self.signal_at(ind, i, cfg)
        tf = _tf(ind)
        return [_trend_lines(ind, i, cfg),
                f"{tf} uptrend and the 5-minute close crossed back above its slow EMA: buy" if sig > 0 else
                f"the 1h close fell below the trailing stop or the {tf} trend ended: sell" if sig < 0 else
                f"{tf} uptrend, waiting for a 5-minute cross" if bool(_uptrend(ind)[i]) else
                f"no {tf} uptrend: no trade"]


def _on_trend_bars(text: str, cfg: TradingConfig) -> str:
    """The description with the trend read on 4h bars when trend_timeframe says so (channels, ATR stay 1h)."""
    tf = cfg.indicators.higher.trend_timeframe
    if not tf or tf == "1h":
        return text
    return (text.replace("the closed 1h bars trend up", f"the closed {tf} bars trend up")
            .replace("the 1h close is above its slow SMA", f"the {tf} close is above its slow SMA")
            .replace("while the 1h close is", f"while the {tf} close is")
            .replace("\n", ""))


class HigherBreakout(Strategy):
    name = "htf_breakout"
    description = ("buy a 5-minute close above the highest high of the last closed 1h bars (the channel) while the "
                   "1h close is above its slow SMA; sell below the 1h exit channel's low or the trailing stop")

    def describe(self, cfg: TradingConfig) -> str:
        return _on_trend_bars(self.description, cfg)

    def signals(self, ind: Indicators, cfg: TradingConfig) -> np.ndarray:
        h, trail = ind.higher, trail_level(ind, cfg)
        with np.errstate(invalid="ignore"):
            enter = crosses_above(ind.close, h.channel_high) & _uptrend(ind)
            exit_ = (ind.close < h.channel_low) | (h.close < trail)
        return self.combine(enter, exit_)

    def stop_atr(self, ind: Indicators) -> np.ndarray:
        return ind.higher.atr

    def bar_minutes(self, cfg: TradingConfig) -> int:
        return cfg.indicators.higher.minutes

    def explain(self, ind: Indicators, i: int, cfg: TradingConfig) -> list[str]:
        h, s, sig = ind.higher, cfg.indicators.higher, self.signal_at(ind, i, cfg)
        return [f"close {fmt(ind.close[i])} vs the {s.channel}-bar {s.minutes}m high {fmt(h.channel_high[i])} / "
                f"{s.exit_channel}-bar low {fmt(h.channel_low[i])}; " + _trend_lines(ind, i, cfg),
                f"closed above the 1h channel in a {_tf(ind)} uptrend: buy" if sig > 0 else
                "below the 1h exit channel or the trailing stop: sell" if sig < 0 else "no 1h breakout on this candle"]
