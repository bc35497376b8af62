"""Free text on Discord through real discord.py: DMs from allowed people, mentions of Zyn and chat channels go
to the agent (offline engine, and once a model over HTTP), with "typing…"; others are ignored or refused."""

from __future__ import annotations

from typing import Any

from tests.bot.discord.harness import ALERTS, GENERAL, OWNER, STRANGER, TRADER, running
from tests.standins.discord import BOT
from tests.standins.llm import LLMStandin


async def _new(h: Any, cid: int, before: int, n: int = 1) -> list[Any]:
    await h.dc.wait_for(lambda: len(h.dc.in_channel(cid)) >= before + n)
    return h.dc.in_channel(cid)[before:]


async def test_a_dm_is_answered_through_the_agent_with_typing() -> None:
    async with running() as h:
        dm = OWNER + 1  # the stand-in's DM channel with that user
        await h.dc.say(OWNER, "whats the price of eth")
        [reply] = await _new(h, dm, 0)
        assert "ETH/USD: last" in reply.text() and dm in h.dc.typing
        await h.dc.say(STRANGER, "hello")  # a stranger is told politely, once
        [polite] = await _new(h, STRANGER + 1, 0)
        assert "private trading assistant" in polite.content


async def test_guild_messages_need_a_mention_and_account_answers_go_private() -> None:
    async with running(discord_chat_channels=str(ALERTS)) as h:
        before = len(h.dc.in_channel(GENERAL))
        await h.dc.say(TRADER, "whats the price of btc", channel=GENERAL)  # not addressed to Zyn
        await h.dc.say(TRADER, f"<@{BOT['id']}> whats the price of btc", channel=GENERAL, mention=True)
        [reply] = await _new(h, GENERAL, before)
        assert "BTC/USD: last" in reply.text()
        await h.dc.say(TRADER, "whats my balance", channel=ALERTS)  # a chat channel: no mention needed
        [note] = await _new(h, ALERTS, 0)
        assert note.content == "I sent you the answer privately."
        [private] = await _new(h, TRADER + 1, 0)
        assert "USD" in private.text()


async def test_a_dm_goes_through_the_model_and_its_tool_call() -> None:
    def relay(request: dict[str, Any]) -> dict[str, Any]:
        said = [m["content"].split("\n", 1)[1] for m in request["messages"] if m["role"] == "tool"]
        return {"content": "jimmy, " + " ".join(said)}

    script = [{"tool_calls": [{"name": "get_price", "arguments": {"symbol": "ETH/USD"}}]}, relay]
    async with LLMStandin(script) as llm:
        async with running(llm="openai:gpt-test", llm_base_url=llm.url, llm_api_key="sk-test") as h:
            await h.dc.say(OWNER, "hows eth doing")
            [reply] = await _new(h, OWNER + 1, 0)
    assert reply.text().startswith("Zyn\njimmy, ETH/USD: last ") and "offline replay" in reply.text()
    assert llm.remaining == 0 and llm.requests[0]["messages"][-1]["content"] == "hows eth doing"
