"""`zyn`: the Kraken-CLI-style command line."""
