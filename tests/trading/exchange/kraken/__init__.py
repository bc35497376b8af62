"""Tests of the Kraken adapter, on the local stand-in."""
