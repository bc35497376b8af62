"""Zyn on Telegram end to end: the real python-telegram-bot polls the Bot API stand-in; a real Agent (offline
intent engine) runs real tools on a PAPER account. Commands, free text, access, usage lines, refresh."""

from __future__ import annotations

import logging

import pytest
from loguru import logger

from bot.commands.catalog import COMMANDS
from tests.bot.telegram.harness import GROUP, MEMBER, OTHER_GROUP, OWNER, STRANGER, TOKEN, TRADER, running


async def test_start_publishes_commands_and_greets_the_owner() -> None:
    async with running() as h:
        [hello] = await h.say(OWNER, OWNER, "/start")
        assert "I'm Zyn" in hello.text and "owner" in hello.text and "PAPER" in hello.text
        assert hello.parse_mode == "HTML"
        published = {c["command"]: c["description"] for c in h.tg.commands}
        assert set(published) == set(COMMANDS) and all(published.values())
        assert {"buy", "sell", "bracket", "cancel", "why", "report", "chart", "backtest", "confirm"} <= set(published)
        [helped] = await h.say(OWNER, OWNER, "/help")
        assert "/buy PAIR AMOUNT" in helped.text and "Things you can say" in helped.text


async def test_free_text_question_is_answered_by_the_agent() -> None:
    async with running() as h:
        [answer] = await h.say(OWNER, OWNER, "whats my balance")
        assert "Balances (paper): USD 10,000.00" in answer.text
        assert h.tg.calls["sendChatAction"] == 1  # "typing…" while the agent works
        [price] = await h.say(OWNER, OWNER, "hows btc")
        assert "BTC/USD: last 89,743.50" in price.text and "offline replay" in price.text


async def test_read_commands_map_to_their_tools() -> None:
    async with running() as h:
        expect = {"/status": "Mode PAPER", "/balance": "USD 10,000.00", "/positions": "No open positions",
                  "/orders": "No open orders", "/history": "No trades yet", "/pnl week": "No closed trades",
                  "/autopilot": "Autopilot", "/killswitch": "Kill switch armed", "/mode": "Mode: PAPER",
                  "/why BTC/USD": "No autopilot evaluations for BTC/USD",
                  "/why btc 14:05": "no autopilot evaluation for BTC/USD at 2024-05-06 14:05 UTC"}
        for command, text in expect.items():
            [answer] = await h.say(OWNER, OWNER, command)
            assert text.lower() in answer.text.lower(), (command, answer.text)


async def test_wrong_arguments_get_the_usage_line_and_nothing_runs() -> None:
    async with running() as h:
        cases = {"/price": "Usage: /price PAIR", "/price BTC ETH": "Usage: /price PAIR",
                 "/buy BTC/USD": "Usage: /buy PAIR AMOUNT", "/buy BTC/USD -1": "Usage: /buy",
                 "/buy BTC/USD 0.01 limit": "Usage: /buy", "/sell BTC/USD 1e3": "Usage: /sell",
                 "/bracket BTC/USD 0.01 2%": "Usage: /bracket", "/history 0": "Usage: /history",
                 "/pnl year": "Usage: /pnl", "/why": "Usage: /why", "/why BTC 25:00": "Usage: /why",
                 "/autopilot maybe": "Usage: /autopilot", "/confirm": "Usage: /confirm",
                 "/cancel a b": "Usage: /cancel", "/chart": "Usage: /chart", "/status now": "Usage: /status",
                 "/report year": "Usage: /report", "/killswitch off": "Usage: /killswitch"}
        for command, usage in cases.items():
            [answer] = await h.say(OWNER, OWNER, command)
            assert usage in answer.text, (command, answer.text)
        assert await h.orders() == 0
        [unknown] = await h.say(OWNER, OWNER, "/moon")
        assert "don't know /moon" in unknown.text


async def test_buy_runs_directly_in_paper_by_default_and_tool_errors_are_plain() -> None:
    async with running() as h:
        [done] = await h.say(OWNER, OWNER, "/buy btc/usd $500")
        assert "buy 0.00557087 BTC/USD market" in done.text and "closed" in done.text and not done.buttons
        [bad] = await h.say(OWNER, OWNER, "/sell ETH/USD 5")
        assert bad.text.startswith("Could not place order") and "Traceback" not in bad.text
        [unknown] = await h.say(OWNER, OWNER, "/price DOGE/USD")
        assert "Could not get price" in unknown.text
        assert await h.orders() == 1


async def test_stranger_gets_one_polite_refusal_and_nothing_runs(caplog: pytest.LogCaptureFixture) -> None:
    lines: list[str] = []
    sink = logger.add(lines.append, level="INFO", format="[{extra[component]}] {message}")
    try:
        async with running() as h:
            [refusal] = await h.say(STRANGER, STRANGER, "/buy BTC/USD 0.01")
            assert "only talk to my owner" in refusal.text and "Nothing was done" in refusal.text
            h.tg.push_text(STRANGER, STRANGER, "whats my balance")
            h.tg.push_command(STRANGER, STRANGER, "/balance")
            assert await h.quiet(STRANGER) == 0  # no refusal storm
            [group] = await h.say(OTHER_GROUP, STRANGER, "/balance", "group")
            assert "not set up for Zyn" in group.text
            assert await h.orders() == 0
            caplog.set_level(logging.DEBUG, logger="httpx")  # even with httpx at DEBUG the token stays out
            await h.say(OWNER, OWNER, "/status")
    finally:
        logger.remove(sink)
    refusals = [line for line in lines if "refused" in line and "[telegram]" in line]
    assert len(refusals) == 4 and all(str(STRANGER) in line for line in refusals)
    assert "HTTP Request" in caplog.text and TOKEN not in caplog.text and TOKEN not in "".join(lines)


async def test_group_members_read_but_may_not_trade() -> None:
    async with running() as h:
        [price] = await h.say(GROUP, MEMBER, "/price ETH/USD", "group")
        assert price.text.startswith("ETH/USD: last") and price.reply_to is not None  # quotes the asker
        [refused] = await h.say(GROUP, MEMBER, "/buy BTC/USD 0.01", "group")
        assert "Read-only here" in refused.text
        [refused] = await h.say(GROUP, MEMBER, "/cancel", "group")
        assert "Read-only here" in refused.text
        h.tg.push_text(GROUP, MEMBER, "whats the balance", "group")  # not addressed to Zyn: ignored
        assert await h.quiet(GROUP) == 0
        [answer] = await h.say(GROUP, MEMBER, "@zyn_test_bot buy 0.01 btc", "group")
        assert "needs trade permission; you have viewer" in answer.text
        [reply] = await h.say(GROUP, MEMBER, "and the price of eth?", "group", reply_to=answer.message_id)
        assert "ETH/USD: last" in reply.text  # a reply to Zyn's message is addressed to Zyn
        [trader] = await h.say(TRADER, TRADER, "/flatten")
        assert "Only the owner" in trader.text
        assert await h.orders() == 0


async def test_refresh_button_reruns_and_edits_the_message() -> None:
    async with running() as h:
        [price] = await h.say(OWNER, OWNER, "/price BTC/USD")
        assert price.buttons == [("🔄 Refresh", "rf:price BTC/USD")]
        first = price.text
        answer = await h.press(price, OWNER, "rf:price BTC/USD")
        assert answer["text"] == "Already up to date."  # nothing changed: no edit sent (Telegram would refuse)
        h.clock.advance(300)  # the replay feed moves on
        answer = await h.press(price, OWNER, "rf:price BTC/USD")
        assert answer["text"] == "Updated." and price.text != first and price.edits == [first]
        assert price.buttons == [("🔄 Refresh", "rf:price BTC/USD")]
        [status] = await h.say(GROUP, MEMBER, "/status", "group")
        answer = await h.press(status, MEMBER, status.buttons[0][1])  # viewers may refresh
        assert answer["text"] in ("Updated.", "Already up to date.")
        forged = await h.press(status, MEMBER, "rf:autopilot on", force=True)  # a modified client
        assert forged["text"] == "This button is no longer valid." and forged["show_alert"]
        assert h.runtime.services.db.get_autopilot_state().updated_at is None


async def test_weblogin_gives_the_owner_a_link_only_in_the_private_chat() -> None:
    async with running() as h:
        [link] = await h.say(OWNER, OWNER, "/weblogin")
        assert "/login/" in link.text and "works once" in link.text
        [group] = await h.say(GROUP, OWNER, "/weblogin", "supergroup")
        assert "private chat" in group.text and "/login/" not in group.text
        [trader] = await h.say(TRADER, TRADER, "/weblogin")
        assert "Only the owner" in trader.text and "/login/" not in trader.text
