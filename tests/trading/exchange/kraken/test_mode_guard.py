"""Mode is enforced where orders are placed or cancelled: a PAPER context handed the LIVE Kraken client refuses
every order path before any private call (the strict stand-in records any private call as a violation)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from memory import open_database
from tests.standins.kraken import KrakenStandin
from tests.trading.exchange.conftest import KRAKEN_KEY, KRAKEN_NOW, KRAKEN_SECRET
from tools.catalog import invoke
from tools.context import ToolContext
from trading.autopilot.engine import Autopilot
from trading.clock import ManualClock
from trading.config import TradingConfig
from trading.domain import Bracket, BracketStatus, Mode, Side
from trading.errors import ModeMismatchError, PermissionDeniedError
from trading.events import EventBus, EventKind
from trading.exchange.kraken.journal import JournaledKraken
from trading.risk.limits import DailyLimits, KillSwitch
from trading.risk.sizing import Sizing

TOOL_CALLS = [
    ("place_order", {"symbol": "BTC/USD", "side": "buy", "amount": "0.001"}),
    ("place_order", {"symbol": "BTC/USD", "side": "buy", "amount": "0.001", "type": "limit", "price": "60000"}),
    ("place_bracket_order", {"symbol": "BTC/USD", "side": "buy", "amount": "0.001", "stop": "60000",
                             "take_profit": "90000"}),
    ("cancel_order", {"order_id": "OQCLML-BW3P3-BUCMWZ"}),
    ("cancel_all", {}),
    ("cancel_all", {"symbol": "BTC/USD"}),
    ("flatten_all", {}),
]


@pytest.fixture
async def world(tmp_path):
    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET, now=KRAKEN_NOW) as k:
        k.forbid_private = True  # any private call is recorded, and fails the test when the stand-in closes
        clock = ManualClock(KRAKEN_NOW)
        db = open_database(Mode.PAPER, tmp_path)
        ex = JournaledKraken(KRAKEN_KEY, KRAKEN_SECRET, api_url=k.url, clock=clock, journal=db, timeout_ms=3000,
                             retries=0, retry_wait=0.01)
        yield k, db, ex, clock
        await ex.close()
        db.close()


def _ctx(mode: Mode, ex, db, clock) -> ToolContext:
    return ToolContext(mode=mode, exchange=ex, journal=db, clock=clock, quote_currency="USD",
                       credentials_present=True, log_level="INFO", database="test", store=db,
                       trading_config=TradingConfig())


@pytest.mark.parametrize(("name", "args"), TOOL_CALLS)
async def test_a_paper_context_refuses_every_order_tool_before_any_private_call(world, name, args):
    k, db, ex, clock = world
    with pytest.raises(ModeMismatchError, match="PAPER context but the exchange is LIVE; nothing was sent"):
        await invoke(_ctx(Mode.PAPER, ex, db, clock), name, args)
    assert k.private_violations == [] and k.calls("AddOrder") == [] and k.calls("CancelOrder") == []


async def test_the_stand_in_would_catch_the_call_if_the_guard_were_missing(world):
    k, db, ex, clock = world  # the control: a LIVE context does reach Kraken's private API
    with pytest.raises(PermissionDeniedError):  # the stand-in answers "EGeneral:Permission denied"
        await invoke(_ctx(Mode.LIVE, ex, db, clock), "place_order", {"symbol": "BTC/USD", "side": "buy",
                                                                     "amount": "0.001"})
    assert [path for _m, path, _p in k.private_violations] == ["/0/private/AddOrder"]
    k.private_violations.clear()


def _pilot(ex, db, clock, events):
    cfg = TradingConfig(universe=("BTC/USD",))
    bus = EventBus()
    bus.subscribe(events.append)
    return Autopilot(ex, db, DailyLimits(db, cfg.risk, clock), KillSwitch(db, cfg.risk, clock), clock, cfg, bus)


async def test_the_paper_autopilot_handed_kraken_refuses_its_tick_entry_exit_and_watch(world):
    k, db, ex, clock = world
    events: list = []
    pilot = _pilot(ex, db, clock, events)
    assert pilot.mode is Mode.PAPER  # from the database's stamp, not from the exchange it was handed
    await pilot.tick()
    await pilot.watch_fills()
    [error] = [e for e in events if e.kind is EventKind.AUTOPILOT_ERROR]
    assert "refused to run a tick" in error.text and "nothing was sent" in error.text
    sizing = Sizing(amount=D("0.001"), entry=D("75000"), stop=D("70000"), target=D("80000"), risk=D("5"))
    with pytest.raises(ModeMismatchError, match="refused to place an entry"):
        await pilot._enter("BTC/USD", KRAKEN_NOW, sizing, "trend", ())
    with pytest.raises(ModeMismatchError, match="refused to place an exit"):
        await pilot._exit("BTC/USD", D("0.001"), "trend")
    assert k.private_violations == []


async def test_the_bracket_reconciler_on_a_paper_journal_touches_nothing(world):
    k, db, ex, clock = world
    bracket = Bracket(id="b-1", symbol="BTC/USD", side=Side.BUY, entry_order_id="OQCLML-BW3P3-BUCMWZ",
                      stop_order_id=None, take_profit_order_id=None, status=BracketStatus.ACTIVE,
                      created_at=KRAKEN_NOW, stop_price=D("70000"), take_profit_price=D("80000"))
    db.save_bracket(bracket)
    await ex.bracket_reconciler(clock).reconcile()
    assert k.private_violations == [] and db.get_bracket("b-1") == bracket
