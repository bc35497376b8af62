"""Telegram with a language model: a phone message -> PTB -> the Agent -> a model's tool call over HTTP ->
the paper account -> the model's answer -> Telegram; and a LIVE-style pending order whose Confirm button only
the owner can press (the model cannot)."""

from __future__ import annotations

from typing import Any

from tests.bot.telegram.harness import OWNER, running
from tests.standins.llm import LLMStandin


def relay(request: dict[str, Any]) -> dict[str, Any]:
    """A careful model: relays what its tool said."""
    said = [m["content"].split("\n", 1)[1] for m in request["messages"] if m["role"] == "tool"]
    return {"content": "jimmy, " + " ".join(said)}


async def test_free_text_goes_through_the_model_and_its_tool_call() -> None:
    script = [{"tool_calls": [{"name": "get_price", "arguments": {"symbol": "ETH/USD"}}]}, relay]
    async with LLMStandin(script) as llm:
        async with running(llm="openai:gpt-test", llm_base_url=llm.url, llm_api_key="sk-test") as h:
            assert h.agent.label == "LLM openai:gpt-test"
            [reply] = await h.say(OWNER, OWNER, "hows eth doing", timeout=10)
    assert reply.text.startswith("jimmy, ETH/USD: last ") and "offline replay" in reply.text
    assert llm.remaining == 0 and llm.requests[0]["messages"][-1]["content"] == "hows eth doing"


async def test_a_models_order_waits_for_the_owners_button() -> None:
    def confirm_it(request: dict[str, Any]) -> dict[str, Any]:
        pending = [m["content"] for m in request["messages"] if m["role"] == "tool"][-1]
        code = pending.split("PENDING CONFIRMATION ")[1][:4]
        return {"tool_calls": [{"name": "confirm_action", "arguments": {"code": code}}]}

    script = [{"tool_calls": [{"name": "place_order", "arguments": {"symbol": "BTC/USD", "side": "buy",
                                                                     "amount": "0.001"}}]},
              confirm_it, {"content": "Done, jimmy: bought."}]
    async with LLMStandin(script) as llm:
        async with running(llm="openai:gpt-test", llm_base_url=llm.url, llm_api_key="sk-test",
                           confirm_in_paper="place_order") as h:
            [ask] = await h.say(OWNER, OWNER, "get me 0.001 btc", timeout=10)
            assert await h.orders() == 0  # the model's "confirm" was refused; its "bought" was corrected
            assert "could not verify" in ask.text.lower() and "Confirm" in str(ask.buttons)
            confirm = next(data for label, data in ask.buttons if "Confirm" in label)
            await h.press(ask, OWNER, confirm)  # returns once the press is answered, after the order ran
            assert await h.orders() == 1


async def test_typing_shows_for_as_long_as_a_slow_turn_runs() -> None:
    script = [{"delay": 1.2, "tool_calls": [{"name": "get_price", "arguments": {"symbol": "ETH/USD"}}]}, relay]
    async with LLMStandin(script) as llm:
        async with running(llm="openai:gpt-test", llm_base_url=llm.url, llm_api_key="sk-test") as h:
            h.front.handlers.typing_every = 0.25  # Telegram clears "typing" after 5 s; Zyn renews it every 4 s
            [reply] = await h.say(OWNER, OWNER, "hows eth doing", timeout=10)
            sent = h.tg.calls["sendChatAction"]
            assert reply.text.startswith("jimmy, ETH/USD")
            assert await h.quiet(OWNER, 0.6) == 0 and h.tg.calls["sendChatAction"] == sent  # stops with the turn
    assert sent >= 4  # renewed all along the 1.2 s the model took, not sent once
