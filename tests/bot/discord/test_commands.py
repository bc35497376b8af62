"""Slash commands through real discord.py and the stand-in: typed options, usage lines, autocomplete, defer,
ephemeral account answers in guild channels, strangers and disabled commands."""

from __future__ import annotations

from tests.bot.discord.harness import MEMBER, OWNER, STRANGER, TRADER, VIEWER_ROLE, running


async def test_price_round_trip_with_typed_options() -> None:
    async with running(discord_disabled_commands="backtest") as h:
        synced = {c["name"]: c for c in h.dc.commands[str(h.dc.guild_id)]}
        assert {"buy", "price", "history", "panel"} <= set(synced) and "backtest" not in synced
        assert synced["buy"]["description"] == "Buy at market or at a limit"
        history = {o["name"]: o for o in synced["history"]["options"]}
        assert history["n"]["type"] == 4 and history["n"]["min_value"] == 1 and history["n"]["max_value"] == 100
        pnl = {o["name"]: o for o in synced["pnl"]["options"]}
        assert [c["value"] for c in pnl["period"]["choices"]] == ["today", "week", "month", "all"]
        assert synced["price"]["options"][0]["autocomplete"] is True
        buy = [(o["name"], o["required"]) for o in synced["buy"]["options"]]
        assert buy == [("pair", True), ("amount", True), ("limit", False)]
        answer = await h.slash(OWNER, "price", {"pair": "BTC/USD"})
        assert "BTC/USD: last" in answer.text() and not answer.ephemeral
        assert answer.embeds[0]["footer"]["text"] == "Zyn · PAPER"
        assert any(b["custom_id"] == "zyn:rf:price BTC/USD" for b in answer.buttons)
        refreshed = await h.press(MEMBER, answer, "zyn:rf:price BTC/USD", roles=(VIEWER_ROLE,))  # viewers may
        assert refreshed.callbacks[0]["type"] == 7 and answer.edits == 1 and "BTC/USD: last" in answer.text()
        assert not answer.buttons[0]["disabled"]
        placed = await h.slash(OWNER, "buy", {"pair": "BTC/USD", "amount": "$100", "limit": "50000"})
        assert "buy" in placed.text() and "BTC/USD limit @ 50,000.00" in placed.text()
        assert len(await h.exchange.fetch_open_orders()) == 1
        off = await h.slash(OWNER, "backtest", {"pair": "BTC/USD"})  # an old client still shows it
        assert off.ephemeral and off.content == "/backtest is not available here."


async def test_a_bad_option_gets_the_usage_line_only_for_the_asker() -> None:
    async with running() as h:
        bad = await h.slash(OWNER, "buy", {"pair": "BTC/USD", "amount": "lots"})
        assert bad.ephemeral and "Usage: /buy PAIR AMOUNT" in bad.text() and "'lots' is not a plain number" in bad.text()
        out_of_range = await h.slash(OWNER, "history", {"n": 500})  # a modified client ignores max_value
        assert out_of_range.ephemeral and "Usage: /history" in out_of_range.text()
        assert await h.orders() == 0


async def test_pair_autocomplete_from_the_markets() -> None:
    async with running() as h:
        choices = await h.dc.autocomplete(OWNER, "price", {"pair": "et"}, "pair", channel=6001)
        assert "ETH/USD" in [c["value"] for c in choices] and len(choices) <= 25
        assert all("ET" in c["value"].replace("/", "") for c in choices)


async def test_slow_work_is_deferred_then_followed_up() -> None:
    async with running(defer_after=0.0) as h:
        it = await h.dc.slash(OWNER, "balance", channel=6001)
        [answer] = await h.dc.answer(it)
        assert it.callbacks[0]["type"] == 5 and it.callbacks[0]["data"]["flags"] == 64  # deferred, ephemeral
        assert "USD" in answer.text() and answer.ephemeral


async def test_account_answers_are_ephemeral_in_guilds_and_strangers_are_refused() -> None:
    async with running() as h:
        balance = await h.slash(TRADER, "balance")
        assert balance.ephemeral and "USD: 10,000.00 (free 10,000.00, held 0.00)" in balance.text()
        dm = await h.slash(OWNER, "balance", channel=None)
        assert not dm.ephemeral
        shown = await h.slash(TRADER, "balance", {"public": True})  # asked otherwise
        assert not shown.ephemeral and "USD" in shown.text()
        stranger = await h.slash(STRANGER, "status")
        assert stranger.ephemeral and "Nothing was done" in stranger.text()
        viewer = await h.slash(MEMBER, "buy", {"pair": "BTC/USD", "amount": "0.01"}, roles=(VIEWER_ROLE,))
        assert viewer.ephemeral and "Read-only here" in viewer.text() and await h.orders() == 0
        status = await h.slash(MEMBER, "status", roles=(VIEWER_ROLE,))
        assert "PAPER" in status.text()


async def test_a_report_is_an_embed_with_its_equity_chart_attached() -> None:
    async with running() as h:
        await h.slash(OWNER, "buy", {"pair": "BTC/USD", "amount": "0.01"})
        report = await h.slash(OWNER, "report", {"period": "today"}, timeout=20)
        [(name, png)] = report.files
        embed = report.embeds[0]
        assert png.startswith(b"\x89PNG") and embed["image"]["url"] == f"attachment://{name}"
        assert "P&L +" in embed["description"] and "Equity 10,000.00 →" in embed["description"]
        assert not report.ephemeral
        assert embed["title"] == "P&L, trades and the equity curve" and embed["footer"]["text"] == "Zyn · PAPER"


def test_a_long_answer_fits_discords_embed_limits() -> None:
    from agent.reply import Reply
    from bot.commands.desk import Answer
    from bot.discord.render import answer_message
    from tests.bot.discord.harness import NOW

    kwargs = answer_message(Answer("line\n" * 2000, Reply("x")), title="t" * 300, mode="paper", now=NOW)
    embed = kwargs["embed"]
    assert len(embed) <= 6000 and len(embed.description) <= 4096 and len(embed.title) <= 256
