"""universe_size set at run time, like the risk overrides: through the offline intent engine ("trade the 5 most
liquid pairs", "use the configured pairs"), owner-only, bounded 1..20 (a bad value is a short answer and changes
nothing), confirmed in LIVE, stored as an override that `zyn auto-config` shows with who and when, and used by the
autopilot's next tick (its universe keeper chooses afresh under the new size, through ccxt against the stand-in)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.intents.engine import parse
from bot.cli.main import main
from memory import open_database
from tests.agent.test_intents import NOW
from tests.agent.world import OWNER, make_world
from tests.standins.kraken import KrakenStandin
from tests.trading.autopilot.test_autopilot import CFG
from tests.trading.autopilot.test_universe_kraken import _market
from tests.trading.exchange.conftest import KRAKEN_NOW
from tools.gate import Role
from trading.autopilot.engine import Autopilot
from trading.clock import ManualClock
from trading.domain import Mode
from trading.events import EventBus
from trading.exchange.feeds.fallback import FallbackFeed
from trading.exchange.feeds.replay import ReplayFeed
from trading.exchange.kraken.client import KrakenPublicFeed
from trading.exchange.paper.exchange import PaperExchange
from trading.risk.limits import DailyLimits, KillSwitch

CASES: list[tuple[str, list[tuple[str, dict[str, Any]]]]] = [
    ("trade the 5 most liquid pairs", [("set_universe", {"size": 5})]),
    ("trade the top 10 pairs", [("set_universe", {"size": 10})]),
    ("set universe size to 7", [("set_universe", {"size": 7})]),
    ("use the configured pairs", [("set_universe", {"configured": True})]),
    ("go back to the default pairs", [("set_universe", {"configured": True})]),
    ("which pairs do you trade?", [("universe_status", {})]),  # questions still read, never change
    ("trade the most liquid pairs", [("universe_status", {})]),  # no number: shows what is in force
    ("universe", [("universe_status", {})]),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_messages_map_to_set_universe(text: str, expected: list[tuple[str, dict[str, Any]]]) -> None:
    assert [(c.name, c.args) for c in parse(text, now=NOW).calls] == expected


def test_a_fraction_of_a_pair_is_refused_by_the_engine() -> None:
    parsed = parse("trade the 2.5 most liquid pairs", now=NOW)
    assert not parsed.calls and "whole number, 1 to 20" in parsed.note
    assert all(c.name != "set_universe" for c in parse("buy the top 5 coins", now=NOW).calls)


async def test_owner_only_bounded_and_stored_with_who_and_when(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    trader = replace(OWNER, user_id="555", role=Role.TRADER, name="trader")
    reply = await world.agent.handle(trader, "trade the 5 most liquid pairs")
    assert world.db.get_overrides("trading") == {} and "Universe updated" not in reply.text
    for text in ("trade the 25 most liquid pairs", "trade the 0 most liquid pairs"):
        reply = await world.agent.handle(OWNER, text)
        assert "20" in reply.text and "Traceback" not in reply.text, reply.text
        assert world.db.get_overrides("trading") == {}  # nothing changed
    reply = await world.agent.handle(OWNER, "trade the 5 most liquid pairs")
    assert "Universe updated: the autopilot trades the 5 most liquid USD pairs" in reply.text, reply.text
    assert "next tick" in reply.text
    [o] = world.db.list_overrides("trading")
    assert (o.key, o.value, o.by, o.at) == ("universe_size", "5", "test:100", NOW)
    reply = await world.agent.handle(OWNER, "which pairs do you trade?")
    assert "chooses the 5 most liquid USD pairs" in reply.text, reply.text
    reply = await world.agent.handle(OWNER, "use the configured pairs")
    assert "Universe updated: the autopilot trades the configured pairs (BTC/USD, ETH/USD, SOL/USD)" in reply.text
    assert world.db.get_overrides("trading") == {"universe_size": "none"}
    world.db.close()


async def test_in_live_it_asks_for_confirmation_first(tmp_path: Path) -> None:
    world = make_world(tmp_path, mode=Mode.LIVE)
    reply = await world.agent.handle(OWNER, "trade the 4 most liquid pairs")
    assert "trade the 4 most liquid pairs" in reply.text.lower() and world.db.get_overrides("trading") == {}
    world.db.close()


async def test_the_next_tick_chooses_under_the_new_size_and_back(tmp_path: Path) -> None:
    clock = ManualClock(KRAKEN_NOW + timedelta(seconds=5))
    async with KrakenStandin(now=KRAKEN_NOW) as k:
        _market(k)
        feed = FallbackFeed(KrakenPublicFeed(api_url=k.url, clock=clock), lambda: ReplayFeed(clock))
        db = open_database(Mode.PAPER, tmp_path)
        pilot = Autopilot(PaperExchange(feed, db, clock), db, DailyLimits(db, CFG.risk, clock),
                          KillSwitch(db, CFG.risk, clock), clock, CFG, EventBus())
        db.set_autopilot_enabled(True, by="test")
        assert sorted(e.symbol for e in (await pilot.tick()).evaluations) == sorted(CFG.universe)
        db.set_overrides("trading", {"universe_size": "2"}, by="test:100", at=clock.now())  # what set_universe stores
        clock.advance(timedelta(minutes=5))
        k.advance(300)  # the stand-in's candles move on with the clock: a new closed candle for every pair
        assert sorted(e.symbol for e in (await pilot.tick()).evaluations) == ["ADA/USD", "BTC/USD"]
        assert db.latest_universe_choice().size == 2
        db.set_overrides("trading", {"universe_size": "3"}, by="test:100", at=clock.now())
        clock.advance(timedelta(minutes=5))
        k.advance(300)  # the stand-in's candles move on with the clock: a new closed candle for every pair
        assert sorted(e.symbol for e in (await pilot.tick()).evaluations) == ["ADA/USD", "BTC/USD", "ETH/USD"]
        db.set_overrides("trading", {"universe_size": "none"}, by="test:100", at=clock.now())
        clock.advance(timedelta(minutes=5))
        k.advance(300)  # the stand-in's candles move on with the clock: a new closed candle for every pair
        assert sorted(e.symbol for e in (await pilot.tick()).evaluations) == sorted(CFG.universe)
        await feed.close()
        db.close()


def test_auto_config_shows_the_override_with_who_and_when(tmp_path: Path, capsys,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    assert main(["chat", "-m", "trade the 6 most liquid pairs"]) == 0
    assert "Universe updated: the autopilot trades the 6 most liquid USD pairs" in capsys.readouterr().out
    assert main(["auto-config", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["universe_size"] == 6
    [o] = [o for o in doc["overrides"] if o["setting"] == "trading.universe_size"]
    assert o["value"] == "6" and o["file_value"] == "None" and o["by"].startswith("cli:")
    assert main(["auto-config"]) == 0
    out = capsys.readouterr().out
    assert "auto, the 6 most liquid pairs" in out and "universe_size set to 6 by cli:" in out, out
    assert main(["auto-universe", "configured"]) == 0
    assert "the configured pairs" in capsys.readouterr().out
    assert main(["auto-config", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["universe_size"] is None
    assert main(["auto-universe", "30"]) == 1  # out of bounds: one line, nothing changed
    assert "20" in capsys.readouterr().err
    assert main(["auto-config", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["universe_size"] is None
