"""The Kraken adapter (ccxt.async_support): client, conversions, errors, brackets, journal."""
