"""Command specs come from the catalogue: typed options with the tools' ranges and choices, the same steps from
words (Telegram) and from typed values (Discord's options, the web's JSON)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.commands.catalog import COMMANDS, parse_command, route_values
from bot.commands.spec import Kind, Step, Usage, from_field
from tools.catalog import CATALOG

NOW = datetime(2024, 5, 6, 14, 7, tzinfo=UTC)


def test_options_are_derived_from_the_tools_args() -> None:
    hours = COMMANDS["chart"].option("hours")
    assert (hours.kind, hours.low, hours.high, hours.default) == (Kind.INT, 1, 60, 12)
    assert hours.description == CATALOG["make_chart"].args.model_fields["hours"].description
    assert COMMANDS["pnl"].option("period").choices == ("today", "week", "month", "all")
    assert COMMANDS["report"].option("period").choices == ("today", "week", "month")  # narrowed from the tool's
    n = COMMANDS["history"].option("n")
    assert (n.low, n.high) == (1, 100)  # the tool takes up to 1,000; the command asks for fewer


def test_a_command_can_narrow_a_tool_argument_but_never_widen_it() -> None:
    with pytest.raises(ValueError, match="beyond"):
        from_field("make_chart", "hours", high=61)
    with pytest.raises(ValueError, match="beyond"):
        from_field("report", "period", choices=("today", "year"))


@pytest.mark.parametrize(("name", "words", "values"), [
    ("buy", ["eth", "$200"], {"pair": "eth", "amount": "$200"}),
    ("buy", ["BTC/USD", "0.5", "limit", "60000"], {"pair": "BTC/USD", "amount": "0.5", "limit": "60000"}),
    ("bracket", ["SOL/USD", "$50", "2%", "140"], {"pair": "SOL/USD", "amount": "$50", "stop": "2%", "target": 140}),
    ("chart", ["eth", "6"], {"pair": "eth", "hours": 6}),
    ("why", ["btc", "14:05"], {"pair": "btc", "at": "14:05"}),
    ("why", ["btc", "2024-05-01", "9:30"], {"pair": "btc", "at": "2024-05-01 9:30"}),
    ("cancel", [], {}),
    ("autopilot", ["off"], {"state": "off"}),
    ("history", [], {}),
])
def test_typed_values_give_the_same_step_as_words(name: str, words: list[str], values: dict) -> None:
    assert route_values(name, values, NOW, front="Telegram") == parse_command(name, words, NOW)


@pytest.mark.parametrize(("name", "values", "why"), [
    ("buy", {"pair": "BTC/USD"}, "give the amount"),
    ("buy", {"pair": "BTC/USD", "amount": "0", "colour": "red"}, "unknown option 'colour'"),
    ("chart", {"pair": "btc", "hours": 99}, "hours must be a whole number from 1 to 60"),
    ("pnl", {"period": "decade"}, "choose one of"),
    ("buy", {"pair": "<script>", "amount": "1"}, "is not a pair"),
])
def test_wrong_typed_values_raise_usage(name: str, values: dict, why: str) -> None:
    with pytest.raises(Usage, match=why):
        route_values(name, values, NOW, front="Discord")


def test_every_command_names_tools_of_the_catalogue_and_a_usage_line() -> None:
    for name, command in COMMANDS.items():
        assert command.usage.startswith(f"/{name}") and all(t in CATALOG for t in command.tools)
        assert all(o.description for o in command.options)
    assert route_values("killswitch", {"do": "reset"}, NOW, front="Discord") == \
        Step("kill_switch_reset", {"reason": "reset from Discord"})
