"""/status and /autopilot on Telegram show the universe in force and the daily profit target; chat sets it."""

from __future__ import annotations

from tests.bot.telegram.harness import OWNER, running


async def test_status_shows_the_universe_and_the_daily_profit_target() -> None:
    async with running() as h:
        [status] = await h.say(OWNER, OWNER, "/status")
        assert "Universe: BTC/USD, ETH/USD, SOL/USD (the configured pairs" in status.text
        assert "Daily profit target: none" in status.text
        [done] = await h.say(OWNER, OWNER, "set daily profit target to 2%")
        assert "Daily profit target: 2%" in done.text
        [auto] = await h.say(OWNER, OWNER, "/autopilot")
        assert "Daily profit target: 2% (in money once the day" in auto.text and "not reached today" in auto.text
