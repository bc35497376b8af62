"""Inline confirmations and menus through real PTB and the stand-in: bound to the requester, expiring, pressed
by the right and the wrong people; every press answered exactly once."""

from __future__ import annotations

import re

from tests.bot.telegram.harness import GROUP, MEMBER, ORDER_CONFIRMS, OWNER, TRADER, running


def _code(data: str) -> str:
    return data.split(":")[1]


async def test_buy_confirmed_by_the_owner_places_the_order() -> None:
    async with running(confirm_in_paper=ORDER_CONFIRMS) as h:
        [ask] = await h.say(OWNER, OWNER, "/buy BTC/USD 0.01")
        assert "Waiting for your confirmation" in ask.text and "buy 0.01 BTC/USD at market (PAPER)" in ask.text
        (confirm_label, confirm), (cancel_label, cancel) = ask.buttons
        assert confirm == f"cf:{_code(confirm)}:{OWNER}" and cancel == f"cx:{_code(confirm)}:{OWNER}"
        assert "Confirm" in confirm_label and "Cancel" in cancel_label
        assert await h.orders() == 0  # nothing before the press
        answer = await h.press(ask, OWNER, confirm)
        assert answer == {"text": "Done.", "show_alert": False}
        assert await h.orders() == 1
        assert ask.buttons == [] and ask.edits  # the message now shows the result, buttons gone
        assert ask.text.startswith("Waiting for your confirmation") and "✅ Order" in ask.text
        assert re.search(r"buy 0\.01 BTC/USD market @ [\d,.]+: closed", ask.text)
        again = await h.press(ask, OWNER, confirm, force=True)  # a double press (or a replay) runs nothing
        assert again["show_alert"] and await h.orders() == 1


async def test_group_member_press_is_refused_and_nothing_is_placed() -> None:
    async with running(confirm_in_paper=ORDER_CONFIRMS) as h:
        [ask] = await h.say(GROUP, OWNER, "/buy ETH/USD $100", "group")
        confirm = ask.buttons[0][1]
        member = await h.press(ask, MEMBER, confirm)
        assert member["show_alert"] and "Read-only here" in member["text"]
        trader = await h.press(ask, TRADER, confirm)  # may trade, but did not ask for this one
        assert trader["show_alert"] and "Only the person who asked" in trader["text"]
        cancel = await h.press(ask, MEMBER, ask.buttons[1][1])
        assert "Read-only here" in cancel["text"]
        assert await h.orders() == 0 and len(ask.buttons) == 2 and not ask.edits  # still waiting for the owner
        owner = await h.press(ask, OWNER, confirm)
        assert owner["text"] == "Done." and await h.orders() == 1


async def test_cancel_button_and_expired_confirmation() -> None:
    async with running(confirm_in_paper=ORDER_CONFIRMS) as h:
        [ask] = await h.say(TRADER, TRADER, "/buy BTC/USD 0.01 limit 50000")  # a sell of BTC not held: refused
        answer = await h.press(ask, TRADER, ask.buttons[1][1])
        assert answer["text"] == "Cancelled." and ask.buttons == [] and "✖ Dropped" in ask.text
        [ask] = await h.say(TRADER, TRADER, "/bracket BTC/USD 0.01 2% 5%")
        assert "stop 2%, target 5%" in ask.text
        h.clock.advance(180)  # confirmations live two minutes
        answer = await h.press(ask, TRADER, ask.buttons[0][1])
        assert answer["show_alert"] and "expired" in answer["text"]
        assert ask.buttons == [] and "expired" in ask.text
        assert await h.orders() == 0


async def test_confirm_by_command_and_by_text() -> None:
    async with running(confirm_in_paper=ORDER_CONFIRMS) as h:
        [ask] = await h.say(OWNER, OWNER, "/buy BTC/USD 0.001")
        code = _code(ask.buttons[0][1])
        [other] = await h.say(TRADER, TRADER, f"/confirm {code}")  # someone else's code
        assert "Not done" in other.text and await h.orders() == 0
        [done] = await h.say(OWNER, OWNER, f"/confirm {code.lower()}")
        assert "closed" in done.text and await h.orders() == 1
        [ask] = await h.say(OWNER, OWNER, "buy 0.001 btc")  # free text: the agent asks too
        code = _code(ask.buttons[0][1])
        [done] = await h.say(OWNER, OWNER, f"yes {code}")
        assert "closed" in done.text and await h.orders() == 2


async def test_cancel_menu_lists_open_orders_and_cancels_the_chosen_one() -> None:
    async with running() as h:
        await h.say(OWNER, OWNER, "/buy BTC/USD 0.01 limit 50000")
        await h.say(OWNER, OWNER, "/buy ETH/USD 0.1 limit 1000")
        [menu] = await h.say(OWNER, OWNER, "/cancel")
        orders = [(label, data) for label, data in menu.buttons if data.startswith("co:")]
        assert len(orders) == 2 and any("BTC/USD limit @ 50,000.00" in label for label, _ in orders)
        assert ("Cancel all", "ca") in menu.buttons and ("Close", "x") in menu.buttons
        member = await h.press(menu, MEMBER, orders[0][1])  # a stranger's press in a private chat
        assert member["show_alert"]
        answer = await h.press(menu, OWNER, orders[0][1])
        assert answer["text"] == "Done." and menu.text.startswith("Cancelled ") and menu.buttons == []
        assert len(await h.exchange.fetch_open_orders()) == 1
        [menu] = await h.say(OWNER, OWNER, "/cancel")
        answer = await h.press(menu, OWNER, "ca")  # cancel_all always asks first
        assert answer["text"] == "Confirm below." and menu.buttons[0][1].startswith("cf:")
        answer = await h.press(menu, OWNER, menu.buttons[0][1])
        assert answer["text"] == "Done." and await h.exchange.fetch_open_orders() == []
        [menu] = await h.say(OWNER, OWNER, "/cancel")
        assert menu.text == "No open orders.\nPAPER · as of 2024-05-06 14:07 UTC" and menu.buttons == []


async def test_admin_actions_always_ask_and_only_the_owner_may() -> None:
    async with running() as h:
        [ask] = await h.say(OWNER, OWNER, "/flatten")
        assert "EMERGENCY" in ask.text and ask.buttons[0][1].startswith("cf:")
        answer = await h.press(ask, OWNER, ask.buttons[0][1])
        assert answer["text"] == "Done." and "no holdings to sell" in ask.text
        [reset] = await h.say(OWNER, OWNER, "/killswitch reset")
        assert "re-arm the kill switch" in reset.text
        answer = await h.press(reset, OWNER, reset.buttons[0][1])
        assert answer["show_alert"] and "not tripped" in answer["text"] and reset.buttons == []
        [trader] = await h.say(TRADER, TRADER, "/killswitch reset")
        assert "Only the owner" in trader.text and not trader.buttons


async def test_forged_and_stale_buttons_are_answered_and_refused() -> None:
    async with running() as h:
        [price] = await h.say(OWNER, OWNER, "/price BTC/USD")
        for data in ("zz:1", "cf:ABCD:100", "co:../../etc", "cx:", "ca"):
            answer = await h.press(price, OWNER, data, force=True)
            assert answer == {"text": "This button is no longer valid.", "show_alert": True}, data
        assert await h.orders() == 0 and not price.edits
