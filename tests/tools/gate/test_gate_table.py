"""The gate's decision for every tool x mode x role x caller kind is what the catalogue says.

The gate and the catalogue's entries are the real ones; only each tool's body is swapped for a recorder, so
"it ran" is observed directly (what the tools themselves do is tested elsewhere). The expectation is written
here from the catalogue's data, independently of the gate's code.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import pytest

from tests.agent.world import make_world
from tools.base import ConfirmPolicy, Permission
from tools.catalog import CATALOG
from tools.gate import Caller, CallerKind, Confirmations, Gate, Role, ToolCall
from trading.domain import Mode

ARGS: dict[str, dict[str, Any]] = {
    "get_price": {"symbol": "BTC/USD"},
    "set_risk": {"risk_per_trade": "0.01"},
    "set_universe": {"size": 5},
    "place_order": {"symbol": "BTC/USD", "side": "buy", "amount": "0.001"},
    "place_bracket_order": {"symbol": "BTC/USD", "side": "buy", "amount": "0.001", "stop": "60000",
                            "take_profit": "70000"},
    "cancel_order": {"order_id": "OABCDE-FGHIJ-KLMNOP"},
    "make_chart": {"symbol": "BTC/USD"},
    "get_candles": {"symbol": "BTC/USD"},
    "withdraw": {"asset": "BTC", "amount": "0.1", "key": "cold"},
    "set_alert": {"event": "fill", "channel": "sms", "delivery": "off"},
    "why_strategy_off": {"strategy": "mean_reversion"},
}
MAY = {Role.VIEWER: {Permission.READ}, Role.TRADER: {Permission.READ, Permission.TRADE},
       Role.OWNER: set(Permission)}


def expected(name: str, mode: Mode, role: Role) -> str:
    """What the catalogue says: refuse without the permission; confirm by the policy; else run."""
    tool = CATALOG[name]
    if tool.permission not in MAY[role]:
        return "refuse"
    if tool.confirm is ConfirmPolicy.ALWAYS or (tool.confirm is ConfirmPolicy.LIVE and mode is Mode.LIVE):
        return "confirm"
    return "run"


def recording_catalog(ran: list[str]) -> dict:
    async def record(ctx: Any, args: Any, *, name: str) -> str:
        ran.append(name)
        return f"{name} ran"

    def fn_for(name: str):  # noqa: ANN202
        async def fn(ctx: Any, args: Any) -> str:
            return await record(ctx, args, name=name)
        return fn

    return {n: dataclasses.replace(t, fn=fn_for(n)) for n, t in CATALOG.items()}


@pytest.mark.parametrize("mode", [Mode.PAPER, Mode.LIVE])
async def test_every_tool_mode_role_and_caller_kind(tmp_path: Path, mode: Mode) -> None:
    world = make_world(tmp_path, mode=mode)
    ran: list[str] = []
    gate = Gate(world.ctx, Confirmations(world.db, world.clock), catalog=recording_catalog(ran))
    seen = 0
    for (name, role, kind) in itertools.product(CATALOG, Role, CallerKind):
        caller = Caller(user_id=f"{role.value}-{kind.value}", chat_id="c", channel="test", role=role)
        ran.clear()
        out = await gate.execute(caller, ToolCall(name, dict(ARGS.get(name, {}))), kind=kind)
        got = "refuse" if out.refused else "confirm" if out.pending is not None else "run" if ran == [name] else "?"
        assert got == expected(name, mode, role), (name, mode.value, role.value, kind.value, out.error)
        if got != "run":
            assert ran == [], (name, "must not run")
        seen += 1
    assert seen == len(CATALOG) * len(Role) * len(CallerKind)


async def test_the_rule_in_named_cases(tmp_path: Path) -> None:
    live, paper = make_world(tmp_path / "l", mode=Mode.LIVE), make_world(tmp_path / "p")
    owner = Caller(user_id="1", chat_id="c", channel="test", role=Role.OWNER)
    for world, name, args, want in (
            (live, "autopilot_stop", {}, "run"),  # stopping never waits, even in LIVE
            (live, "set_alert", ARGS["set_alert"], "run"),  # NEVER means never, in LIVE too
            (live, "place_order", {**ARGS["place_order"], "validate_only": True}, "run"),  # places nothing
            (live, "place_order", ARGS["place_order"], "confirm"),
            (paper, "place_order", ARGS["place_order"], "run"),
            (paper, "flatten_all", {}, "confirm"),
            (paper, "kill_switch_reset", {}, "confirm")):
        ran: list[str] = []
        gate = Gate(world.ctx, Confirmations(world.db, world.clock), catalog=recording_catalog(ran))
        out = await gate.execute(owner, ToolCall(name, args), kind=CallerKind.COMMAND)
        got = "confirm" if out.pending is not None else "run" if ran else "?"
        assert got == want, (name, world.ctx.mode.value, out.error)


async def test_confirm_in_paper_adds_live_policy_tools_only(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    ran: list[str] = []
    gate = Gate(world.ctx, Confirmations(world.db, world.clock), catalog=recording_catalog(ran),
                confirm_in_paper=["place_order", "autopilot_stop"])
    owner = Caller(user_id="1", chat_id="c", channel="test", role=Role.OWNER)
    assert (await gate.execute(owner, ToolCall("place_order", ARGS["place_order"]), kind=CallerKind.MODEL)).pending
    stop = await gate.execute(owner, ToolCall("autopilot_stop", {}), kind=CallerKind.MODEL)
    assert stop.pending is None and ran == ["autopilot_stop"]  # a NEVER tool cannot be made to wait


async def test_a_tainted_turn_makes_every_change_wait_but_reads_and_dry_runs_run(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    ran: list[str] = []
    gate = Gate(world.ctx, Confirmations(world.db, world.clock), catalog=recording_catalog(ran))
    owner = Caller(user_id="1", chat_id="c", channel="test", role=Role.OWNER)
    for name in CATALOG:
        ran.clear()
        out = await gate.execute(owner, ToolCall(name, dict(ARGS.get(name, {}))), kind=CallerKind.MODEL,
                                 force_confirm=True)
        assert (out.pending is not None) == CATALOG[name].changes_state, name


def test_the_catalogue_is_consistent() -> None:
    for tool in CATALOG.values():
        assert tool.permission is not Permission.READ or tool.confirm is ConfirmPolicy.NEVER, tool.name
        assert not tool.name.startswith("confirm")
    with pytest.raises(ValueError, match="never asks"):
        dataclasses.replace(CATALOG["get_price"], confirm=ConfirmPolicy.ALWAYS)
