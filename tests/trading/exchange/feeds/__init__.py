"""Tests of the feeds and the offline replay."""
