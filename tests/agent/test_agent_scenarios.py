"""Every conversation scenario end to end through the Agent: the offline engine, and a scripted model over HTTP.

Both paths run the same tools on a real paper account; the reply must contain the scenario's facts.
The scripted model calls exactly the scenario's tools (as a good model would) and then answers from the tool
messages it was sent, so the test exercises the real ChatOpenAI round trip, our executor and the grounding check.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from agent.agent import Agent
from agent.intents.engine import parse
from agent.llm import close_chat_model, make_chat_model
from agent.loop import TOOL_RESULT_HEADER
from tests.agent.test_scenarios_offline import ALL, NOW, TZ, args_match, marks
from tests.agent.world import OWNER, World, make_world
from tests.standins.llm import LLMStandin

_OID = re.compile(r"\b[A-Z0-9]{6}-[A-Z0-9]{5}-[A-Z0-9]{6}\b")


def _check_calls(scenario: dict[str, Any], calls: list[Any]) -> None:
    expected = scenario["expect_calls"]
    assert [c.name for c in calls] == [c["name"] for c in expected], scenario["name"]
    for got, want in zip(calls, expected, strict=True):
        missing = args_match(got.args, want["args"])
        assert not missing, f"{scenario['name']}: {got.name} args {got.args} lack {missing}"


async def _setting(tmp_path: Path, scenario: dict[str, Any], model: Any = None) -> World:
    """A paper account holding 0.05 BTC, the owner in New York, and the scenario's earlier messages said."""
    world = make_world(tmp_path, model=model)
    world.ctx.timezone = TZ
    await world.seed_btc()
    offline = Agent(world.ctx, world.db, gate=world.agent.gate)  # the same chat memory and confirmations
    for text in scenario.get("before", []):
        await offline.handle(OWNER, text)
    return world


def _check_facts(scenario: dict[str, Any], text: str) -> None:
    for fact in scenario["reply_facts"]:
        assert fact.lower() in text.lower(), f"{scenario['name']}: reply lacks {fact!r}:\n{text}"


@pytest.mark.parametrize("scenario", [marks(s, "offline") for s in ALL])
async def test_offline_engine_end_to_end(scenario: dict[str, Any], tmp_path: Path) -> None:
    world = await _setting(tmp_path, scenario)
    reply = await world.agent.handle(OWNER, scenario["user"])
    assert reply.source in ("offline", "confirm")
    _check_calls(scenario, [o.call for o in reply.outcomes if o.call.name != "cancel_confirmation"])
    _check_facts(scenario, reply.text)
    assert "Traceback" not in reply.text


def _answer_from_tool_messages(request: dict[str, Any]) -> dict[str, Any]:
    """The scripted model's final answer: what its tools said, as a careful model would relay it."""
    tool_texts = [m["content"].removeprefix(TOOL_RESULT_HEADER).strip() for m in request["messages"]
                  if m["role"] == "tool"]
    return {"content": "Here you go:\n" + "\n".join(tool_texts) if tool_texts else "I can't do that from here."}


def model_script(scenario: dict[str, Any]) -> list[Any]:
    """A good model's moves: the scenario's calls in one message; a call that needs an order id found by an
    earlier call (cancel "the btc limit") in a second message, with the id read from that tool's result."""
    calls = [{"name": c["name"], "arguments": c["args"]} for c in scenario["expect_calls"]]
    needs_id = [i for i, c in enumerate(calls) if c["name"] == "cancel_order" and "order_id" not in c["arguments"]]
    if not needs_id:
        return ([{"tool_calls": calls}] if calls else []) + [_answer_from_tool_messages]
    cut = needs_id[0]

    def with_id(request: dict[str, Any]) -> dict[str, Any]:
        ids = [i for m in request["messages"] if m["role"] == "tool" for i in _OID.findall(m["content"])]
        later = [{**c, "arguments": {"order_id": ids[-1]}} if j + cut in needs_id else c
                 for j, c in enumerate(calls[cut:])]
        return {"tool_calls": later}

    return ([{"tool_calls": calls[:cut]}] if cut else []) + [with_id, _answer_from_tool_messages]


def _person_only(scenario: dict[str, Any]) -> bool:
    """A yes, a no or "cancel that": the person's own words, handled without the model."""
    p = parse(scenario["user"], now=NOW, tz=TZ)
    return bool(p.confirm_code or p.confirm_latest or p.cancel_pending)


@pytest.mark.parametrize("scenario", [marks(s, "model") for s in ALL])
async def test_scripted_model_end_to_end(scenario: dict[str, Any], tmp_path: Path) -> None:
    person = _person_only(scenario)
    script = [] if person else model_script(scenario)
    async with LLMStandin(script) as llm:
        model = make_chat_model("openai:gpt-test", base_url=llm.url, api_key="sk-test")
        world = await _setting(tmp_path, scenario, model=model)
        try:
            reply = await world.agent.handle(OWNER, scenario["user"])
        finally:
            await close_chat_model(model)
    assert llm.remaining == 0 and llm.overrun == 0
    if person:
        assert not llm.requests
        _check_calls(scenario, [o.call for o in reply.outcomes if o.call.name != "cancel_confirmation"])
        _check_facts(scenario, reply.text)
        return
    assert reply.source == "llm"
    _check_calls(scenario, [o.call for o in reply.outcomes])
    if scenario["expect_calls"]:  # with no tool to call, the model's own words (a refusal) are not ours to check
        _check_facts(scenario, reply.text)
    assert not reply.corrected, reply.text  # every figure the model relayed came from this turn's tools
    # The model is offered only what the owner may use, and never a way to confirm.
    offered = {t["function"]["name"] for t in llm.requests[0]["tools"]}
    assert "place_order" in offered and not any(n.startswith("confirm") for n in offered)
    assert llm.requests[0]["messages"][-1] == {"role": "user", "content": scenario["user"]}


async def test_viewer_is_offered_read_tools_only(tmp_path: Path) -> None:
    from tests.agent.world import VIEWER

    async with LLMStandin([{"content": "Read-only here."}]) as llm:
        model = make_chat_model("openai:gpt-test", base_url=llm.url, api_key="sk-test")
        world = make_world(tmp_path, model=model)
        try:
            await world.agent.handle(VIEWER, "buy 1 btc")
        finally:
            await close_chat_model(model)
    offered = {t["function"]["name"] for t in llm.requests[0]["tools"]}
    assert "get_price" in offered and not offered & {"place_order", "cancel_all", "flatten_all", "set_risk"}
    body = json.dumps(llm.requests[0])
    assert "financial servant" in body and "jimmy" not in body
