"""The autopilot's persistence, mixed into Database: tick claims, run state, risk state, the evaluation log."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from memory.stores.intents import IntentStoreMixin
from memory.stores.outbox import KillSwitchOutboxMixin
from memory.tables.autopilot import (
    AnnouncedFillRow,
    AutopilotStateRow,
    EvaluationRow,
    KillSwitchRow,
    RiskDayRow,
    TickClaimRow,
)
from trading.autopilot.state import AutopilotState
from trading.decision.evaluation import Decision, Evaluation, FilterResult, SkipReason
from trading.risk.state import DayState, KillSwitchState

if TYPE_CHECKING:
    from sqlmodel import Session

_T = TypeVar("_T")


class AutopilotStoreMixin(IntentStoreMixin, KillSwitchOutboxMixin):
    """Implements trading.risk.state.RiskStore and trading.autopilot.engine.AutopilotStore on top of Database.session()."""

    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    # ---- idempotent ticks -------------------------------------------------------------------------

    def claim_tick(self, symbol: str, candle_time: datetime) -> bool:
        """Claim one symbol's closed candle; True only for the first claim ever, in any process."""
        try:
            with self.session(write=True) as s:
                s.add(TickClaimRow(symbol=symbol, candle_time=candle_time, claimed_at=datetime.now(UTC)))
                s.commit()
        except IntegrityError:
            with self.session() as s:  # the primary key already holds it: a duplicate fire or a restart
                if s.get(TickClaimRow, (symbol, candle_time)) is not None:
                    return False
            raise  # some other constraint failed: not a claim to swallow
        return True

    # ---- fill announcements -----------------------------------------------------------------------

    def claim_fill_announcement(self, fill_id: str, at: datetime) -> bool:
        """Claim the alert of one fill; True only for the first claim ever, in any process or run."""
        try:
            with self.session(write=True) as s:
                s.add(AnnouncedFillRow(fill_id=fill_id[:64], announced_at=at))
                s.commit()
        except IntegrityError:
            with self.session() as s:
                if s.get(AnnouncedFillRow, fill_id[:64]) is not None:
                    return False
            raise
        return True

    def any_fill_announced(self) -> bool:
        """Whether any fill was ever claimed (False on a database that predates announcements)."""
        with self.session() as s:
            return s.exec(select(AnnouncedFillRow.fill_id).limit(1)).first() is not None

    def mark_fills_announced(self, fill_ids: list[str], at: datetime) -> None:
        """Record fills as announced without an alert (the first start: history is not news)."""
        with self.session(write=True) as s:
            known = set(s.exec(select(AnnouncedFillRow.fill_id).where(
                AnnouncedFillRow.fill_id.in_([f[:64] for f in fill_ids]))).all()) if fill_ids else set()
            for fid in dict.fromkeys(f[:64] for f in fill_ids):
                if fid not in known:
                    s.add(AnnouncedFillRow(fill_id=fid, announced_at=at))
            s.commit()

    # ---- run state --------------------------------------------------------------------------------

    def get_autopilot_state(self) -> AutopilotState:
        """The autopilot's run state (disabled and never ticked on a fresh database)."""
        with self.session() as s:
            row = s.get(AutopilotStateRow, 1)
        if row is None:
            return AutopilotState()
        return AutopilotState(enabled=row.enabled, last_tick_at=row.last_tick_at,
                              last_candle_time=row.last_candle_time, next_tick_at=row.next_tick_at,
                              updated_at=row.updated_at, note=row.note)

    def set_autopilot_enabled(self, enabled: bool, by: str, at: datetime | None = None) -> None:
        """Turn the autopilot on or off, noting who did it and when."""
        note = f"{'started' if enabled else 'stopped'} by {by}"[:500]
        self._put_singleton(AutopilotStateRow, 1, {"enabled": enabled, "updated_at": at or datetime.now(UTC),
                                                   "note": note})

    def record_tick(self, last_tick_at: datetime, last_candle_time: datetime | None,
                    next_tick_at: datetime | None) -> None:
        """Note a finished tick (a tick that evaluated nothing keeps the last candle time)."""
        values: dict[str, Any] = {"last_tick_at": last_tick_at, "next_tick_at": next_tick_at}
        if last_candle_time is not None:
            values["last_candle_time"] = last_candle_time
        self._put_singleton(AutopilotStateRow, 1, values)

    # ---- the risk layer's state (trading.risk.state.RiskStore) ------------------------------------

    def get_day(self, day: date) -> DayState | None:
        """The counts of a UTC day, or None."""
        with self.session() as s:
            row = s.get(RiskDayRow, day)
        if row is None:
            return None
        return DayState(day=row.day, start_equity=row.start_equity, trades_total=row.trades_total,
                        trades_by_symbol={k: int(v) for k, v in json.loads(row.trades_by_symbol).items()})

    def put_day(self, state: DayState) -> None:
        """Insert or replace the counts of state.day."""
        self._put_singleton(RiskDayRow, state.day, {
            "day": state.day, "start_equity": state.start_equity, "trades_total": state.trades_total,
            "trades_by_symbol": json.dumps(dict(state.trades_by_symbol), sort_keys=True)})

    def get_kill_switch(self) -> KillSwitchState:
        """The kill switch as stored (untripped if never stored)."""
        with self.session() as s:
            row = s.get(KillSwitchRow, 1)
        if row is None:
            return KillSwitchState()
        return KillSwitchState(tripped=row.tripped, tripped_at=row.tripped_at, day=row.day, reason=row.reason,
                               equity_at_trip=row.equity_at_trip, start_equity=row.start_equity,
                               reset_at=row.reset_at, reset_by=row.reset_by)

    def put_kill_switch(self, state: KillSwitchState) -> None:
        """Replace the stored kill switch."""
        self._put_singleton(KillSwitchRow, 1, {
            "tripped": state.tripped, "tripped_at": state.tripped_at, "day": state.day, "reason": state.reason,
            "equity_at_trip": state.equity_at_trip, "start_equity": state.start_equity,
            "reset_at": state.reset_at, "reset_by": state.reset_by[:200] if state.reset_by else state.reset_by})

    # ---- the evaluation log -----------------------------------------------------------------------

    def record_evaluation(self, ev: Evaluation) -> int:
        """Store one evaluation; returns its row id."""
        with self.session(write=True) as s:
            row = EvaluationRow(**evaluation_values(ev))
            s.add(row)
            s.commit()
            assert row.id is not None
            return row.id

    def list_evaluations(self, symbol: str | None = None, start: datetime | None = None,
                         end: datetime | None = None, limit: int = 100) -> list[Evaluation]:
        """Evaluations newest candle first, with start <= candle_time < end."""
        query = select(EvaluationRow)
        if symbol is not None:
            query = query.where(EvaluationRow.symbol == symbol)
        if start is not None:
            query = query.where(EvaluationRow.candle_time >= start)
        if end is not None:
            query = query.where(EvaluationRow.candle_time < end)
        query = query.order_by(EvaluationRow.candle_time.desc(), EvaluationRow.id.desc()).limit(limit)
        with self.session() as s:
            return [evaluation_from_row(r) for r in s.exec(query)]

    def last_evaluations(self, n: int = 10) -> list[Evaluation]:
        """The n newest evaluations, all symbols."""
        return self.list_evaluations(limit=n)

    def why_not(self, symbol: str, at: datetime) -> Evaluation | None:
        """The evaluation of the candle containing `at`, or else the latest one before it."""
        # A candle contains `at` when it opened at or before it, so both cases are the latest open <= at.
        query = (select(EvaluationRow).where(EvaluationRow.symbol == symbol, EvaluationRow.candle_time <= at)
                 .order_by(EvaluationRow.candle_time.desc(), EvaluationRow.id.desc()).limit(1))
        with self.session() as s:
            row = s.exec(query).first()
            return evaluation_from_row(row) if row is not None else None

    # ---- helpers ----------------------------------------------------------------------------------

    def _put_singleton(self, table: type[SQLModel], key: Any, values: dict[str, Any]) -> None:
        """Update the row with this primary key, or insert it (portable: no ON CONFLICT)."""
        _retry_on_integrity(lambda: self._put_once(table, key, values))

    def _put_once(self, table: type[SQLModel], key: Any, values: dict[str, Any]) -> None:
        with self.session(write=True) as s:
            row = s.get(table, key)
            if row is None:
                s.add(table(**values))
            else:
                for name, value in values.items():
                    setattr(row, name, value)
            s.commit()


def _retry_on_integrity(action: Callable[[], _T]) -> _T:
    # SQLite serialises writers at BEGIN IMMEDIATE; elsewhere two first inserts can race, and then the
    # loser's second attempt finds the row and updates it.
    try:
        return action()
    except IntegrityError:
        return action()


def _float(value: Any) -> float | None:
    """A JSON-safe float: NaN and infinities become None (strict JSON; an indicator without a value)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


def evaluation_values(ev: Evaluation) -> dict[str, Any]:
    """Column values of an evaluation: floats as JSON numbers (repr round-trips), enums by value."""
    return {
        "symbol": ev.symbol, "candle_time": ev.candle_time, "evaluated_at": ev.evaluated_at,
        "decision": Decision(ev.decision).value, "regime": ev.regime, "strategy": ev.strategy,
        "signal": int(ev.signal),
        "indicators": _dumps({str(k): _float(v) for k, v in ev.indicators.items()}),
        "regime_values": _dumps({str(k): _float(v) for k, v in ev.regime_values.items()}),
        "filters": _dumps([{"name": f.name, "passed": bool(f.passed), "value": _float(f.value),
                            "threshold": _float(f.threshold), "detail": f.detail} for f in ev.filters]),
        "reasons": _dumps([str(r) for r in ev.reasons]),
        "skip_reason": SkipReason(ev.skip_reason).value if ev.skip_reason is not None else None,
        "position": _dumps({str(k): str(v) for k, v in ev.position.items()}),
        "order_id": ev.order_id, "mode": str(ev.mode),
    }


def evaluation_from_row(row: EvaluationRow) -> Evaluation:
    """The Evaluation a row was made from."""
    filters = tuple(FilterResult(name=f["name"], passed=f["passed"], value=f["value"], threshold=f["threshold"],
                                 detail=f.get("detail", "")) for f in json.loads(row.filters))
    return Evaluation(
        symbol=row.symbol, candle_time=row.candle_time, evaluated_at=row.evaluated_at,
        decision=Decision(row.decision), regime=row.regime, strategy=row.strategy, signal=row.signal,
        indicators=json.loads(row.indicators), regime_values=json.loads(row.regime_values), filters=filters,
        reasons=tuple(json.loads(row.reasons)),
        skip_reason=SkipReason(row.skip_reason) if row.skip_reason is not None else None,
        position=json.loads(row.position), order_id=row.order_id, mode=row.mode,
    )
