"""Every conversation scenario through the offline intent engine: the expected tool calls, in order."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agent.intents.engine import parse

SCENARIOS = Path(__file__).parent / "scenarios"
NOW = datetime(2024, 5, 6, 14, 7, tzinfo=UTC)


def load_scenarios() -> list[dict[str, Any]]:
    """All scenarios from tests/agent/scenarios/*.json, in file then list order."""
    out: list[dict[str, Any]] = []
    for path in sorted(SCENARIOS.glob("*.json")):
        out.extend(json.loads(path.read_text(encoding="utf-8")))
    return out


ALL = load_scenarios()


def test_scenario_files_are_well_formed() -> None:
    names = [s["name"] for s in ALL]
    assert len(ALL) >= 20 and len(names) == len(set(names))
    for s in ALL:
        assert set(s) == {"name", "user", "expect_calls", "reply_facts"}, s["name"]
        assert all(set(c) == {"name", "args"} for c in s["expect_calls"]), s["name"]
        assert all(isinstance(f, str) and f for f in s["reply_facts"]), s["name"]


@pytest.mark.parametrize("scenario", ALL, ids=[s["name"] for s in ALL])
def test_offline_engine_meets_the_scenario(scenario: dict[str, Any]) -> None:
    parsed = parse(scenario["user"], now=NOW)
    expected = scenario["expect_calls"]
    assert [c.name for c in parsed.calls] == [c["name"] for c in expected]
    for got, want in zip(parsed.calls, expected, strict=True):
        missing = {k: v for k, v in want["args"].items() if got.args.get(k) != v}
        assert not missing, f"{scenario['name']}: {got.name} args {got.args} lack {missing}"
    if not expected:
        assert parsed.unknown or parsed.help or parsed.cancel_pending
