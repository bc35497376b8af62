"""The classic strategies: moving-average crossover, MACD crossover and RSI reversal."""

from __future__ import annotations

import numpy as np

from trading.config import TradingConfig
from trading.decision.indicators import Indicators
from trading.decision.strategies.base import Strategy, crosses_above, fmt


class MACrossover(Strategy):
    name = "ma_crossover"
    description = "buy when the fast SMA crosses above the slow SMA; sell when it crosses back below"

    def signals(self, ind: Indicators, cfg: TradingConfig) -> np.ndarray:
        return self.combine(crosses_above(ind.sma_fast, ind.sma_slow), crosses_above(ind.sma_slow, ind.sma_fast))

    def explain(self, ind: Indicators, i: int, cfg: TradingConfig) -> list[str]:
        s = cfg.indicators
        fast, slow = ind.sma_fast[i], ind.sma_slow[i]
        rel = "above" if fast > slow else "below"
        out = [f"SMA({s.sma_fast}) {fmt(fast)} is {rel} SMA({s.sma_slow}) {fmt(slow)}"]
        sig = self.signal_at(ind, i, cfg)
        out.append("it just crossed above: buy" if sig > 0 else "it just crossed below: sell" if sig < 0
                   else "no crossover on this candle")
        return out


class MACDCross(Strategy):
    name = "macd"
    description = "buy when MACD crosses above its signal line; sell when it crosses below"

    def signals(self, ind: Indicators, cfg: TradingConfig) -> np.ndarray:
        return self.combine(crosses_above(ind.macd, ind.macd_signal), crosses_above(ind.macd_signal, ind.macd))

    def explain(self, ind: Indicators, i: int, cfg: TradingConfig) -> list[str]:
        sig = self.signal_at(ind, i, cfg)
        return [f"MACD {fmt(ind.macd[i])} vs signal {fmt(ind.macd_signal[i])} (histogram {fmt(ind.macd_hist[i])})",
                "MACD crossed above its signal: buy" if sig > 0 else "MACD crossed below its signal: sell"
                if sig < 0 else "no MACD crossover on this candle"]


class RSIReversal(Strategy):
    name = "rsi"
    description = "buy when RSI climbs back above the oversold line; sell when it rises through overbought"

    def signals(self, ind: Indicators, cfg: TradingConfig) -> np.ndarray:
        st = cfg.strategies
        return self.combine(crosses_above(ind.rsi, st.rsi_oversold), crosses_above(ind.rsi, st.rsi_overbought))

    def explain(self, ind: Indicators, i: int, cfg: TradingConfig) -> list[str]:
        st, sig = cfg.strategies, self.signal_at(ind, i, cfg)
        return [f"RSI {fmt(ind.rsi[i])} (oversold {st.rsi_oversold:g}, overbought {st.rsi_overbought:g})",
                f"RSI rose back above {st.rsi_oversold:g}: buy" if sig > 0 else
                f"RSI rose through {st.rsi_overbought:g}: sell" if sig < 0 else "no RSI cross on this candle"]
