"""Every LIVE order from a person is written ahead: its intent (client id, pair, side, amount, price, who asked
and in which chat) is on disk before AddOrder goes out. A process that dies between Kraken's acceptance and the
journal leaves it "sending"; the next start's reconcile finds the order by its client id and journals it once.
Against the Kraken stand-in, through the gate, with a real interruption mid-send (the task is cancelled while
Kraken holds its answer, as a kill would stop it), never a stand-in for our own code."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from memory import open_database
from tests.standins.kraken import KrakenStandin
from tests.trading.exchange.conftest import KRAKEN_KEY, KRAKEN_NOW, KRAKEN_SECRET
from tools.context import ToolContext
from tools.gate import Confirmations, Gate
from tools.gate.types import Caller, CallerKind, Role, ToolCall
from tools.results import OrderResult
from trading.clock import ManualClock
from trading.domain import Mode
from trading.exchange.kraken.journal import JournaledKraken
from trading.exchange.kraken.unresolved import SEND_WINDOW, UnresolvedOrders

ALICE = Caller(user_id="42", chat_id="-100777", channel="telegram", role=Role.OWNER, name="alice")


class Process:
    """One Zyn process: its database, its Kraken client, its gate (a restart is a new Process on the same files)."""

    def __init__(self, k: KrakenStandin, tmp, clock: ManualClock) -> None:  # noqa: ANN001
        self.db = open_database(Mode.LIVE, tmp)
        self.ex = JournaledKraken(KRAKEN_KEY, KRAKEN_SECRET, api_url=k.url, clock=clock, journal=self.db,
                                  timeout_ms=10_000, retries=0, retry_wait=0.01, lookup_grace=0.05)
        self.ctx = ToolContext(mode=Mode.LIVE, exchange=self.ex, journal=self.db, clock=clock,
                               quote_currency="USD", credentials_present=True, log_level="INFO", database="test",
                               store=self.db)
        self.gate = Gate(self.ctx, Confirmations(self.db, clock))
        self.told: list = []

        async def publish(event) -> None:  # noqa: ANN001
            self.told.append(event)

        self.reconciler = UnresolvedOrders(self.ex, self.db, clock, publish)

    async def order(self, **args: object):  # noqa: ANN201
        call = ToolCall("place_order", {"symbol": "BTC/USD", "side": "buy", "amount": "0.001", **args})
        pending = await self.gate.execute(ALICE, call, kind=CallerKind.COMMAND)
        assert pending.pending is not None
        return await self.gate.confirm(ALICE, pending.pending.code)

    async def close(self) -> None:
        await self.ex.close()
        self.db.close()


@pytest.fixture
async def kraken():
    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET, now=KRAKEN_NOW) as k:
        yield k


async def test_an_order_is_written_ahead_and_settled_by_its_answer(kraken: KrakenStandin, tmp_path) -> None:
    clock = ManualClock(KRAKEN_NOW)
    p = Process(kraken, tmp_path, clock)
    try:
        done = await p.order()
        assert done.ok and isinstance(done.result, OrderResult)
        (intent,) = p.db.unresolved_orders(None)
        assert (intent.status, intent.order_id, intent.client_id) == ("placed", done.result.order.id,
                                                                     done.result.order.client_id)
        assert intent.reply_to == "telegram:-100777" and intent.source == "command:telegram:42"
        assert intent.told_at is not None  # the person had the answer: nothing to tell later
        kraken.fail_next("AddOrder", "EOrder:Insufficient funds")
        refused = await p.order()
        assert not refused.ok and "nsufficient" in (refused.error or "")
        assert [i.status for i in p.db.unresolved_orders(None)] == ["placed", "not_placed"]
        clock.advance(timedelta(hours=1))
        assert await p.reconciler.reconcile() == [] and p.told == []  # settled: nothing to look up or tell
    finally:
        await p.close()


async def test_a_crash_between_the_send_and_the_journal_is_settled_at_the_next_start(kraken: KrakenStandin,
                                                                                     tmp_path) -> None:
    clock = ManualClock(KRAKEN_NOW)
    p = Process(kraken, tmp_path, clock)
    kraken.delay_next("AddOrder", 30)  # Kraken books it at once but its answer is slow...
    sending = asyncio.create_task(p.order())
    try:
        await asyncio.wait_for(_until(lambda: kraken.orders), 10)
        (intent,) = p.db.unresolved_orders("sending")  # ...and the intent was on disk before it went out
        sending.cancel()  # ...the process dies before the answer, so before the journal
        with pytest.raises(asyncio.CancelledError):
            await sending
    finally:
        await p.close()
    (txid,) = kraken.orders
    assert kraken.orders[txid]["cl_ord_id"] == intent.client_id

    clock.advance(SEND_WINDOW + timedelta(seconds=1))
    again = Process(kraken, tmp_path, clock)  # the restart: its start-up reconcile
    try:
        assert again.db.get_order(txid) is None  # the crash left no journal row
        (line,) = await again.reconciler.reconcile()
        assert line.startswith("Resolved: your buy 0.001 BTC/USD at market was placed (Kraken order " + txid)
        journaled = [o for o in again.db.list_orders() if o.client_id == intent.client_id]
        assert [o.id for o in journaled] == [txid] and journaled[0].source == "command:telegram:42"
        (settled,) = again.db.unresolved_orders(None)
        assert (settled.status, settled.order_id, settled.told_at) == ("placed", txid, None)  # the asker: next
        assert await again.reconciler.reconcile() == []  # once
        assert [o.id for o in again.db.list_orders() if o.client_id == intent.client_id] == [txid]
        assert len(kraken.calls("AddOrder")) == 1 and [e.reply_to for e in again.told] == ["telegram:-100777"]
    finally:
        await again.close()


async def test_a_young_sending_intent_is_left_to_its_own_process(kraken: KrakenStandin, tmp_path) -> None:
    clock = ManualClock(KRAKEN_NOW)
    p = Process(kraken, tmp_path, clock)
    kraken.delay_next("AddOrder", 30)
    sending = asyncio.create_task(p.order())
    try:
        await asyncio.wait_for(_until(lambda: kraken.orders), 10)
        other = Process(kraken, tmp_path, clock)  # e.g. the service, while a CLI order is still being sent
        try:
            assert await other.reconciler.reconcile() == []
            assert [i.status for i in other.db.unresolved_orders(None)] == ["sending"]
        finally:
            await other.close()
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending
    finally:
        await p.close()


async def _until(predicate) -> None:  # noqa: ANN001
    while not predicate():
        await asyncio.sleep(0.01)
