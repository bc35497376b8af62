"""Closed-candle decision making: indicators, regimes, strategies, signals, the orchestrator."""
