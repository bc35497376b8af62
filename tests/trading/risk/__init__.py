"""Tests of the risk gate."""
