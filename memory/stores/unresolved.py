"""LIVE order intents (written ahead, or of unknown outcome), mixed into Database (trading.exchange.kraken.unresolved
settles them; the service tells the asker)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_
from sqlmodel import select

from memory.tables.unresolved import UnresolvedOrderRow
from trading.exchange.kraken.unresolved import OrderIntentRecord

if TYPE_CHECKING:
    from sqlmodel import Session

_OPEN = ("sending", "unknown")  # not settled yet


def _record(row: UnresolvedOrderRow) -> OrderIntentRecord:
    return OrderIntentRecord(client_id=row.client_id, symbol=row.symbol, side=row.side, order_type=row.order_type,
                             amount=row.amount, price=row.price, bracket=row.bracket, asked_by=row.asked_by,
                             asked_at=row.asked_at, status=row.status, order_id=row.order_id,
                             resolved_at=row.resolved_at, note=row.note, reply_to=row.reply_to or "",
                             source=row.source or "", told_at=row.told_at)


class UnresolvedOrderStoreMixin:
    """record_unresolved / unsettled_orders / resolve_unresolved / untold_resolutions on top of Database.session()."""

    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    def record_unresolved(self, intent: OrderIntentRecord) -> None:
        """Keep an intent once per client id: written ahead ("sending"), or of unknown outcome. A second report
        changes nothing, except that a written-ahead intent whose send ended unknown becomes "unknown"."""
        with self.session(write=True) as s:
            row = s.get(UnresolvedOrderRow, intent.client_id)
            if row is not None:
                if row.status == "sending" and intent.status == "unknown":
                    row.status, row.note = "unknown", intent.note[:500]
                    s.add(row)
                    s.commit()
                return
            s.add(UnresolvedOrderRow(
                client_id=intent.client_id, symbol=intent.symbol, side=intent.side, order_type=intent.order_type,
                amount=intent.amount, price=intent.price, bracket=intent.bracket, asked_by=intent.asked_by[:200],
                asked_at=intent.asked_at, status=intent.status, note=intent.note[:500],
                reply_to=intent.reply_to[:200] or None, source=intent.source[:100] or None))
            s.commit()

    def unresolved_orders(self, status: str | None = "unknown") -> list[OrderIntentRecord]:
        """The intents with this status (None: all), oldest first."""
        query = select(UnresolvedOrderRow)
        if status is not None:
            query = query.where(UnresolvedOrderRow.status == status)
        with self.session() as s:
            rows = s.exec(query.order_by(UnresolvedOrderRow.asked_at)).all()
        return [_record(r) for r in rows]

    def unresolved_order(self, client_id: str) -> OrderIntentRecord | None:
        """The intent with this client id, whatever its status (None: there is none)."""
        with self.session() as s:
            row = s.get(UnresolvedOrderRow, client_id)
        return None if row is None else _record(row)

    def unsettled_orders(self, sending_before: datetime) -> list[OrderIntentRecord]:
        """The unknown intents, and the written-ahead ones still "sending" since before `sending_before` (their
        process stopped between the send and the journal), oldest first."""
        query = select(UnresolvedOrderRow).where(or_(
            UnresolvedOrderRow.status == "unknown",
            and_(UnresolvedOrderRow.status == "sending", UnresolvedOrderRow.asked_at < sending_before)))
        with self.session() as s:
            rows = s.exec(query.order_by(UnresolvedOrderRow.asked_at)).all()
        return [_record(r) for r in rows]

    def resolve_unresolved(self, client_id: str, status: str, *, at: datetime, order_id: str | None = None,
                           note: str = "", told: bool = False) -> bool:
        """Settle an open intent (placed or not_placed); False when it was settled already (by another run).
        told: the asker already has the outcome (the order tool's own answer), nothing to deliver."""
        with self.session(write=True) as s:
            row = s.get(UnresolvedOrderRow, client_id)
            if row is None or row.status not in _OPEN:
                return False
            row.status, row.order_id, row.resolved_at, row.note = status, order_id, at, note[:500]
            if told:
                row.told_at = at
            s.add(row)
            s.commit()
        return True

    def untold_resolutions(self, channels: Iterable[str]) -> list[OrderIntentRecord]:
        """Settled intents whose asker, in a chat of one of these front ends, has not been told yet, oldest first."""
        prefixes = [f"{c}:" for c in channels]
        if not prefixes:
            return []
        query = select(UnresolvedOrderRow).where(
            UnresolvedOrderRow.status.in_(("placed", "not_placed")),  # type: ignore[attr-defined]
            UnresolvedOrderRow.told_at.is_(None),  # type: ignore[union-attr]
            or_(*(UnresolvedOrderRow.reply_to.startswith(p) for p in prefixes)))  # type: ignore[union-attr]
        with self.session() as s:
            rows = s.exec(query.order_by(UnresolvedOrderRow.resolved_at)).all()
        return [_record(r) for r in rows]

    def mark_told(self, client_id: str, at: datetime) -> None:
        """The asker has the resolution (or it was given up on): never delivered again."""
        with self.session(write=True) as s:
            row = s.get(UnresolvedOrderRow, client_id)
            if row is not None and row.told_at is None:
                row.told_at = at
                s.add(row)
                s.commit()
