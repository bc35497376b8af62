"""LIVE orders whose outcome is unknown: AddOrder times out and the lookups by cl_ord_id find nothing. The person
is told "outcome unknown: Zyn is checking" (never a plain failure), the intent is journaled, and the reconciler
settles it by client id: placed after all (Kraken booked it late) or, after enough time, not placed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from agent.agent import Agent
from memory import open_database
from tests.standins.kraken import KrakenStandin
from tests.trading.exchange.conftest import KRAKEN_KEY, KRAKEN_NOW, KRAKEN_SECRET
from tools.context import ToolContext
from tools.gate import Confirmations, Gate
from tools.gate.types import Caller, CallerKind, Role, ToolCall
from tools.unknown import OrderUnknownResult
from trading.clock import ManualClock
from trading.domain import Mode
from trading.events import OrderResolved
from trading.exchange.kraken.journal import JournaledKraken
from trading.exchange.kraken.unresolved import GIVE_UP_AFTER, UnresolvedOrders

ALICE = Caller(user_id="42", chat_id="42", channel="telegram", role=Role.OWNER, name="alice", private=True)


class World:
    def __init__(self, k: KrakenStandin, tmp) -> None:  # noqa: ANN001
        self.k, self.clock = k, ManualClock(KRAKEN_NOW)
        self.db = open_database(Mode.LIVE, tmp)
        # No re-send (retries=0) and quick lookups: the shape of the drill, in well under a second.
        self.ex = JournaledKraken(KRAKEN_KEY, KRAKEN_SECRET, api_url=k.url, clock=self.clock, journal=self.db,
                                  timeout_ms=300, retries=0, retry_wait=0.01, lookup_grace=0.05)
        self.ctx = ToolContext(mode=Mode.LIVE, exchange=self.ex, journal=self.db, clock=self.clock,
                               quote_currency="USD", credentials_present=True, log_level="INFO", database="test",
                               store=self.db)
        self.gate = Gate(self.ctx, Confirmations(self.db, self.clock))
        self.events: list[OrderResolved] = []

        async def publish(event: OrderResolved) -> None:
            self.events.append(event)

        self.reconciler = UnresolvedOrders(self.ex, self.db, self.clock, publish)

    async def order(self, **args: object):  # noqa: ANN201
        call = ToolCall("place_order", {"symbol": "BTC/USD", "side": "buy", "amount": "0.001", **args})
        pending = await self.gate.execute(ALICE, call, kind=CallerKind.COMMAND)
        assert pending.pending is not None  # LIVE: the person confirms first
        return await self.gate.confirm(ALICE, pending.pending.code)

    async def close(self) -> None:
        await self.ex.close()
        self.db.close()


@pytest.fixture
async def world(tmp_path):
    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET, now=KRAKEN_NOW) as k:
        w = World(k, tmp_path)
        await w.ex.load_markets()
        yield w
        await w.close()


async def test_booked_late_is_outcome_unknown_then_placed_after_all(world: World):
    world.k.book_late_next("AddOrder", 1.0)  # held past the client's timeout and its lookups, then booked
    outcome = await world.order()
    assert outcome.ok and isinstance(outcome.result, OrderUnknownResult)
    text = outcome.text()
    assert text.startswith("Outcome unknown: Zyn is checking.") and "buy 0.001 BTC/USD at market" in text
    assert "Do not place it again" in text and "ERROR" not in text
    (intent,) = world.db.unresolved_orders()
    assert (intent.symbol, intent.side, intent.amount, intent.asked_by) == ("BTC/USD", "buy", "0.001", "telegram:42")
    assert intent.asked_at == KRAKEN_NOW and intent.order_type == "market"
    await asyncio.sleep(1.2)  # Kraken books it now
    told = await world.reconciler.reconcile()
    (booked_txid,) = [t for t, o in world.k.orders.items() if o["cl_ord_id"] == intent.client_id]
    assert len(told) == 1 and told[0].startswith("Resolved: your buy 0.001 BTC/USD at market was placed (Kraken order") and booked_txid in told[0]
    (settled,) = world.db.unresolved_orders(None)
    assert (settled.status, settled.order_id) == ("placed", booked_txid)
    assert world.db.get_order(booked_txid) is not None  # journaled as placed, with its txid
    assert [e.placed for e in world.events] == [True] and world.events[0].client_id == intent.client_id
    assert [c["cl_ord_id"] for c in world.k.calls("AddOrder")] == [intent.client_id]  # sent once, never again
    assert await world.reconciler.reconcile() == []  # settled: told once


async def test_never_booked_is_marked_not_placed_after_enough_time(world: World):
    world.k.drop_next("AddOrder", 1.0)  # lost on the way: Kraken never books it
    outcome = await world.order(type="limit", price="60000")
    assert isinstance(outcome.result, OrderUnknownResult) and "limit 60000" in outcome.text()
    assert await world.reconciler.reconcile() == []  # too early to say: it may still be booked late
    assert world.db.unresolved_orders()[0].status == "unknown"
    world.clock.advance(GIVE_UP_AFTER + timedelta(seconds=1))
    (line,) = await world.reconciler.reconcile()
    assert "limit 60000 was not placed; nothing was bought" in line and line.startswith("Resolved: your buy")
    assert world.db.unresolved_orders(None)[0].status == "not_placed" and not world.k.orders
    assert [e.placed for e in world.events] == [False]


async def test_a_reconcile_whose_lookup_fails_keeps_the_intent(world: World):
    world.k.drop_next("AddOrder", 1.0)
    await world.order()
    world.clock.advance(GIVE_UP_AFTER * 2)
    world.k.fail_next("OpenOrders", "EService:Unavailable")
    world.k.fail_next("OpenOrders", "EService:Unavailable")
    world.ex._retries = 0
    assert await world.reconciler.reconcile() == []  # Kraken unreadable: not "absent", asked again next run
    assert world.db.unresolved_orders()[0].status == "unknown"


async def test_a_bracket_whose_entry_is_unknown_is_kept_too(world: World):
    world.k.book_late_next("AddOrder", 1.0)
    outcome = await world.order(stop="60000", take_profit="90000")
    assert isinstance(outcome.result, OrderUnknownResult) and "(bracket entry)" in outcome.text()
    (intent,) = world.db.unresolved_orders()
    bracket = world.db.get_bracket(intent.client_id)
    assert bracket is not None and bracket.note.startswith("entry outcome unknown")  # its reconciler knows too


async def test_the_chat_reply_says_outcome_unknown(world: World):
    agent = Agent(world.ctx, world.db, gate=world.gate)
    reply = await agent.handle(ALICE, "buy 0.001 btc")
    code = reply.pending.code if getattr(reply, "pending", None) else None
    assert code, reply.text
    world.k.book_late_next("AddOrder", 1.0)
    done = await agent.confirm(ALICE, code)
    assert "Outcome unknown: Zyn is checking" in done.text and "failed" not in done.text.lower()
    await agent.close()
