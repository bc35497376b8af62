"""Backtests: the autopilot's tick over history, its data, metrics and runs."""
