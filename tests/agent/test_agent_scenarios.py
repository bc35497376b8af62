"""Every conversation scenario end to end through the Agent: the offline engine, and a scripted model over HTTP.

Both paths run the same tools on a real paper account; the reply must contain the scenario's facts.
The scripted model calls exactly the scenario's tools (as a good model would) and then answers from the tool
messages it was sent, so the test exercises the real ChatOpenAI round trip, our executor and the grounding check.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.llm import close_chat_model, make_chat_model
from agent.loop import TOOL_RESULT_HEADER
from tests.agent.test_scenarios_offline import ALL
from tests.agent.world import OWNER, make_world
from tests.standins.llm import LLMStandin


def _check_calls(scenario: dict[str, Any], calls: list[Any]) -> None:
    expected = scenario["expect_calls"]
    assert [c.name for c in calls] == [c["name"] for c in expected], scenario["name"]
    for got, want in zip(calls, expected, strict=True):
        missing = {k: v for k, v in want["args"].items() if got.args.get(k) != v}
        assert not missing, f"{scenario['name']}: {got.name} args {got.args} lack {missing}"


def _check_facts(scenario: dict[str, Any], text: str) -> None:
    for fact in scenario["reply_facts"]:
        assert fact.lower() in text.lower(), f"{scenario['name']}: reply lacks {fact!r}:\n{text}"


@pytest.mark.parametrize("scenario", ALL, ids=[s["name"] for s in ALL])
async def test_offline_engine_end_to_end(scenario: dict[str, Any], tmp_path: Path) -> None:
    world = make_world(tmp_path)
    await world.seed_btc()
    reply = await world.agent.handle(OWNER, scenario["user"])
    assert reply.source == "offline"
    _check_calls(scenario, [o.call for o in reply.outcomes])
    _check_facts(scenario, reply.text)
    assert "Traceback" not in reply.text


def _answer_from_tool_messages(request: dict[str, Any]) -> dict[str, Any]:
    """The scripted model's final answer: what its tools said, as a careful model would relay it."""
    tool_texts = [m["content"].removeprefix(TOOL_RESULT_HEADER).strip() for m in request["messages"]
                  if m["role"] == "tool"]
    return {"content": "Jimmy, here you go:\n" + "\n".join(tool_texts) if tool_texts else
            "I can't do that from here, jimmy."}


@pytest.mark.parametrize("scenario", ALL, ids=[s["name"] for s in ALL])
async def test_scripted_model_end_to_end(scenario: dict[str, Any], tmp_path: Path) -> None:
    calls = [{"name": c["name"], "arguments": c["args"]} for c in scenario["expect_calls"]]
    script = ([{"tool_calls": calls}] if calls else []) + [_answer_from_tool_messages]
    async with LLMStandin(script) as llm:
        model = make_chat_model("openai:gpt-test", base_url=llm.url, api_key="sk-test")
        world = make_world(tmp_path, model=model)
        await world.seed_btc()
        try:
            reply = await world.agent.handle(OWNER, scenario["user"])
        finally:
            await close_chat_model(model)
    assert reply.source == "llm" and llm.remaining == 0 and llm.overrun == 0
    _check_calls(scenario, [o.call for o in reply.outcomes])
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
    assert "financial servant" in body and "jimmy" in body
