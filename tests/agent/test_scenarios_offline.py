"""Every conversation scenario through the offline intent engine: the expected tool calls, in order.

The scenarios are in two parts: tests/agent/scenarios/*.json (the tuning part, which the engine was developed
against) and tests/agent/scenarios/heldout/*.json (written first and never tuned on; bench/bench_agent_eval.py
reports both). A scenario may carry "before": earlier messages of the same chat, for follow-ups; those are
checked end to end (tests/agent/test_agent_scenarios.py), since they need the chat's memory and the gate.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agent.intents.engine import parse

SCENARIOS = Path(__file__).parent / "scenarios"
NOW = datetime(2024, 5, 6, 14, 7, tzinfo=UTC)
TZ = "America/New_York"  # the owner's zone in every scenario: Monday 10:07 local, UTC-4
# Held-out phrasings that miss today, per test (reported in the issue note; never tuned away).
HELDOUT_MISSES: dict[str, set[str]] = {
    "parse": {"h_portfolio_emoji", "h_risk_half_pct"},
    "offline": {"h_portfolio_emoji", "h_risk_half_pct", "h_buy_eth_for_usd_with_stop"},
    "model": {"h_buy_eth_for_usd_with_stop", "h_sell_all_eth_none_held", "h_sell_half_sol_none_held",
              "h_sell_third_btc"},
}


def load_scenarios(part: str = "all") -> list[dict[str, Any]]:
    """Scenarios from tests/agent/scenarios/*.json ("tuning"), heldout/*.json ("heldout"), or both, in order."""
    out: list[dict[str, Any]] = []
    folders = {"tuning": [SCENARIOS], "heldout": [SCENARIOS / "heldout"], "all": [SCENARIOS, SCENARIOS / "heldout"]}
    for folder in folders[part]:
        for path in sorted(folder.glob("*.json")):
            for s in json.loads(path.read_text(encoding="utf-8")):
                out.append({**s, "part": "heldout" if folder.name == "heldout" else "tuning"})
    return out


ALL = load_scenarios()


def marks(scenario: dict[str, Any], kind: str = "parse") -> Any:
    """A held-out scenario known to miss is an expected failure (strict: a fix must remove it from the list)."""
    if scenario["name"] in HELDOUT_MISSES[kind]:
        return pytest.param(scenario, marks=pytest.mark.xfail(strict=True, reason="held-out miss"), id=scenario["name"])
    return pytest.param(scenario, id=scenario["name"])


def args_match(got: dict[str, Any], want: dict[str, Any]) -> dict[str, Any]:
    """The expected arguments the call lacks (a 'portion' of a holding stands for the amount it resolves to)."""
    return {k: v for k, v in want.items() if got.get(k) != v and not (k == "amount" and "portion" in got)}


def test_scenario_files_are_well_formed() -> None:
    names = [s["name"] for s in ALL]
    assert len(ALL) >= 250 and len(names) == len(set(names))
    assert sum(s["part"] == "heldout" for s in ALL) >= 80
    for s in ALL:
        assert set(s) - {"before"} == {"name", "user", "expect_calls", "reply_facts", "part"}, s["name"]
        assert all(set(c) == {"name", "args"} for c in s["expect_calls"]), s["name"]
        assert all(isinstance(f, str) and f for f in s["reply_facts"]), s["name"]


@pytest.mark.parametrize("scenario", [marks(s) for s in ALL if "before" not in s])
def test_offline_engine_meets_the_scenario(scenario: dict[str, Any]) -> None:
    parsed = parse(scenario["user"], now=NOW, tz=TZ)
    expected = scenario["expect_calls"]
    got = [c for c in parsed.calls]
    if len(got) > len(expected) and got and ("portion" in got[-1].args or "pick" in got[-1].args):
        got = got[: len(expected)]  # nothing held, no such order: the turn stops after that read
    assert [c.name for c in got] == [c["name"] for c in expected]
    for call, want in zip(got, expected, strict=True):
        missing = args_match(call.args, want["args"])
        assert not missing, f"{scenario['name']}: {call.name} args {call.args} lack {missing}"
    if not expected:
        assert parsed.unknown or parsed.help or parsed.cancel_pending
