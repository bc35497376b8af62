"""Conversation accuracy, printed (no assertions): the scenarios against the offline engine or any model.

Every scenario of tests/agent/scenarios (the tuning part) and tests/agent/scenarios/heldout (written first, never
tuned on) runs through the real Agent on a paper account holding 0.05 BTC, owner in America/New_York, after the
scenario's earlier messages. Printed per part: tool selection accuracy (the right tools in the right order),
argument accuracy (those, with every expected argument), and for a model the model calls and the tokens sent
and received per turn (counted with bpe-openai's offline cl100k vocabulary, not characters / 4); then every miss.

  .venv/bin/python bench/bench_agent_eval.py                      # the offline intent engine
  ZYN_LLM=openai:qwen2.5 ZYN_LLM_BASE_URL=http://127.0.0.1:11434/v1 .venv/bin/python bench/bench_agent_eval.py
  .venv/bin/python bench/bench_agent_eval.py --standin            # the scripted stand-in (tests/standins/llm.py)
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.llm import close_chat_model, make_chat_model  # noqa: E402
from tests.agent.test_agent_scenarios import _person_only, _setting, model_script  # noqa: E402
from tests.agent.test_scenarios_offline import args_match, load_scenarios  # noqa: E402
from tests.agent.world import OWNER  # noqa: E402
from tests.standins.llm import LLMStandin  # noqa: E402


def counter() -> Callable[[str], int]:
    """Real tokens (cl100k_base, bundled by bpe-openai: no download)."""
    import bpe_openai

    enc = bpe_openai.get_encoding("cl100k_base")
    return lambda text: len(enc.encode(text))


def judge(scenario: dict[str, Any], calls: list[Any]) -> tuple[bool, bool, str]:
    """(tools right, tools and arguments right, what was wrong)."""
    want = scenario["expect_calls"]
    calls = [c for c in calls if c.name != "cancel_confirmation"]
    names_ok = [c.name for c in calls] == [w["name"] for w in want]
    if not names_ok:
        return False, False, f"called {[c.name for c in calls]}, wanted {[w['name'] for w in want]}"
    for got, w in zip(calls, want, strict=True):
        missing = args_match(got.args, w["args"])
        if missing:
            return True, False, f"{got.name} {got.args} lacks {missing}"
    return True, True, ""


async def run_one(scenario: dict[str, Any], mode: str, tokens: Callable[[str], int]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        if mode == "offline":
            world = await _setting(Path(tmp), scenario)
            reply = await world.agent.handle(OWNER, scenario["user"])
            return {"calls": [o.call for o in reply.outcomes], "requests": 0, "sent": 0, "received": 0}
        if mode == "standin":
            llm = LLMStandin([] if _person_only(scenario) else model_script(scenario))
            await llm.__aenter__()
            base_url, key, spec = llm.url, "sk-bench", "openai:gpt-test"
        else:
            llm, base_url, key = None, os.environ["ZYN_LLM_BASE_URL"], os.environ.get("ZYN_LLM_API_KEY")
            spec = os.environ.get("ZYN_LLM", "openai:local")
        model = make_chat_model(spec, base_url=base_url, api_key=key, timeout=120)
        try:
            world = await _setting(Path(tmp), scenario, model=model)
            reply = await world.agent.handle(OWNER, scenario["user"])
        finally:
            await close_chat_model(model)
        out: dict[str, Any] = {"calls": [o.call for o in reply.outcomes], "requests": 0, "sent": 0, "received": 0}
        if llm is not None:
            out["requests"] = len(llm.requests)
            out["sent"] = sum(tokens(json.dumps(r, separators=(",", ":"))) for r in llm.requests)
            out["received"] = sum(tokens(json.dumps(a, default=str)) for a in getattr(llm, "answers", []))
            await llm.__aexit__(None, None, None)
        return out


async def main() -> None:
    from loguru import logger

    logger.remove()  # the figures, not the paper account's log lines
    mode = "standin" if "--standin" in sys.argv else "model" if os.environ.get("ZYN_LLM_BASE_URL") else "offline"
    tokens = counter()
    print(f"conversation scenarios against: {mode}" + (f" ({os.environ.get('ZYN_LLM')})" if mode == "model" else ""))
    misses: list[str] = []
    for part in ("tuning", "heldout"):
        scenarios = load_scenarios(part)
        tool_ok = args_ok = 0
        requests, sent = [], []
        for s in scenarios:
            got = await run_one(s, mode, tokens)
            t_ok, a_ok, why = judge(s, got["calls"])
            tool_ok += t_ok
            args_ok += a_ok
            requests.append(got["requests"])
            sent.append(got["sent"])
            if not a_ok and part == "heldout":
                misses.append(f"    {s['name']}: {s['user']!r}: {why}")
        n = len(scenarios)
        line = f"  {part:8} {n:4} phrasings: tools {tool_ok / n:6.1%} ({tool_ok}/{n}), tools+args {args_ok / n:6.1%} " \
               f"({args_ok}/{n})"
        if mode != "offline":
            line += f"; model calls/turn {statistics.mean(requests):.2f}; tokens sent/turn median " \
                    f"{int(statistics.median(sent)):,} (cl100k)"
        print(line)
    print("  held-out misses:" if misses else "  held-out misses: none")
    print("\n".join(misses))


if __name__ == "__main__":
    asyncio.run(main())
