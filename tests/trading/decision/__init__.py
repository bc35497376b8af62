"""Tests of the decision package: indicators, regimes."""
