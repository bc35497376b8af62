"""Every strategy by name."""

from __future__ import annotations

from trading.decision.strategies.base import Strategy
from trading.decision.strategies.classic import MACDCross, MACrossover, RSIReversal
from trading.decision.strategies.higher import HigherBreakout, HigherTrend
from trading.decision.strategies.regime import Breakout, MeanReversion, TrendFollowing
from trading.errors import InputError

STRATEGIES: dict[str, Strategy] = {s.name: s for s in (
    TrendFollowing(), MeanReversion(), Breakout(), MACrossover(), MACDCross(), RSIReversal(),
    HigherTrend(), HigherBreakout())}


def get_strategy(name: str) -> Strategy:
    """The strategy called name, or a clear InputError listing the known ones."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise InputError(f"unknown strategy '{name}'; known: {', '.join(STRATEGIES)}") from None
