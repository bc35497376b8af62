"""The strategy interface: signals over every bar at once (backtests) and the reasons at one bar (live)."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from trading.config import TradingConfig
from trading.decision.indicators import Indicators

LONG, HOLD, EXIT = 1, 0, -1


def crosses_above(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """True where a goes from below b (strictly) to above b (strictly), as backtesting.py's crossover()."""
    b_arr = np.broadcast_to(np.asarray(b, dtype=float), a.shape)
    out = np.zeros(a.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        out[1:] = (a[:-1] < b_arr[:-1]) & (a[1:] > b_arr[1:])
    return out


def fmt(value: float | None) -> str:
    """A number for a reason line."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"


class Strategy(ABC):
    """One trading idea. signals() is the decision; explain() says why, in words, at one bar."""

    name: str = ""
    description: str = ""

    @abstractmethod
    def signals(self, ind: Indicators, cfg: TradingConfig) -> np.ndarray:
        """int8 per bar: LONG (+1) to enter, EXIT (-1) to close a long, HOLD (0) otherwise."""

    @abstractmethod
    def explain(self, ind: Indicators, i: int, cfg: TradingConfig) -> list[str]:
        """The values behind the signal at bar i, as short sentences."""

    def describe(self, cfg: TradingConfig) -> str:
        """What it does, in words, under this config (the htf_* strategies name the trend's timeframe)."""
        return self.description

    def stop_atr(self, ind: Indicators) -> np.ndarray:
        """The ATR its stop and target are multiples of (the 5-minute ATR unless the strategy says otherwise)."""
        return ind.atr

    def bar_minutes(self, cfg: TradingConfig) -> int:
        """The minutes of the bars it decides its exits on (5; the higher timeframe's for the 1h strategies)."""
        return 5

    def signal_at(self, ind: Indicators, i: int, cfg: TradingConfig) -> int:
        """The signal at one bar (the same computation as signals())."""
        return int(self.signals(ind, cfg)[i])

    @staticmethod
    def combine(enter: np.ndarray, exit_: np.ndarray) -> np.ndarray:
        """Entry and exit masks as one int8 signal array (an exit wins a tie: safety first)."""
        out = np.zeros(enter.shape, dtype=np.int8)
        out[enter] = LONG
        out[exit_] = EXIT
        return out
