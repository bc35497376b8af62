"""The autopilot: one tick from closed candles through the risk gate to orders and events."""
