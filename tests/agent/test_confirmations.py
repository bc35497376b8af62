"""Confirmations and the gate over a real paper exchange and a temp SQLite database (no patching)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from memory import open_database
from memory.db import Database
from tests.fakes import FakeFeed
from tools.catalog import CATALOG
from tools.context import ToolContext
from tools.gate import CallerKind, Gate
from tools.gate.confirm import ALPHABET, Confirmations
from tools.gate.types import Caller, Role, ToolCall
from trading.clock import ManualClock
from trading.config import TradingConfig
from trading.domain import Mode
from trading.exchange.paper.exchange import PaperExchange

NOW = datetime(2024, 5, 6, 14, 7, tzinfo=UTC)
OWNER = Caller(user_id="100", chat_id="chat-1", channel="telegram", role=Role.OWNER, name="jimmy")
STRANGER = Caller(user_id="200", chat_id="chat-1", channel="telegram", role=Role.OWNER, name="mallory")
VIEWER = Caller(user_id="300", chat_id="chat-1", channel="telegram", role=Role.VIEWER)
TRADER = Caller(user_id="400", chat_id="chat-1", channel="telegram", role=Role.TRADER)
BUY = ToolCall("place_order", {"symbol": "btc", "side": "buy", "amount": "0.01"})


@dataclass
class World:
    executor: Gate
    db: Database
    feed: FakeFeed
    clock: ManualClock
    exchange: PaperExchange


def make_world(tmp_path: Path, mode: Mode = Mode.PAPER, clock: ManualClock | None = None,
               feed: FakeFeed | None = None) -> World:
    """A real paper exchange on a temp database; `mode` is the ToolContext's (LIVE only for the policy)."""
    clock = clock or ManualClock(NOW)
    if feed is None:
        feed = FakeFeed(clock=clock)
        feed.set_price("BTC/USD", "60000.0", "60010.0")
    db = open_database(Mode.PAPER, tmp_path)
    ex = PaperExchange(feed, db, clock)
    ex.mode = mode  # the simulator stands in for the LIVE account: the tools' mode guard must see it as such
    ctx = ToolContext(mode=mode, exchange=ex, journal=db, clock=clock, quote_currency="USD",
                      credentials_present=False, log_level="INFO", database="test", store=db,
                      trading_config=TradingConfig())
    return World(Gate(ctx, Confirmations(db, clock)), db, feed, clock, ex)


@pytest.fixture
def live(tmp_path: Path) -> World:
    return make_world(tmp_path, Mode.LIVE)


@pytest.fixture
def paper(tmp_path: Path) -> World:
    return make_world(tmp_path, Mode.PAPER)


async def _orders(w: World) -> int:
    return len(await w.exchange.fetch_open_orders()) + len(await w.exchange.fetch_closed_orders())


async def test_pending_is_stored_with_user_chat_exact_args_code_and_expiry(live: World) -> None:
    out = await live.executor.execute(OWNER, BUY, kind=CallerKind.MODEL)
    assert out.ok and out.result is None and out.pending is not None
    p = out.pending
    assert len(p.code) == 4 and set(p.code) <= set(ALPHABET)
    assert p.summary == "buy 0.01 BTC/USD at market (LIVE)"
    assert p.reference_price == "60010.0"  # the ask: what a buy would pay
    assert "PENDING CONFIRMATION" in out.text() and p.code in out.text()
    stored = live.db.get_pending(p.code)
    assert stored is not None and stored.status == "pending"
    assert (stored.user_id, stored.chat_id, stored.channel) == ("100", "chat-1", "telegram")
    assert stored.tool == "place_order" and stored.args == {"symbol": "btc", "side": "buy", "amount": "0.01"}
    assert stored.expires_at == NOW + timedelta(minutes=2)
    assert await _orders(live) == 0  # nothing ran yet


async def test_same_user_confirms_once_and_a_replay_is_refused(live: World) -> None:
    code = (await live.executor.execute(OWNER, BUY, kind=CallerKind.MODEL)).pending.code
    done = await live.executor.confirm(OWNER, code.lower())  # typed in lower case on a phone
    assert done.ok and done.pending is None and done.result.order.amount == Decimal("0.01")
    record = live.db.get_confirmation(code)
    assert record.status == "executed" and record.result_text == done.text()
    again = await live.executor.confirm(OWNER, code)
    assert not again.ok and again.error == "already confirmed"
    assert await _orders(live) == 1


async def test_a_double_press_runs_once(live: World) -> None:
    code = (await live.executor.execute(OWNER, BUY, kind=CallerKind.COMMAND)).pending.code
    first, second = await asyncio.gather(live.executor.confirm(OWNER, code), live.executor.confirm(OWNER, code))
    assert sorted([first.ok, second.ok]) == [False, True]
    assert (first.error or second.error) == "already confirmed"
    assert await _orders(live) == 1


async def test_another_users_code_is_refused_and_stays_the_askers(live: World) -> None:
    code = (await live.executor.execute(OWNER, BUY, kind=CallerKind.MODEL)).pending.code
    out = await live.executor.confirm(STRANGER, code)
    assert not out.ok and out.error == "only the person who asked can confirm it"
    other_channel = Caller(user_id="100", chat_id="chat-1", channel="discord", role=Role.OWNER)
    assert (await live.executor.confirm(other_channel, code)).error == "only the person who asked can confirm it"
    assert (await live.executor.cancel(STRANGER, code)).error == "only the person who asked can cancel it"
    assert (await live.executor.confirm(OWNER, "ZZZZ")).error == "no confirmation has the code ZZZZ"
    assert await _orders(live) == 0
    assert (await live.executor.confirm(OWNER, code)).ok


async def test_an_expired_confirmation_is_refused(live: World) -> None:
    code = (await live.executor.execute(OWNER, BUY, kind=CallerKind.MODEL)).pending.code
    live.clock.advance(timedelta(minutes=2, seconds=1))
    out = await live.executor.confirm(OWNER, code)
    assert not out.ok and out.error == "that confirmation expired; ask again"
    assert live.db.get_confirmation(code).status == "expired"
    assert await _orders(live) == 0


async def test_a_pending_confirmation_survives_a_restart(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    first = make_world(tmp_path, Mode.LIVE, clock)
    code = (await first.executor.execute(OWNER, BUY, kind=CallerKind.MODEL)).pending.code
    first.db.close()
    clock.advance(60)
    second = make_world(tmp_path, Mode.LIVE, clock)  # new objects, same database file
    out = await second.executor.confirm(OWNER, code)
    assert out.ok and out.result.order.amount == Decimal("0.01")
    assert (await second.executor.confirm(OWNER, code)).error == "already confirmed"


async def test_a_moved_price_is_refused_and_asked_again_with_a_new_code(live: World) -> None:
    old = (await live.executor.execute(OWNER, BUY, kind=CallerKind.MODEL)).pending
    live.feed.set_price("BTC/USD", "61200.0", "61210.0")  # +2% > the 1% tolerance
    out = await live.executor.confirm(OWNER, old.code)
    assert not out.ok and out.pending is not None and out.pending.code != old.code
    assert out.error == f"price moved from 60,010.00 to 61,210.00; confirm again with code {out.pending.code}"
    assert out.pending.reference_price == "61210.0" and out.pending.args == old.args
    assert live.db.get_confirmation(old.code).status == "refused"
    assert await _orders(live) == 0
    assert (await live.executor.confirm(OWNER, old.code)).error == "already handled"
    done = await live.executor.confirm(OWNER, out.pending.code)
    assert done.ok and await _orders(live) == 1


async def test_a_small_move_within_tolerance_still_executes(live: World) -> None:
    code = (await live.executor.execute(OWNER, BUY, kind=CallerKind.MODEL)).pending.code
    live.feed.set_price("BTC/USD", "60300.0", "60310.0")  # +0.5%
    assert (await live.executor.confirm(OWNER, code)).ok


async def test_the_model_cannot_confirm(live: World) -> None:
    code = (await live.executor.execute(OWNER, BUY, kind=CallerKind.MODEL)).pending.code
    for name in ("confirm", "confirm_action", "Confirm", " confirm_order "):
        out = await live.executor.execute(OWNER, ToolCall(name, {"code": code}), kind=CallerKind.MODEL)
        assert not out.ok and "/confirm" in out.error
    assert live.db.get_confirmation(code).status == "pending"
    assert await _orders(live) == 0
    assert not [n for n in CATALOG if n.lower().startswith("confirm")]
    assert not [t.name for t in live.executor.tools_for(Role.OWNER) if t.name.startswith("confirm")]
    sneaky = {**CATALOG, "confirm_action": CATALOG["get_status"]}
    with pytest.raises(ValueError, match="confirm"):
        Gate(live.executor.ctx, live.executor.confirmations, catalog=sneaky)


async def test_a_viewer_cannot_trade_and_a_trader_cannot_use_admin_tools(paper: World) -> None:
    out = await paper.executor.execute(VIEWER, BUY, kind=CallerKind.MODEL)
    assert not out.ok and out.pending is None and "permission" in out.error
    assert (await paper.executor.execute(VIEWER, ToolCall("get_price", {"symbol": "BTC/USD"}), kind=CallerKind.MODEL)).ok
    assert not (await paper.executor.execute(TRADER, ToolCall("flatten_all"), kind=CallerKind.COMMAND)).ok
    assert (await paper.executor.execute(TRADER, BUY, kind=CallerKind.COMMAND)).ok
    assert {t.permission.value for t in paper.executor.tools_for(Role.VIEWER)} == {"read"}
    assert await _orders(paper) == 1


async def test_paper_runs_orders_directly_but_flatten_all_asks(paper: World) -> None:
    out = await paper.executor.execute(OWNER, BUY, kind=CallerKind.MODEL)
    assert out.ok and out.pending is None and out.result.order.amount == Decimal("0.01")
    flat = await paper.executor.execute(OWNER, ToolCall("flatten_all"), kind=CallerKind.MODEL)
    assert flat.ok and flat.pending is not None and flat.pending.reference_price is None
    assert flat.pending.summary.startswith("EMERGENCY") and flat.pending.summary.endswith("(PAPER)")
    for name in ("cancel_all", "kill_switch_reset"):
        assert (await paper.executor.execute(OWNER, ToolCall(name), kind=CallerKind.COMMAND)).pending is not None
    done = await paper.executor.confirm(OWNER, flat.pending.code)
    assert done.ok and "sold" in done.text()


async def test_live_mode_asks_before_placing_an_order(live: World) -> None:
    out = await live.executor.execute(OWNER, BUY, kind=CallerKind.COMMAND)
    assert out.ok and out.pending is not None
    price = await live.executor.execute(OWNER, ToolCall("get_price", {"symbol": "BTC/USD"}), kind=CallerKind.MODEL)
    assert price.ok and price.pending is None  # reads never ask


async def test_cancel_the_latest_pending_and_bad_calls_are_short_errors(live: World) -> None:
    code = (await live.executor.execute(OWNER, BUY, kind=CallerKind.MODEL)).pending.code
    assert (await live.executor.cancel(VIEWER)).error == "nothing is waiting for your confirmation"
    cancelled = await live.executor.cancel(OWNER)
    assert cancelled.ok and code in cancelled.text()
    assert (await live.executor.confirm(OWNER, code)).error == "that confirmation was cancelled"
    bad = await live.executor.execute(OWNER, ToolCall("place_order", {"symbol": "btc", "side": "buy"}),
                                      kind=CallerKind.MODEL)
    assert not bad.ok and "either an amount" in bad.error
    assert (await live.executor.execute(OWNER, ToolCall("sell_everything"), kind=CallerKind.MODEL)).error == \
        "unknown action 'sell_everything'"
    not_named = await live.executor.execute(OWNER, ToolCall("cancel_all", ["BTC/USD"]), kind=CallerKind.MODEL)  # type: ignore[arg-type]
    assert not not_named.ok and not_named.pending is None and "object" in not_named.error
    unknown_pair = ToolCall("place_order", {"symbol": "NOPE/USD", "side": "buy", "amount": "1"})
    assert not (await live.executor.execute(OWNER, unknown_pair, kind=CallerKind.MODEL)).ok


async def test_tool_errors_are_reported_not_raised(paper: World) -> None:
    huge = ToolCall("place_order", {"symbol": "BTC/USD", "side": "buy", "amount": "1000"})
    out = await paper.executor.execute(OWNER, huge, kind=CallerKind.MODEL)
    assert not out.ok and out.error and out.error != "internal error"


async def test_confirmation_codes_are_unique_among_pending(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    db = open_database(Mode.PAPER, tmp_path)
    confirmations = Confirmations(db, clock)
    codes = {confirmations.create(OWNER, BUY, "buy", None).code for _ in range(200)}
    assert len(codes) == 200 and len(db.list_pending("chat-1", "100", now=clock.now())) == 200


async def test_marking_is_atomic_across_connections(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    one, two = open_database(Mode.PAPER, tmp_path), open_database(Mode.PAPER, tmp_path)  # two "processes"
    pending = Confirmations(one, clock).create(OWNER, BUY, "buy 0.01 BTC/USD at market (PAPER)", "60010.0")
    wins = [db.mark_confirmation(pending.code, "executed", at=NOW) for db in (two, one)]
    assert wins == [True, False] and one.get_confirmation(pending.code).status == "executed"
