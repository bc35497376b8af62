"""Learning from outcomes: statistics of closed trades and the strategy x regime selector (pure, no I/O)."""
