"""Every strategy by name."""

from __future__ import annotations

from trading.errors import InputError
from trading.strategies.base import Strategy
from trading.strategies.classic import MACDCross, MACrossover, RSIReversal
from trading.strategies.regime import Breakout, MeanReversion, TrendFollowing

STRATEGIES: dict[str, Strategy] = {s.name: s for s in (
    TrendFollowing(), MeanReversion(), Breakout(), MACrossover(), MACDCross(), RSIReversal())}


def get_strategy(name: str) -> Strategy:
    """The strategy called name, or a clear InputError listing the known ones."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise InputError(f"unknown strategy '{name}'; known: {', '.join(STRATEGIES)}") from None
