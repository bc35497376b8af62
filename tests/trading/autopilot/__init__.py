"""Tests of the autopilot."""
