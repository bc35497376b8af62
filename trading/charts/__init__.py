"""Charts as PNG files (Agg canvas, no pyplot): candles, equity, backtest."""
