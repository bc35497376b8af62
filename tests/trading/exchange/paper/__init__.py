"""Tests of the paper simulator."""
