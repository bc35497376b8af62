"""The other stores on SQLite and PostgreSQL: confirmations, conversations, reports, fill alerts, settings."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from memory import Database
from memory.stores.conversations import StoredMessage
from memory.tables.agent import ConfirmationRow
from tests.memory.conftest import Backend
from trading.domain import Balance, Mode, Order, OrderStatus, OrderType, Side
from trading.risk.state import KillSwitchState

T0 = datetime(2025, 2, 3, 21, 0, tzinfo=UTC)


@pytest.fixture
def db(backend: Backend) -> Iterator[Database]:
    database = backend.open(Mode.PAPER)
    yield database
    database.close()


@dataclass
class Pending:
    code: str
    tool: str = "place_order"
    args: dict[str, Any] = field(default_factory=lambda: {"symbol": "BTC/USD", "side": "buy", "amount": "0.01"})
    user_id: str = "100"
    chat_id: str = "chat-1"
    created_at: datetime = T0
    expires_at: datetime = T0 + timedelta(minutes=5)
    summary: str = "buy 0.01 BTC/USD at market (PAPER)"
    reference_price: str | None = "60010.0"


# ---- confirmations ----------------------------------------------------------------------------------


def test_a_code_is_unique_among_pending_confirmations_and_reused_after(db: Database) -> None:
    assert db.add_pending(Pending("K7Q2"), channel="telegram")
    assert not db.add_pending(Pending("K7Q2", created_at=T0 + timedelta(seconds=1)))  # still pending
    got = db.get_pending("k7q2 ")
    assert got is not None and got.args == Pending("K7Q2").args and got.created_at == T0
    assert got.created_at.tzinfo is UTC and got.channel == "telegram"
    assert db.mark_confirmation("K7Q2", "executed", at=T0 + timedelta(seconds=30), user_id="100", created_at=T0)
    assert not db.mark_confirmation("K7Q2", "executed")  # no longer pending
    assert db.record_confirmation_result("K7Q2", "bought 0.01 BTC/USD", created_at=T0)
    later = T0 + timedelta(hours=1)
    assert db.add_pending(Pending("K7Q2", created_at=later, expires_at=later + timedelta(minutes=5)))  # reusable
    assert db.get_confirmation("K7Q2").created_at == later  # the pending one comes first
    assert [r.created_at for r in db.list_pending("chat-1", "100", now=later)] == [later]


def test_the_partial_unique_index_refuses_a_second_pending_row_itself(db: Database) -> None:
    def insert(status: str) -> None:
        with db.session(write=True) as s:
            s.add(ConfirmationRow(code="AB12", tool="t", user_id="1", chat_id="c", created_at=T0,
                                  expires_at=T0 + timedelta(minutes=5), status=status))
            s.commit()

    insert("pending")
    insert("executed")  # resolved rows may share the code
    insert("expired")
    with pytest.raises(IntegrityError):
        insert("pending")  # what a racing process would hit after its own check passed


def test_only_one_of_two_connections_confirms(backend: Backend) -> None:
    one, two = backend.open(), backend.open()
    try:
        assert one.add_pending(Pending("ZZ99"))
        wins: list[bool] = []
        threads = [threading.Thread(target=lambda d=d: wins.append(d.mark_confirmation("ZZ99", "executed", at=T0)))
                   for d in (one, two) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert sorted(wins) == [False] * 5 + [True]
    finally:
        one.close(), two.close()


def test_expired_confirmations_free_their_codes(db: Database) -> None:
    db.add_pending(Pending("OLD1"))
    db.add_pending(Pending("NEW1", expires_at=T0 + timedelta(hours=1)))
    assert db.list_pending(now=T0 + timedelta(minutes=10))[0].code == "NEW1"
    assert not db.mark_confirmation("OLD1", "executed", unexpired_at=T0 + timedelta(minutes=10))
    assert db.expire_confirmations(T0 + timedelta(minutes=10)) == 1
    assert db.get_confirmation("OLD1").status == "expired"
    assert db.add_pending(Pending("OLD1", created_at=T0 + timedelta(minutes=11)))


# ---- conversations ----------------------------------------------------------------------------------


def test_conversation_window_and_summary(db: Database) -> None:
    for i in range(5):
        db.append_message("chat-1", "user" if i % 2 == 0 else "assistant", f"message {i} — «ü» 📈", T0 + timedelta(i))
    db.append_message("chat-2", "user", "elsewhere", T0)
    assert db.count_messages("chat-1") == 5
    assert [m.text[:9] for m in db.recent_messages("chat-1", 2)] == ["message 3", "message 4"]
    seen: list[StoredMessage] = []

    def fold(summary: str, messages: list[StoredMessage]) -> str:
        seen.extend(messages)
        return (summary + " " + " ".join(m.text[:9] for m in messages)).strip()

    assert db.fold_messages("chat-1", keep=2, fold=fold, at=T0) == 3
    assert [m.at for m in seen] == [T0, T0 + timedelta(1), T0 + timedelta(2)]
    assert db.get_summary("chat-1") == "message 0 message 1 message 2"
    assert db.count_messages("chat-1") == 2 and db.count_messages("chat-2") == 1
    db.set_summary("chat-1", "replaced", at=T0)
    assert db.get_summary("chat-1") == "replaced" and db.get_summary("nobody") == ""
    with pytest.raises(ValueError):
        db.append_message("chat-1", "system", "x", T0)


def test_a_nul_character_in_a_message_is_stored_on_both(db: Database, backend: Backend) -> None:
    db.append_message("chat-1", "user", "before\x00after", T0)  # PostgreSQL's text cannot hold NUL
    [message] = db.recent_messages("chat-1", 1)
    assert message.text == ("before\x00after" if backend.name == "sqlite" else "before\ufffdafter")


# ---- reports and fill alerts ------------------------------------------------------------------------


def test_a_report_is_claimed_once_a_day_unless_it_failed(backend: Backend) -> None:
    one, two = backend.open(), backend.open()
    day = date(2025, 2, 3)
    try:
        assert one.claim_report("daily", day, T0, by="pid-1")
        assert not two.claim_report("daily", day, T0, by="pid-2")  # another process, the same day
        run = one.finish_report("daily", day, at=T0, ok=[], failed={"telegram": "timed out"}, error="nothing sent")
        assert run.status == "failed"
        assert two.claim_report("daily", day, T0 + timedelta(minutes=5), by="pid-2")  # a failed run is taken again
        assert not one.claim_report("daily", day, T0 + timedelta(minutes=5))
        one.finish_report("daily", day, at=T0 + timedelta(minutes=6), ok=["telegram"], failed={})
        got = two.get_report_run("daily", day)
        assert (got.status, got.attempts, got.claimed_by, got.channels_ok) == ("sent", 2, "pid-2", ("telegram",))
        assert got.sent_at == T0 + timedelta(minutes=6) and got.error is None
        assert not two.claim_report("daily", day, T0 + timedelta(hours=1))
        assert two.claim_report("daily", day + timedelta(days=1), T0 + timedelta(days=1))
    finally:
        one.close(), two.close()


def test_equity_points_come_from_balance_snapshots(db: Database) -> None:
    usd = {"USD": Balance("USD", D("100"))}
    for minutes, equity, source in ((0, "1000.5", "kraken"), (0, "1000.5", "paper"), (5, None, "kraken"),
                                    (10, "1010.25", "kraken")):
        db.record_balance_snapshot(usd, T0 + timedelta(minutes=minutes), D(equity) if equity else None, source)
    assert db.equity_points(T0, T0 + timedelta(hours=1)) == [(T0, D("1000.5")),
                                                             (T0 + timedelta(minutes=10), D("1010.25"))]
    assert db.equity_before(T0 + timedelta(minutes=7)) == (T0, D("1000.5"))
    assert db.equity_before(T0 - timedelta(seconds=1)) is None


def test_each_fill_is_announced_once(backend: Backend) -> None:
    one, two = backend.open(), backend.open()
    try:
        assert not one.any_fill_announced()
        long_id = "T" * 80  # longer than the column: kept as its first 64 characters, on both backends
        assert one.claim_fill_announcement(long_id, T0)
        assert not two.claim_fill_announcement(long_id, T0)
        two.mark_fills_announced(["A", "B", "A", long_id], T0)
        assert one.any_fill_announced()
        assert [one.claim_fill_announcement(f, T0) for f in ("A", "B", "C")] == [False, False, True]
    finally:
        one.close(), two.close()


# ---- settings -----------------------------------------------------------------------------------------


def test_alert_settings_and_risk_overrides_persist(backend: Backend) -> None:
    db = backend.open()
    assert db.get_alert_delivery("daily_report", "sms") == "off"
    db.set_alert_deliveries({("fill", "sms"): "off", ("fill", "email"): "silent"}, by="telegram:1", at=T0)
    with pytest.raises(ValueError):
        db.set_alert_deliveries({("fill", "sms"): "loud"}, by="x", at=T0)
    db.set_overrides("risk", {"risk_per_trade": "0.02", "max_positions": "3"}, by="cli", at=T0)
    db.set_overrides("risk", {"risk_per_trade": "0.015"}, by="x" * 300, at=T0)  # a long name is cut, not refused
    db.close()
    again = backend.open()
    try:
        assert again.alert_deliveries("fill")[("fill", "email")] == "silent"
        assert again.get_alert_delivery("fill", "sms") == "off"
        changed = [s for s in again.list_alert_settings() if not s.is_default]
        assert [(s.kind, s.channel, s.updated_at) for s in changed] == [("fill", "email", T0), ("fill", "sms", T0)]
        assert again.get_overrides("risk") == {"risk_per_trade": "0.015", "max_positions": "3"}
    finally:
        again.close()


def test_free_text_longer_than_its_column_is_cut_the_same_on_both(db: Database) -> None:
    reason = "because " * 100  # 800 characters; the column holds 500 (SQLite would keep all, PostgreSQL refuse)
    order = Order(id="O1", client_id="c1", symbol="BTC/USD", side=Side.BUY, type=OrderType.MARKET, amount=D("1"),
                  status=OrderStatus.CLOSED, created_at=T0, updated_at=T0, reason=reason)
    db.record_order(order)
    assert db.get_order("O1").reason == reason[:500]
    db.put_kill_switch(KillSwitchState(False, T0, date(2025, 2, 3), "r" * 2000, D("1"), D("2"), T0, "y" * 300))
    got = db.get_kill_switch()
    assert got.reason == "r" * 2000 and got.reset_by == "y" * 200
