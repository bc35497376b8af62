"""The risk gate: sizing (ATR stop, portfolio cap), daily limits, the kill switch, their state."""
