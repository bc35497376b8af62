"""The kill switch's outbox, mixed into Database: the trip and its steps in one transaction, then claimed one by one."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import select, update

from memory.tables.autopilot import KillStepRow, KillSwitchRow
from trading.risk.state import KillStep, KillStepKind, KillSwitchState

if TYPE_CHECKING:
    from sqlmodel import Session


class KillSwitchOutboxMixin:
    """Implements trading.risk.state.KillSwitchOutbox on top of Database.session()."""

    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    def trip_kill_switch(self, state: KillSwitchState, steps: list[KillStep]) -> None:
        """Replace the stored kill switch and record its steps, in one transaction."""
        values = {"tripped": state.tripped, "tripped_at": state.tripped_at, "day": state.day,
                  "reason": state.reason, "equity_at_trip": state.equity_at_trip,
                  "start_equity": state.start_equity, "reset_at": state.reset_at, "reset_by": state.reset_by}
        with self.session(write=True) as s:
            row = s.get(KillSwitchRow, 1)
            if row is None:
                s.add(KillSwitchRow(id=1, **values))
            else:
                for name, value in values.items():
                    setattr(row, name, value)
            at = state.tripped_at
            assert at is not None, "a trip has a time"
            for step in steps:
                s.add(KillStepRow(tripped_at=at, kind=KillStepKind(step.kind).value, text=step.text))
            s.commit()

    def pending_kill_steps(self) -> list[KillStep]:
        """Steps not done yet, oldest first."""
        with self.session() as s:
            rows = s.exec(select(KillStepRow).where(KillStepRow.done == False)  # noqa: E712 - SQL, not Python
                          .order_by(KillStepRow.id)).all()
        return [_step(r) for r in rows]

    def kill_steps(self, limit: int = 20) -> list[KillStep]:
        """The newest steps, done or not (for status screens and tests)."""
        with self.session() as s:
            rows = s.exec(select(KillStepRow).order_by(KillStepRow.id.desc()).limit(limit)).all()
        return [_step(r) for r in rows]

    def claim_kill_step(self, step_id: int, at: datetime) -> bool:
        """Mark a pending step done; True only for the one caller whose update changed it."""
        with self.session(write=True) as s:
            result = s.exec(update(KillStepRow).where(KillStepRow.id == step_id, KillStepRow.done == False)  # noqa: E712
                            .values(done=True, done_at=at))
            s.commit()
            return result.rowcount == 1

    def kill_step_failed(self, step_id: int, error: str) -> None:
        """Count a failed attempt; the step stays pending."""
        with self.session(write=True) as s:
            row = s.get(KillStepRow, step_id)
            if row is not None and not row.done:
                row.attempts += 1
                row.last_error = error[:300]
            s.commit()


def _step(row: KillStepRow) -> KillStep:
    return KillStep(kind=KillStepKind(row.kind), text=row.text, id=row.id, tripped_at=row.tripped_at, done=row.done,
                    attempts=row.attempts, last_error=row.last_error)
