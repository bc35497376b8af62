"""Strategies: small classes with one interface, vectorised over a history of closed candles."""

from trading.decision.strategies.base import EXIT, HOLD, LONG, Strategy
from trading.decision.strategies.catalog import STRATEGIES, get_strategy

__all__ = ["EXIT", "HOLD", "LONG", "STRATEGIES", "Strategy", "get_strategy"]
