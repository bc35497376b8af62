"""Regime strategies: trend following, range mean reversion and breakout."""

from __future__ import annotations

import numpy as np

from trading.config import TradingConfig
from trading.decision.indicators import Indicators
from trading.decision.strategies.base import Strategy, crosses_above, fmt


class TrendFollowing(Strategy):
    name = "trend_following"
    description = "in an uptrend, buy when the fast EMA crosses above the slow EMA; sell when it crosses below"

    def signals(self, ind: Indicators, cfg: TradingConfig) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            enter = crosses_above(ind.ema_fast, ind.ema_slow) & (ind.close > ind.sma_trend)
        return self.combine(enter, crosses_above(ind.ema_slow, ind.ema_fast))

    def explain(self, ind: Indicators, i: int, cfg: TradingConfig) -> list[str]:
        s, sig = cfg.indicators, self.signal_at(ind, i, cfg)
        return [f"EMA({s.ema_fast}) {fmt(ind.ema_fast[i])} vs EMA({s.ema_slow}) {fmt(ind.ema_slow[i])}; "
                f"close {fmt(ind.close[i])} vs SMA({s.sma_trend}) {fmt(ind.sma_trend[i])}",
                "fast EMA crossed above slow in an uptrend: buy" if sig > 0 else
                "fast EMA crossed below slow: sell" if sig < 0 else "no EMA crossover in trend direction"]


class MeanReversion(Strategy):
    name = "mean_reversion"
    description = "in a range, buy a close below the lower Bollinger band with low RSI; sell at the middle band"

    def signals(self, ind: Indicators, cfg: TradingConfig) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            enter = (ind.close < ind.bb_lower) & (ind.rsi < cfg.strategies.mr_rsi_max)
            exit_ = ind.close >= ind.bb_mid
        return self.combine(enter, exit_)

    def explain(self, ind: Indicators, i: int, cfg: TradingConfig) -> list[str]:
        sig = self.signal_at(ind, i, cfg)
        return [f"close {fmt(ind.close[i])}; Bollinger lower {fmt(ind.bb_lower[i])}, middle {fmt(ind.bb_mid[i])}; "
                f"RSI {fmt(ind.rsi[i])} (entry below {cfg.strategies.mr_rsi_max:g})",
                "stretched below the lower band: buy the reversion" if sig > 0 else
                "back at the middle band: take the reversion" if sig < 0 else "price inside the bands: no trade"]


class Breakout(Strategy):
    name = "breakout"
    description = "buy a close above the prior high of the channel on strong volume; sell below the channel low"

    def signals(self, ind: Indicators, cfg: TradingConfig) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            enter = (ind.close > ind.donchian_high) & (ind.volume_ratio >= cfg.strategies.breakout_volume_ratio)
            exit_ = ind.close < ind.donchian_low
        return self.combine(enter, exit_)

    def explain(self, ind: Indicators, i: int, cfg: TradingConfig) -> list[str]:
        n, sig = cfg.indicators.breakout_period, self.signal_at(ind, i, cfg)
        return [f"close {fmt(ind.close[i])} vs {n}-candle high {fmt(ind.donchian_high[i])} / low "
                f"{fmt(ind.donchian_low[i])}; volume x{fmt(ind.volume_ratio[i])} of average",
                "closed above the channel on volume: buy" if sig > 0 else
                "closed below the channel: sell" if sig < 0 else "no breakout on this candle"]
