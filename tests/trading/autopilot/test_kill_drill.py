"""The small kill -9 drill: 8 kills of a ticking subprocess; after every restart the invariants hold."""

from __future__ import annotations

from pathlib import Path

from tests.drill.harness import run_drill


def test_eight_kills_leave_the_ledger_counters_decisions_and_brackets_consistent(tmp_path: Path) -> None:
    figures = run_drill(tmp_path / "data", kills=8, seed=3)
    assert figures.kills + (figures.restarts - figures.kills) == 8 and figures.kills >= 6
    assert figures.checks == 6 * figures.restarts
    assert figures.violations == []
    # It reached the order path (placed, or killed mid-entry and uncounted): the checks had something to check.
    assert figures.ticks > 0 and figures.entries + figures.voided > 0
