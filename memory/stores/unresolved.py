"""Unresolved LIVE order intents, mixed into Database (trading.exchange.kraken.unresolved settles them)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import select

from memory.tables.unresolved import UnresolvedOrderRow
from trading.exchange.kraken.unresolved import OrderIntentRecord

if TYPE_CHECKING:
    from sqlmodel import Session


def _record(row: UnresolvedOrderRow) -> OrderIntentRecord:
    return OrderIntentRecord(client_id=row.client_id, symbol=row.symbol, side=row.side, order_type=row.order_type,
                             amount=row.amount, price=row.price, bracket=row.bracket, asked_by=row.asked_by,
                             asked_at=row.asked_at, status=row.status, order_id=row.order_id,
                             resolved_at=row.resolved_at, note=row.note)


class UnresolvedOrderStoreMixin:
    """record_unresolved / unresolved_orders / resolve_unresolved on top of Database.session()."""

    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    def record_unresolved(self, intent: OrderIntentRecord) -> None:
        """Keep an order whose outcome is unknown (once per client id: a second report changes nothing)."""
        with self.session(write=True) as s:
            if s.get(UnresolvedOrderRow, intent.client_id) is not None:
                return
            s.add(UnresolvedOrderRow(
                client_id=intent.client_id, symbol=intent.symbol, side=intent.side, order_type=intent.order_type,
                amount=intent.amount, price=intent.price, bracket=intent.bracket, asked_by=intent.asked_by[:200],
                asked_at=intent.asked_at, status="unknown", note=intent.note[:500]))
            s.commit()

    def unresolved_orders(self, status: str | None = "unknown") -> list[OrderIntentRecord]:
        """The intents with this status (None: all), oldest first."""
        query = select(UnresolvedOrderRow)
        if status is not None:
            query = query.where(UnresolvedOrderRow.status == status)
        with self.session() as s:
            rows = s.exec(query.order_by(UnresolvedOrderRow.asked_at)).all()
        return [_record(r) for r in rows]

    def resolve_unresolved(self, client_id: str, status: str, *, at: datetime, order_id: str | None = None,
                           note: str = "") -> bool:
        """Settle an unknown intent (placed or not_placed); False when it was settled already (by another run)."""
        with self.session(write=True) as s:
            row = s.get(UnresolvedOrderRow, client_id)
            if row is None or row.status != "unknown":
                return False
            row.status, row.order_id, row.resolved_at, row.note = status, order_id, at, note[:500]
            s.add(row)
            s.commit()
        return True
