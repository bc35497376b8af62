"""Confirm / Cancel buttons through real discord.py and the stand-in: bound to the asker, disabled once used or
expired, forged and replayed custom ids refused, still working after the client restarts; the control panel."""

from __future__ import annotations

from tests.bot.discord.harness import (
    MEMBER,
    ORDER_CONFIRMS,
    OWNER,
    TRADER,
    TRADER_ROLE,
    button,
    running,
)
from tests.standins.discord import DiscordStandin


async def test_the_owners_confirm_places_the_order_and_another_members_press_is_refused() -> None:
    async with running(confirm_in_paper=ORDER_CONFIRMS) as h:
        ask = await h.slash(OWNER, "buy", {"pair": "BTC/USD", "amount": "0.01"})
        assert "Waiting for your confirmation" in ask.text() and not ask.ephemeral
        confirm, cancel = button(ask, "Confirm"), button(ask, "Cancel")
        code = confirm.split(":")[2]
        assert confirm == f"zyn:cf:{code}:{OWNER}" and cancel == f"zyn:cx:{code}:{OWNER}"
        member = await h.press(MEMBER, ask, confirm, roles=(TRADER_ROLE,))  # may trade, did not ask
        answer = member.original or member.followups[0]
        assert answer.ephemeral and "Only the person who asked" in answer.text() and await h.orders() == 0
        stranger = await h.press(MEMBER, ask, confirm)  # no role at all in this channel
        assert "not for you" in (stranger.original or stranger.followups[0]).text()
        assert await h.orders() == 0 and ask.edits == 0
        done = await h.press(OWNER, ask, confirm)
        assert done.callbacks[0]["type"] == 7 and await h.orders() == 1  # the message itself shows the result
        assert "✅ Order" in ask.text() and all(b["disabled"] for b in ask.buttons) and len(ask.buttons) == 2
        assert ask.embeds[0]["color"] == 0x57F287  # amber while it waited, green once done
        replay = await h.press(OWNER, ask, confirm, force=True)  # a disabled button replayed by a forged client
        assert "no longer valid" in replay.original.text() and await h.orders() == 1


async def test_a_slow_confirmation_is_deferred_and_the_message_edited_after() -> None:
    async with running(confirm_in_paper=ORDER_CONFIRMS, defer_after=0.0) as h:
        it = await h.dc.slash(OWNER, "buy", {"pair": "BTC/USD", "amount": "0.01"}, channel=None)
        [ask] = await h.dc.answer(it)
        press = await h.dc.press(OWNER, ask, button(ask, "Confirm"))
        await h.dc.wait_for(lambda: "✅ Order" in ask.text())
        assert press.callbacks == [{"type": 6}] and all(b["disabled"] for b in ask.buttons)
        assert await h.orders() == 1


async def test_forged_custom_ids_are_refused() -> None:
    async with running() as h:
        price = await h.slash(OWNER, "price", {"pair": "BTC/USD"})
        for custom_id in ("zyn:cf:ABCD:1001", "zyn:ca", "zyn:pn:flatten", "other:thing", "zyn:zz:1"):
            it = await h.press(OWNER, price, custom_id, force=True)
            assert it.original.ephemeral and "no longer valid" in it.original.text(), custom_id
        assert await h.orders() == 0 and price.edits == 0


async def test_cancel_and_expiry_disable_the_buttons() -> None:
    async with running(confirm_in_paper=ORDER_CONFIRMS) as h:
        ask = await h.slash(TRADER, "buy", {"pair": "BTC/USD", "amount": "0.01", "limit": "50000"}, channel=None)
        await h.press(TRADER, ask, button(ask, "Cancel"))
        assert "✖ Dropped" in ask.text() and "Nothing was done" in ask.text() and all(b["disabled"] for b in ask.buttons)
        ask = await h.slash(TRADER, "bracket", {"pair": "BTC/USD", "amount": "0.01", "stop": "2%", "target": "5%"},
                            channel=None)
        h.clock.advance(180)
        it = await h.press(TRADER, ask, button(ask, "Confirm"))
        assert "expired" in ask.text() and all(b["disabled"] for b in ask.buttons)
        [toast] = await h.dc.wait_for(lambda: it.followups)  # the press's own short answer
        assert toast.ephemeral and "expired" in toast.text() and await h.orders() == 0


async def test_a_confirmation_still_works_after_the_client_restarts() -> None:
    async with DiscordStandin("x") as dc:
        from tests.bot.discord.harness import TOKEN

        dc.token = TOKEN
        async with running(dc=dc, confirm_in_paper=ORDER_CONFIRMS) as h:
            ask = await h.slash(OWNER, "buy", {"pair": "ETH/USD", "amount": "0.1"})
            await h.front.stop()  # the process goes away...
            await h.front.start(h.ctx)  # ...and a new client logs in (same database, same gate)
            assert dc.identifies == 2
            await h.press(OWNER, ask, button(ask, "Confirm"))
            assert await h.orders() == 1 and "✅ Order" in ask.text()


async def test_the_control_panel_acts_through_the_gate_for_the_owner_only() -> None:
    async with running() as h:
        refused = await h.slash(TRADER, "panel")
        assert refused.ephemeral and "Only the owner" in refused.text()
        panel = await h.slash(OWNER, "panel")
        labels = [b["label"] for b in panel.buttons]
        assert labels == ["Autopilot on", "Autopilot off", "Kill switch", "Re-arm kill switch", "Flatten all"]
        assert "Control panel (PAPER)" in panel.text() and "kill switch" in panel.text().lower()
        trader = await h.press(TRADER, panel, button(panel, "Flatten"))
        assert "Only the owner" in trader.original.text()
        off = await h.press(OWNER, panel, button(panel, "Autopilot off"))
        assert off.original.ephemeral and "off" in off.original.text().lower()
        assert h.runtime.services.db.get_autopilot_state().enabled is False
        await h.dc.wait_for(lambda: panel.edits == 1)  # the panel then shows the fresh state
        assert "Autopilot OFF" in panel.text() and len(panel.buttons) == 5
        flat = await h.press(OWNER, panel, button(panel, "Flatten"))
        ask = flat.original
        assert "EMERGENCY" in ask.text() and button(ask, "Confirm").startswith("zyn:cf:")
        await h.press(OWNER, ask, button(ask, "Confirm"))
        assert "no holdings to sell" in ask.text()
        await h.dc.wait_for(lambda: panel.edits == 2)
        assert not any(b["disabled"] for b in panel.buttons)  # the panel stays usable


async def test_the_cancel_menu_cancels_the_chosen_order() -> None:
    async with running() as h:
        for i in range(7):
            await h.slash(OWNER, "buy", {"pair": "BTC/USD", "amount": "0.001", "limit": str(50000 + i)})
        menu = await h.slash(OWNER, "cancel")
        assert menu.ephemeral and "Which order should I cancel?" in menu.text()
        labels = [b["label"] for b in menu.buttons]
        assert len(labels) == 9 and labels[-2:] == ["Cancel all", "Close"] and len(menu.components) == 2
        await h.press(OWNER, menu, menu.buttons[0]["custom_id"])
        assert "\nCancelled O" in menu.text() and len(await h.exchange.fetch_open_orders()) == 6
