"""Exchanges (Kraken via ccxt, the paper simulator) and market-data feeds behind one protocol."""

from trading.exchange.base import Exchange, MarketFeed

__all__ = ["Exchange", "MarketFeed"]
