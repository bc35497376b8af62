"""The autopilot's order intents, mixed into Database: an entry is counted in the same transaction as its intent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_
from sqlmodel import select

from memory.tables.autopilot import EvaluationRow, OrderIntentRow, RiskDayRow, TickClaimRow
from trading.autopilot.intents import IntentKind, IntentStatus, OrderIntent

if TYPE_CHECKING:
    from sqlmodel import Session


class IntentStoreMixin:
    """Implements trading.autopilot.engine.intents.IntentStore on top of Database.session()."""

    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    def open_entry_intent(self, intent: OrderIntent) -> int:
        """Save the entry intent and count it in its day, atomically (a crash cannot count one without the other)."""
        with self.session(write=True) as s:
            row = _row(intent)
            s.add(row)
            _count(s, intent, +1)
            s.commit()
            assert row.id is not None
            return row.id

    def open_exit_intent(self, intent: OrderIntent) -> int:
        """Save an exit intent."""
        with self.session(write=True) as s:
            row = _row(intent)
            s.add(row)
            s.commit()
            assert row.id is not None
            return row.id

    def settle_intent(self, intent_id: int, status: IntentStatus, order_id: str | None, at: datetime) -> None:
        """Mark an intent placed or done (with the order it led to)."""
        with self.session(write=True) as s:
            row = s.get(OrderIntentRow, intent_id)
            if row is not None:
                row.status, row.settled_at = IntentStatus(status).value, at
                row.order_id = order_id or row.order_id
            s.commit()

    def void_entry_intent(self, intent_id: int, at: datetime) -> None:
        """Mark an entry never sent and uncount it, atomically; a second call changes nothing."""
        with self.session(write=True) as s:
            row = s.get(OrderIntentRow, intent_id)
            if row is None or row.status != IntentStatus.PENDING.value:
                return
            row.status, row.settled_at = IntentStatus.VOID.value, at
            _count(s, _intent(row), -1)
            s.commit()

    def entry_intent_by_client_id(self, client_id: str) -> OrderIntent | None:
        """The entry intent whose order carries this client id (trading/autopilot/maker.py), or None."""
        with self.session() as s:
            row = s.exec(select(OrderIntentRow).where(OrderIntentRow.client_id == client_id,
                                                      OrderIntentRow.kind == IntentKind.ENTRY.value)
                         .order_by(OrderIntentRow.id.desc()).limit(1)).first()
        return _intent(row) if row is not None else None

    def unfilled_entry_intent(self, intent_id: int, at: datetime) -> bool:
        """A placed maker entry cancelled with nothing filled: mark it unfilled and uncount it, atomically.

        Only a PLACED entry changes (a second call, or one for another status, changes nothing); True if it did.
        """
        with self.session(write=True) as s:
            row = s.get(OrderIntentRow, intent_id)
            if row is None or row.kind != IntentKind.ENTRY.value or row.status != IntentStatus.PLACED.value:
                return False
            row.status, row.settled_at = IntentStatus.UNFILLED.value, at
            _count(s, _intent(row), -1)
            s.commit()
            return True

    def resting_maker_intents(self, symbol: str | None = None) -> list[OrderIntent]:
        """Maker entries (a limit price recorded) that may still rest: pending or placed, not yet seen filled or
        cancelled; oldest first, of one symbol or all."""
        query = select(OrderIntentRow).where(
            OrderIntentRow.kind == IntentKind.ENTRY.value,
            OrderIntentRow.status.in_((IntentStatus.PENDING.value, IntentStatus.PLACED.value)),  # type: ignore[attr-defined]
            OrderIntentRow.limit_price.is_not(None))  # type: ignore[union-attr]
        if symbol is not None:
            query = query.where(OrderIntentRow.symbol == symbol)
        with self.session() as s:
            rows = s.exec(query.order_by(OrderIntentRow.id)).all()
        return [_intent(r) for r in rows]

    def pending_intents(self) -> list[OrderIntent]:
        """Intents not settled yet, oldest first."""
        with self.session() as s:
            rows = s.exec(select(OrderIntentRow).where(OrderIntentRow.status == IntentStatus.PENDING.value)
                          .order_by(OrderIntentRow.id)).all()
        return [_intent(r) for r in rows]

    def intent_for(self, symbol: str, candle_time: datetime) -> OrderIntent | None:
        """The newest intent of this symbol and candle."""
        with self.session() as s:
            row = s.exec(select(OrderIntentRow).where(OrderIntentRow.symbol == symbol,
                                                      OrderIntentRow.candle_time == candle_time)
                         .order_by(OrderIntentRow.id.desc()).limit(1)).first()
        return _intent(row) if row is not None else None

    def list_intents(self, limit: int = 10_000) -> list[OrderIntent]:
        """Intents oldest first (the drill's and the status screens' view)."""
        with self.session() as s:
            rows = s.exec(select(OrderIntentRow).order_by(OrderIntentRow.id).limit(limit)).all()
        return [_intent(r) for r in rows]

    def unfinished_claims(self, since: datetime) -> list[tuple[str, datetime]]:
        """Claims since `since` with no evaluation row (a tick stopped between its claim and its decision)."""
        query = (select(TickClaimRow.symbol, TickClaimRow.candle_time)
                 .outerjoin(EvaluationRow, and_(EvaluationRow.symbol == TickClaimRow.symbol,
                                                EvaluationRow.candle_time == TickClaimRow.candle_time))
                 .where(TickClaimRow.candle_time >= since, EvaluationRow.id.is_(None))  # type: ignore[union-attr]
                 .order_by(TickClaimRow.candle_time))
        with self.session() as s:
            return [(symbol, when) for symbol, when in s.exec(query).all()]


def _count(s: Session, intent: OrderIntent, delta: int) -> None:
    """Add delta to the intent's day counters (total and its symbol), creating the day if needed."""
    day = s.get(RiskDayRow, intent.day)
    if day is None:
        day = RiskDayRow(day=intent.day, start_equity=None, trades_total=0, trades_by_symbol="{}")
        s.add(day)
    by_symbol = {k: int(v) for k, v in json.loads(day.trades_by_symbol).items()}
    by_symbol[intent.symbol] = max(0, by_symbol.get(intent.symbol, 0) + delta)
    day.trades_total = max(0, day.trades_total + delta)
    day.trades_by_symbol = json.dumps(by_symbol, sort_keys=True)


def _row(intent: OrderIntent) -> OrderIntentRow:
    return OrderIntentRow(kind=IntentKind(intent.kind).value, symbol=intent.symbol, candle_time=intent.candle_time,
                          client_id=intent.client_id, day=intent.day, amount=intent.amount, strategy=intent.strategy,
                          reasons=json.dumps(list(intent.reasons)), status=IntentStatus(intent.status).value,
                          order_id=intent.order_id, created_at=datetime.now(UTC), limit_price=intent.limit_price,
                          stop_price=intent.stop_price)


def _intent(row: OrderIntentRow) -> OrderIntent:
    return OrderIntent(kind=IntentKind(row.kind), symbol=row.symbol, candle_time=row.candle_time,
                       client_id=row.client_id, day=row.day, amount=row.amount, strategy=row.strategy,
                       reasons=tuple(json.loads(row.reasons)), id=row.id, status=IntentStatus(row.status),
                       order_id=row.order_id, limit_price=row.limit_price, stop_price=row.stop_price)
