"""Bundled package data: the offline replay candles and Kraken market metadata."""
