"""Market-data feeds: Kraken's public data with the offline replay as fallback."""
