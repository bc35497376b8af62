"""The offline intent engine: the daily profit target's settings and the universe's questions, and the phrasings
that must keep going elsewhere (a bracket's take profit, the trade history)."""

from __future__ import annotations

from typing import Any

import pytest

from agent.intents.engine import parse
from tests.agent.test_intents import NOW

CASES: list[tuple[str, list[tuple[str, dict[str, Any]]]]] = [
    ("set daily profit target to 2%", [("set_risk", {"daily_profit_target": "2%"})]),
    ("daily profit target $50", [("set_risk", {"daily_profit_target": "50 USD"})]),
    ("profit target 50 usd", [("set_risk", {"daily_profit_target": "50 USD"})]),
    ("set daily profit target to 0.02", [("set_risk", {"daily_profit_target": "2%"})]),
    ("profit target 50", [("set_risk", {"daily_profit_target": "50"})]),  # the tool asks: percent or money?
    ("no daily profit target", [("set_risk", {"daily_profit_target": "none"})]),
    ("turn off the daily profit target", [("set_risk", {"daily_profit_target": "none"})]),
    ("remove the profit target", [("set_risk", {"daily_profit_target": "none"})]),
    ("what is my daily profit target?", [("universe_status", {})]),
    ("which pairs do you trade?", [("universe_status", {})]),
    ("why these pairs?", [("universe_status", {})]),
    ("why did you pick these coins?", [("universe_status", {})]),
    ("universe", [("universe_status", {})]),
    ("which coins did you trade today?", [("trade_history", {"since": "2024-05-06T00:00:00+00:00"})]),
    ("daily loss limit 5%", [("set_risk", {"daily_loss_limit": "0.05"})]),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_messages_map_to_catalogue_calls(text: str, expected: list[tuple[str, dict[str, Any]]]) -> None:
    parsed = parse(text, now=NOW)
    assert [(c.name, c.args) for c in parsed.calls] == expected


def test_a_negative_target_is_refused_and_a_bracket_take_profit_is_no_target() -> None:
    assert not parse("daily profit target -2%", now=NOW).calls
    assert "gain" in parse("daily profit target -2%", now=NOW).note
    assert all(c.name != "set_risk" for c in parse("buy $200 of btc with 2% stop and 5% take profit", now=NOW).calls)
