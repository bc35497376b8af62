"""Windows that mean what they say: 'the last 24 hours' lists exactly the fills inside it (a fill 23 h ago, not
one 30 h ago), with their count and order ids, and '0' when there are none; through the real CLI (`zyn trades
--hours/--since/--until`) and the chat (the offline engine behind the desk), on one injectable clock."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.agent.world import NOW, OWNER, PRICES, World, make_world
from tests.fakes import FakeFeed, btc_usd, eth_usd
from trading.clock import ManualClock
from trading.domain import OrderRequest, OrderType, Side


async def _fills_at(world: World, *hours_ago: int) -> dict[int, str]:
    """A market buy of 0.01 BTC at each of these hours before NOW: hours ago -> its order id."""
    ids = {}
    for h in sorted(hours_ago, reverse=True):
        world.clock.set(NOW - timedelta(hours=h))
        order = await world.exchange.create_order(OrderRequest("BTC/USD", Side.BUY, OrderType.MARKET,
                                                               Decimal("0.01")))
        ids[h] = order.id
    world.clock.set(NOW)
    return ids


@pytest.fixture
async def world(tmp_path: Path) -> World:
    w = make_world(tmp_path)
    yield w
    w.db.close()


async def test_chat_last_24_hours_lists_exactly_the_fills_inside_it(world: World) -> None:
    ids = await _fills_at(world, 30, 23)
    reply = await world.agent.handle(OWNER, "trades in the last 24 hours")
    [outcome] = reply.outcomes
    assert outcome.call.name == "trade_history" and "limit" not in outcome.call.args  # 24 is the span, not a limit
    assert outcome.result.count == 1 and outcome.result.order_ids == [ids[23]]
    assert f"Fills since 2024-05-05 14:07 UTC: 1; orders {ids[23]}." in reply.text
    assert ids[30] not in reply.text and "2024-05-05 15:07" in reply.text  # the 23-hour-old fill's line
    reply = await world.agent.handle(OWNER, "what did i trade in the last 2 hours")
    assert "Fills since 2024-05-06 12:07 UTC: 0." in reply.text
    reply = await world.agent.handle(OWNER, "fills in the past 2 days")
    assert reply.outcomes[0].result.count == 2 and ids[30] in reply.text and ids[23] in reply.text


async def test_chat_yesterday_in_the_owners_zone_shows_utc_and_local(world: World) -> None:
    world.ctx.timezone = "America/New_York"
    ids = await _fills_at(world, 30, 23)  # 2024-05-05 08:07 and 15:07 UTC: 04:07 and 11:07 in New York
    reply = await world.agent.handle(OWNER, "what did i trade yesterday")
    assert reply.outcomes[0].result.count == 2 and set(reply.outcomes[0].result.order_ids) == set(ids.values())
    assert "from 2024-05-05 04:00 UTC (Sun 05 May 00:00 America/New_York)" in reply.text


def _cli_factory(tmp_path: Path):
    """The CLI's services on the test's database and a fixed clock (every command is a fresh process's)."""
    from bot.app import build_services

    def factory(settings):
        clock = ManualClock(NOW)
        feed = FakeFeed([btc_usd(), eth_usd()], clock=clock)
        for symbol, (bid, ask) in PRICES.items():
            if symbol in feed.markets:
                feed.set_price(symbol, bid, ask)
        return build_services(settings, clock=clock, feed=feed)

    return factory


def test_cli_trades_takes_hours_since_and_until(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(tmp_path)
    ids = asyncio.run(_fills_at(world, 30, 23))
    world.db.close()
    monkeypatch.setenv("ZYN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    factory = _cli_factory(tmp_path)

    def trades(*argv: str) -> dict:
        assert main(["trades", *argv, "--json"], factory=factory) == 0
        return json.loads(capsys.readouterr().out)

    last_day = trades("--hours", "24")
    assert last_day["count"] == 1 and [f["order_id"] for f in last_day["fills"]] == [ids[23]]
    assert last_day["since"] == "2024-05-05T14:07:00+00:00" and last_day["until"] is None
    assert trades("--hours", "1")["count"] == 0
    yesterday = trades("--since", "yesterday", "--until", "yesterday")  # the whole UTC day of 2024-05-05
    assert yesterday["count"] == 2 and yesterday["until"] == "2024-05-06T00:00:00+00:00"
    between = trades("--since", "2024-05-05 10:00", "--until", "2024-05-05 16:00")
    assert [f["order_id"] for f in between["fills"]] == [ids[23]]
    assert len(trades()["fills"]) == 2  # no window: every fill
    assert main(["trades", "--hours", "24"], factory=factory) == 0
    out = capsys.readouterr().out
    assert f"Fills since 2024-05-05 14:07 UTC: 1; orders {ids[23]}." in out and ids[30] not in out
    assert main(["trades", "--hours", "1"], factory=factory) == 0
    assert "Fills since 2024-05-06 13:07 UTC: 0." in capsys.readouterr().out
    assert main(["trades", "--since", "last tuesday"], factory=factory) == 1  # a short answer, nothing runs
    assert "is not a time" in capsys.readouterr().err


async def test_chat_report_for_the_last_24_hours_counts_only_the_trades_inside(world: World) -> None:
    for hours, side in ((31, Side.BUY), (30, Side.SELL), (25, Side.BUY), (23, Side.SELL)):
        world.clock.set(NOW - timedelta(hours=hours))
        await world.exchange.create_order(OrderRequest("BTC/USD", side, OrderType.MARKET, Decimal("0.01")))
    world.clock.set(NOW)
    reply = await world.agent.handle(OWNER, "report for the last 24 hours")
    [outcome] = reply.outcomes
    assert outcome.call.args["since"] == "2024-05-05T14:07:00+00:00"
    report = outcome.result
    assert report.start == NOW - timedelta(hours=24) and report.end == NOW and report.trades == 1
    assert "Trades 1" in reply.text and "05-05 15:07" in reply.text  # the sale 23 h ago, not the one 30 h ago
    whole = (await world.agent.handle(OWNER, "report for the last 2 days")).outcomes[0].result
    assert whole.trades == 2
