"""The learner's persistence, mixed into Database (implements trading.learning.records.LearningStore)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from memory.tables.learning import (
    LearningArmRow,
    LearningChangeRow,
    LearningControlRow,
    LearningRiskRow,
    LearningTradeRow,
    OutcomeRow,
    OutcomeSeedRow,
    ShadowSignalRow,
)
from trading.learning.records import Freeze, LearningChange, OpenTrade, PendingShadow, Provenance, SeedSet
from trading.learning.risk import RiskFactor
from trading.learning.selector import Arm, Key

if TYPE_CHECKING:
    from sqlmodel import Session

    from trading.learning.outcomes import TradeOutcome  # at run time in _outcome: it pulls numpy


def _outcome_row(o: TradeOutcome, at: datetime) -> OutcomeRow:
    return OutcomeRow(ref=o.ref[:120], source=o.source, shadow=o.shadow, symbol=o.symbol, strategy=o.strategy,
                      regime=o.regime, entry_time=o.entry_time, exit_time=o.exit_time, hour=o.hour,
                      weekday=o.weekday, hold_minutes=o.hold_minutes, entry_price=o.entry_price,
                      exit_price=o.exit_price, net_return=o.net_return, gross_return=o.gross_return,
                      r_multiple=o.r_multiple, mae=o.mae, mfe=o.mfe, exit_reason=o.exit_reason[:16], recorded_at=at)


def _outcome(r: OutcomeRow) -> TradeOutcome:
    from trading.learning.outcomes import TradeOutcome

    return TradeOutcome(ref=r.ref, source=r.source, shadow=r.shadow, symbol=r.symbol, strategy=r.strategy,
                        regime=r.regime, entry_time=r.entry_time, exit_time=r.exit_time, entry_price=r.entry_price,
                        exit_price=r.exit_price, net_return=r.net_return, gross_return=r.gross_return,
                        r_multiple=r.r_multiple, mae=r.mae, mfe=r.mfe, exit_reason=r.exit_reason)


def _utc(value: datetime) -> datetime:
    """An aggregate's time (SQLite gives it back naive or as text): aware, in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _key(strategy: str, regime: str, pair: str) -> Key:
    return (strategy, regime, pair) if pair else (strategy, regime)


class LearningStoreMixin:
    """Outcomes, pending shadows, the learner's open trades, arm states with their changes, and the freeze."""

    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    # ---- outcomes ---------------------------------------------------------------------------------

    def record_outcome(self, outcome: TradeOutcome, at: datetime) -> bool:
        """Store one outcome; False (and nothing written) when its ref is stored already."""
        try:
            with self.session(write=True) as s:
                s.add(_outcome_row(outcome, at))
                s.commit()
        except IntegrityError:
            return False
        return True

    def list_outcomes(self, strategy: str | None = None, limit: int | None = None) -> list[TradeOutcome]:
        """Outcomes, oldest first (the newest `limit` when given)."""
        with self.session() as s:
            q = select(OutcomeRow)
            if strategy:
                q = q.where(OutcomeRow.strategy == strategy)
            q = q.order_by(col(OutcomeRow.exit_time).desc(), col(OutcomeRow.id).desc())
            if limit:
                q = q.limit(limit)
            rows = list(s.exec(q))
        return [_outcome(r) for r in reversed(rows)]

    def outcome_returns(self, strategy: str | None = None) -> list[tuple[str, str, str, float, float, bool]]:
        """(strategy, regime, pair, net return, gross return, shadow) of every outcome: what the selector reads."""
        t = OutcomeRow.__table__
        q = sa_select(t.c.strategy, t.c.regime, t.c.symbol, t.c.net_return, t.c.gross_return, t.c.shadow)
        if strategy:
            q = q.where(t.c.strategy == strategy)
        with self.session() as s:
            rows = s.execute(q.order_by(t.c.exit_time, t.c.id)).all()  # oldest exit first: an arm's recent drawdown
        return [(a, b, c, float(d), float(e), bool(f)) for a, b, c, d, e, f in rows]

    # ---- shadows ----------------------------------------------------------------------------------

    def add_shadow(self, symbol: str, strategy: str, regime: str, candle_time: datetime, atr: float,
                   why_not: str, at: datetime) -> bool:
        """Remember a signal not taken; False when this candle's signal is pending already."""
        try:
            with self.session(write=True) as s:
                s.add(ShadowSignalRow(symbol=symbol, strategy=strategy, regime=regime, candle_time=candle_time,
                                      atr=atr, why_not=why_not[:40], created_at=at))
                s.commit()
        except IntegrityError:
            return False
        return True

    def pending_shadows(self, symbol: str | None = None) -> list[PendingShadow]:
        with self.session() as s:
            q = select(ShadowSignalRow).order_by(col(ShadowSignalRow.candle_time), col(ShadowSignalRow.id))
            if symbol:
                q = q.where(ShadowSignalRow.symbol == symbol)
            rows = list(s.exec(q))
        return [PendingShadow(r.id or 0, r.symbol, r.strategy, r.regime, r.candle_time, r.atr, r.why_not)
                for r in rows]

    def settle_shadow(self, shadow_id: int, outcome: TradeOutcome | None, at: datetime) -> None:
        """Drop a pending shadow and store its outcome (None: it can no longer be settled), in one transaction."""
        with self.session(write=True) as s:
            s.execute(delete(ShadowSignalRow).where(col(ShadowSignalRow.id) == shadow_id))
            if outcome is not None:
                exists = s.exec(select(OutcomeRow.id).where(OutcomeRow.ref == outcome.ref[:120])).first()
                if exists is None:
                    s.add(_outcome_row(outcome, at))
            s.commit()

    # ---- the learner's open trades ----------------------------------------------------------------

    def open_learning_trade(self, trade: OpenTrade) -> None:
        with self.session(write=True) as s:
            row = s.get(LearningTradeRow, trade.symbol)
            if row is not None:
                s.delete(row)
                s.flush()
            s.add(LearningTradeRow(symbol=trade.symbol, strategy=trade.strategy, regime=trade.regime,
                                   entry_order_id=trade.entry_order_id, candle_time=trade.candle_time,
                                   opened_at=trade.opened_at, stop=trade.stop, low=trade.low, high=trade.high))
            s.commit()

    def learning_trade(self, symbol: str) -> OpenTrade | None:
        with self.session() as s:
            r = s.get(LearningTradeRow, symbol)
        if r is None:
            return None
        return OpenTrade(r.symbol, r.strategy, r.regime, r.entry_order_id, r.candle_time, r.opened_at, r.stop,
                         r.low, r.high)

    def note_extremes(self, symbol: str, low: float, high: float) -> None:
        """Widen the held position's low and high with newer candles."""
        with self.session(write=True) as s:
            r = s.get(LearningTradeRow, symbol)
            if r is None:
                return
            r.low = low if r.low is None else min(r.low, low)
            r.high = high if r.high is None else max(r.high, high)
            s.add(r)
            s.commit()

    def close_learning_trade(self, symbol: str, outcome: TradeOutcome | None, at: datetime) -> None:
        """The position closed: its outcome stored and the open trade dropped, in one transaction."""
        with self.session(write=True) as s:
            s.execute(delete(LearningTradeRow).where(col(LearningTradeRow.symbol) == symbol))
            if outcome is not None and s.exec(select(OutcomeRow.id).where(
                    OutcomeRow.ref == outcome.ref[:120])).first() is None:
                s.add(_outcome_row(outcome, at))
            s.commit()

    # ---- arms, changes, the freeze ----------------------------------------------------------------

    def arm_states(self) -> dict[Key, Arm]:
        with self.session() as s:
            rows = list(s.exec(select(LearningArmRow)))
        return {_key(r.strategy, r.regime, r.pair): Arm(_key(r.strategy, r.regime, r.pair), r.n, r.mean,
                                                        -math.inf if r.lcb is None else r.lcb, r.on) for r in rows}

    def apply_arms(self, arms: dict[Key, Arm], changes: list[LearningChange], at: datetime, *,
                   risk: dict[Key, RiskFactor] | None = None) -> None:
        """Replace the arms' states (and, given, their risk factors) and record the changes, in one transaction;
        refused while frozen. A factor is stored clamped to (0, 1]: never above the configured risk."""
        with self.session(write=True) as s:
            control = s.get(LearningControlRow, 1)
            if control is not None and control.frozen:
                return
            s.execute(delete(LearningArmRow))
            for key, a in arms.items():
                s.add(LearningArmRow(strategy=key[0], regime=key[1], pair=key[2] if len(key) > 2 else "", on=a.on,
                                     n=a.n, mean=a.mean, lcb=a.lcb if math.isfinite(a.lcb) else None,
                                     updated_at=at))
            if risk is not None:
                s.execute(delete(LearningRiskRow))
                for key, f in risk.items():
                    factor = min(1.0, f.factor) if math.isfinite(f.factor) and f.factor > 0 else 0.0
                    s.add(LearningRiskRow(strategy=key[0], regime=key[1], pair=key[2] if len(key) > 2 else "",
                                          factor=factor, why=f.why, updated_at=at))
            for c in changes:
                s.add(self._change_row(c))
            s.commit()

    @staticmethod
    def _change_row(c: LearningChange) -> LearningChangeRow:
        k = c.key or ()
        return LearningChangeRow(at=c.at, kind=c.kind, strategy=k[0] if k else None, regime=k[1] if k else None,
                                 pair=k[2] if len(k) > 2 else None, why=c.why, by=c.by[:200])

    def learning_freeze(self) -> Freeze:
        with self.session() as s:
            r = s.get(LearningControlRow, 1)
        return Freeze() if r is None else Freeze(r.frozen, r.by, r.at)

    def set_learning_freeze(self, frozen: bool, by: str, at: datetime, why: str = "") -> None:
        """Freeze (or unfreeze) the arms' states, recorded as a change."""
        with self.session(write=True) as s:
            r = s.get(LearningControlRow, 1) or LearningControlRow(id=1)
            r.frozen, r.by, r.at = frozen, by[:200], at
            s.add(r)
            s.add(self._change_row(LearningChange(at, "freeze" if frozen else "unfreeze", None,
                                                  why or ("frozen by the owner" if frozen else "unfrozen"), by)))
            s.commit()

    def risk_factors(self) -> dict[Key, RiskFactor]:
        with self.session() as s:
            rows = list(s.exec(select(LearningRiskRow)))
        return {_key(r.strategy, r.regime, r.pair): RiskFactor(_key(r.strategy, r.regime, r.pair), r.factor, r.why)
                for r in rows}

    def reset_learning(self, by: str, at: datetime, *, seeds_only: bool = False) -> int:
        """Forget every outcome, pending shadow, arm state and risk factor (the change log stays); returns the
        outcomes dropped. seeds_only: forget only the seeded outcomes (the arms follow at the next refresh)."""
        with self.session(write=True) as s:
            if seeds_only:
                refs = [r for r in s.exec(select(OutcomeSeedRow.ref))]
                for k in range(0, len(refs), 500):
                    s.execute(delete(OutcomeRow).where(col(OutcomeRow.ref).in_(refs[k:k + 500])))
                s.execute(delete(OutcomeSeedRow))
                n = len(refs)
                why = f"seeds reset by the owner: {n} seeded outcomes forgotten"
            else:
                n = len(list(s.exec(select(OutcomeRow.id))))
                for table in (OutcomeRow, OutcomeSeedRow, ShadowSignalRow, LearningArmRow, LearningRiskRow):
                    s.execute(delete(table))  # open trades still close and count
                why = f"reset by the owner: {n} outcomes forgotten (seeds included), every arm off"
            s.add(self._change_row(LearningChange(at, "reset", None, why, by)))
            s.commit()
        return n

    # ---- seeds: outcomes of out-of-sample test windows ----------------------------------------------

    def seed_outcomes(self, seeds: list[tuple[TradeOutcome, Provenance]], by: str, at: datetime) -> int:
        """Store seeded outcomes with their provenance, in one transaction (refs stored already are skipped);
        recorded as one change. Returns how many were stored."""
        with self.session(write=True) as s:
            have = set(s.exec(select(OutcomeRow.ref)))
            stored = 0
            sets: set[str] = set()
            for o, p in seeds:
                ref = o.ref[:120]
                if ref in have:
                    continue
                have.add(ref)
                s.add(_outcome_row(o, at))
                s.add(OutcomeSeedRow(ref=ref, source=p.source[:20], candle_set=p.candle_set, window_start=p.window_start,
                                     window_end=p.window_end, seeded_at=at))
                stored += 1
                sets.add(f"{p.source} on {p.candle_set}")
            if stored:
                s.add(self._change_row(LearningChange(at, "seed", None, f"{stored} out-of-sample outcomes seeded "
                                                      f"from {', '.join(sorted(sets))}", by)))
            s.commit()
        return stored

    def seed_sets(self) -> list[SeedSet]:
        """The seeded outcomes grouped by source and candle set."""
        t = OutcomeSeedRow.__table__
        q = sa_select(t.c.source, t.c.candle_set, func.count(), func.count(func.distinct(t.c.window_start)),
                      func.min(t.c.window_start), func.max(t.c.window_end), func.max(t.c.seeded_at)
                      ).group_by(t.c.source, t.c.candle_set).order_by(t.c.candle_set)
        with self.session() as s:
            rows = s.execute(q).all()
        return [SeedSet(a, b, int(n), int(w), _utc(first), _utc(last), _utc(at)) for a, b, n, w, first, last, at
                in rows]

    def seed_counts(self) -> dict[Key, int]:
        """Seeded outcomes per (strategy, regime) and per (strategy, regime, pair)."""
        o, sd = OutcomeRow.__table__, OutcomeSeedRow.__table__
        q = sa_select(o.c.strategy, o.c.regime, o.c.symbol, func.count()).select_from(
            o.join(sd, o.c.ref == sd.c.ref)).group_by(o.c.strategy, o.c.regime, o.c.symbol)
        with self.session() as s:
            rows = s.execute(q).all()
        out: dict[Key, int] = {}
        for strategy, regime, pair, n in rows:
            out[(strategy, regime)] = out.get((strategy, regime), 0) + int(n)
            out[(strategy, regime, pair)] = int(n)
        return out

    def learning_changes(self, limit: int = 20, strategy: str | None = None) -> list[LearningChange]:
        """The newest changes first."""
        with self.session() as s:
            q = select(LearningChangeRow).order_by(col(LearningChangeRow.at).desc(), col(LearningChangeRow.id).desc())
            if strategy:
                q = q.where(LearningChangeRow.strategy == strategy)
            rows = list(s.exec(q.limit(limit)))
        return [LearningChange(r.at, r.kind, (_key(r.strategy, r.regime or "", r.pair or "") if r.strategy else None),
                               r.why, r.by) for r in rows]
