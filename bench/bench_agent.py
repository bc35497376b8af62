"""The agent end to end, printed (no assertions): issue 4's bench/agent figures.

(a) Tool schemas sent per model request, per role: characters of the compact JSON and real tokens (cl100k_base
    and o200k_base, bundled by the bpe-openai package, so they count offline).
(b) Model calls per intent over the conversation scenarios (tests/agent/scenarios), through the Agent with a
    scripted model that behaves like a good one: it calls the scenario's tools in one message, then answers.
    A real model may take more calls (one tool per message, or a clarifying step); this is the floor our loop
    allows, and it shows which intents need more than one tool round.
(c) The offline intent engine's latency per message: parse only, and the whole Agent turn (parse, tools on a
    real paper account with SQLite, reply, conversation memory), median and p99 over every scenario x 20.

Run: .venv/bin/python bench/bench_agent.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.agent import Agent  # noqa: E402
from agent.intents.engine import parse  # noqa: E402
from agent.llm import close_chat_model, make_chat_model, schema_size, tool_schemas  # noqa: E402
from tests.agent.test_scenarios_offline import ALL, NOW  # noqa: E402
from tests.agent.world import OWNER, make_world  # noqa: E402
from tests.standins.llm import LLMStandin  # noqa: E402
from tools.catalog import CATALOG  # noqa: E402
from tools.gate.types import Role  # noqa: E402

REPEAT = 20


def schema_figures() -> None:
    import json

    import bpe_openai

    cl100k, o200k = bpe_openai.get_encoding("cl100k_base"), bpe_openai.get_encoding("o200k_base")
    print("(a) tool schemas per model request (compact JSON; real tokens, bpe-openai)")
    world = make_world(Path(tempfile.mkdtemp()))
    for role in (Role.OWNER, Role.TRADER, Role.VIEWER):
        names = {t.name for t in world.agent.gate.tools_for(role)}
        schemas = tool_schemas(CATALOG, names)
        text = json.dumps(schemas, separators=(",", ":"))
        print(f"    {role.value:7} {len(schemas):3} tools {schema_size(schemas):7,} chars {len(cl100k.encode(text)):6,} "
              f"tokens cl100k {len(o200k.encode(text)):6,} o200k")


async def model_calls() -> None:
    print("(b) model calls per intent (scripted model: the scenario's tools in one message, then the answer)")
    per: Counter[int] = Counter()
    tokens = []
    for scenario in ALL:
        calls = [{"name": c["name"], "arguments": c["args"]} for c in scenario["expect_calls"]]
        script = ([{"tool_calls": calls}] if calls else []) + [{"content": "Done, jimmy."}]
        async with LLMStandin(script) as llm:
            model = make_chat_model("openai:gpt-test", base_url=llm.url, api_key="sk-bench")
            world = make_world(Path(tempfile.mkdtemp()), model=model)
            await world.seed_btc()
            await world.agent.handle(OWNER, scenario["user"])
            await close_chat_model(model)
            n = len(llm.requests)
            per[n] += 1
            tokens.append(sum(len(str(r)) for r in llm.requests) // 4)
            print(f"    {scenario['name']:28} {n} calls, {len(calls)} tools, ~{tokens[-1]:,} tokens sent")
    print(f"    distribution: {dict(sorted(per.items()))}; mean {statistics.mean(k for k, v in per.items() for _ in range(v)):.2f}"
          f" calls; median ~{int(statistics.median(tokens)):,} tokens sent per turn")


async def offline_latency() -> None:
    print(f"(c) offline intent engine latency per message ({len(ALL)} scenarios x {REPEAT})")
    parse_ms = []
    for _ in range(REPEAT):
        for s in ALL:
            t = time.perf_counter()
            parse(s["user"], now=NOW)
            parse_ms.append((time.perf_counter() - t) * 1000)
    turn_ms = []
    for s in ALL:
        world = make_world(Path(tempfile.mkdtemp()))
        await world.seed_btc()
        agent: Agent = world.agent
        for _ in range(REPEAT):
            t = time.perf_counter()
            await agent.handle(OWNER, s["user"])
            turn_ms.append((time.perf_counter() - t) * 1000)
    for label, xs in (("parse only", parse_ms), ("whole turn", turn_ms)):
        xs.sort()
        print(f"    {label:11} median {statistics.median(xs):7.3f} ms  p99 {xs[int(len(xs) * 0.99) - 1]:7.3f} ms"
              f"  max {xs[-1]:7.3f} ms  (n={len(xs)})")


async def main() -> None:
    from loguru import logger

    logger.remove()
    schema_figures()
    await model_calls()
    await offline_latency()


if __name__ == "__main__":
    asyncio.run(main())
