"""The LLM side of the agent: what offering the tools costs per request, and one tool round trip's latency.

(a) The tool schemas sent with every model request for the full catalogue (and a read-only subset):
    characters of the compact JSON, and tokens ESTIMATED as characters / 4 (no local tokenizer: tiktoken
    downloads its encodings at run time and this machine is offline). Real OpenAI counts tools after
    rendering them to its own internal format, so its figure differs; treat ours as an order of magnitude.
(b) One tool round trip (model asks for get_price -> our execute -> model answers) through the real
    ChatOpenAI client over HTTP to the local stand-in, non-streaming and streaming: median and p90 of 50
    turns, after 5 warm-up turns. This is our overhead (langchain, the openai SDK, HTTP on 127.0.0.1, the
    loop), not a provider's: a real model adds its own seconds.

Run: .venv/bin/python bench/bench_agent_llm.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.llm import close_chat_model, make_chat_model, schema_size, tool_schemas  # noqa: E402
from agent.loop import run_tool_loop  # noqa: E402
from tests.standins.llm import LLMStandin  # noqa: E402
from tools.base import Permission  # noqa: E402
from tools.catalog import CATALOG  # noqa: E402
from tools.gate.types import ToolCall, ToolOutcome  # noqa: E402

TURNS, WARMUP = 50, 5


class Said:
    def __init__(self, body: str) -> None:
        self.body = body

    def text(self) -> str:
        return self.body


async def execute(call: ToolCall) -> ToolOutcome:
    return ToolOutcome(call, ok=True, result=Said(f"{call.args.get('symbol')} last 64,250.50 USD"))


def schema_figures() -> None:
    everything = tool_schemas(CATALOG)
    reads = tool_schemas(CATALOG, {n for n, t in CATALOG.items() if t.permission is Permission.READ})
    print("(a) tool schemas sent per model request (compact JSON; tokens = characters / 4, an estimate)")
    for label, schemas in (("full catalogue", everything), ("read-only tools", reads)):
        chars = schema_size(schemas)
        print(f"    {label:16} {len(schemas):3} tools  {chars:7,} chars  ~{chars // 4:6,} tokens")
    biggest = sorted(everything, key=lambda s: -schema_size([s]))[:3]
    print("    largest: " + ", ".join(f"{s['function']['name']} {schema_size([s]):,}" for s in biggest))


async def round_trips(streaming: bool) -> list[float]:
    schemas = tool_schemas(CATALOG)
    step = [{"tool_calls": [{"name": "get_price", "arguments": {"symbol": "BTC/USD"}}]},
            {"content": "Jimmy, BTC/USD last 64,250.50 USD (PAPER)."}]
    timings = []
    async with LLMStandin(step * (TURNS + WARMUP)) as llm:
        model = make_chat_model("openai:gpt-test", base_url=llm.url, api_key="sk-bench", streaming=streaming)
        try:
            for i in range(TURNS + WARMUP):
                start = time.perf_counter()
                result = await run_tool_loop(model, [("user", "btc?")], schemas, execute, token_budget=10**6,
                                             stream_to=_discard if streaming else None)
                elapsed = time.perf_counter() - start
                assert result.stopped_reason == "final", result.final_text
                if i >= WARMUP:
                    timings.append(elapsed)
        finally:
            await close_chat_model(model)
    return timings


async def _discard(text: str) -> None:
    return None


def main() -> None:
    schema_figures()
    print(f"(b) one tool round trip (2 model calls + 1 tool) via ChatOpenAI -> stand-in, {TURNS} turns")
    for streaming in (False, True):
        t = sorted(asyncio.run(round_trips(streaming)))
        p90 = t[int(len(t) * 0.9) - 1]
        print(f"    {'streaming' if streaming else 'non-streaming':14} median {statistics.median(t) * 1000:6.1f} ms"
              f"  p90 {p90 * 1000:6.1f} ms  per model request ~{statistics.median(t) * 500:5.1f} ms")


if __name__ == "__main__":
    main()
