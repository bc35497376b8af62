"""Tests of the backtest engine."""
