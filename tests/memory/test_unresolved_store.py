"""The unresolved LIVE order intents on SQLite and PostgreSQL: kept once per client id, settled once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.memory.conftest import Backend
from trading.domain import Mode
from trading.exchange.kraken.unresolved import OrderIntentRecord

AT = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)


def test_intents_are_kept_once_and_settled_once(backend: Backend) -> None:
    db = backend.open(Mode.LIVE)
    try:
        for n, when in ((1, AT + timedelta(minutes=1)), (2, AT)):
            db.record_unresolved(OrderIntentRecord(client_id=f"cid-{n}", symbol="BTC/USD", side="buy",
                                                   order_type="limit", amount="0.001", price="60000",
                                                   asked_by="telegram:42", asked_at=when, note="x" * 900))
        db.record_unresolved(OrderIntentRecord(client_id="cid-1", symbol="ETH/USD", side="sell", order_type="market",
                                               amount="9", asked_by="web:1", asked_at=AT))  # a repeat: ignored
        assert [(i.client_id, i.symbol, i.asked_at) for i in db.unresolved_orders()] == [
            ("cid-2", "BTC/USD", AT), ("cid-1", "BTC/USD", AT + timedelta(minutes=1))]
        assert db.resolve_unresolved("cid-1", "placed", at=AT, order_id="OABCDE-FGHIJ-KLMNOP", note="found")
        assert not db.resolve_unresolved("cid-1", "not_placed", at=AT)  # settled already: once only
        assert not db.resolve_unresolved("nope", "placed", at=AT)
        assert [i.client_id for i in db.unresolved_orders()] == ["cid-2"]
        placed = next(i for i in db.unresolved_orders(None) if i.client_id == "cid-1")
        assert (placed.status, placed.order_id, placed.resolved_at, placed.price) == (
            "placed", "OABCDE-FGHIJ-KLMNOP", AT, "60000")
    finally:
        db.close()
