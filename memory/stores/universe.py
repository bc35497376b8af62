"""The universe's record and the daily profit target's days, mixed into Database: record_universe_choice /
latest_universe_choice (what chat and status explain), get/put_target_reached (the autopilot's gate), and the
candles the local store holds for a pair (the universe's history check)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from memory.tables.candles import CandleRow
from memory.tables.universe import ProfitTargetDayRow, UniverseChoiceRow
from trading.risk.daily_target import TargetReached
from trading.universe import LeftOut, UniverseChoice

if TYPE_CHECKING:
    from sqlmodel import Session


class UniverseStoreMixin:
    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    def record_universe_choice(self, choice: UniverseChoice) -> int:
        """Store one choice with its evidence; returns its id."""
        detail = {"volumes": {k: str(v) for k, v in choice.volumes.items()}, "history": choice.history,
                  "left_out": [[o.symbol, o.reason, None if o.quote_volume is None else str(o.quote_volume)]
                               for o in choice.left_out], "counts": choice.counts, "warmup": choice.warmup}
        row = UniverseChoiceRow(chosen_at=choice.at, how=choice.how, quote=choice.quote, size=choice.size,
                                pairs=json.dumps(list(choice.pairs)), detail=json.dumps(detail),
                                note=choice.note[:1000], key=choice.key[:500])
        with self.session(write=True) as s:
            s.add(row)
            s.commit()
            return int(row.id or 0)

    def latest_universe_choice(self) -> UniverseChoice | None:
        """The newest choice, or None if none was ever made."""
        with self.session() as s:
            row = s.execute(select(UniverseChoiceRow).order_by(UniverseChoiceRow.chosen_at.desc(),
                                                               UniverseChoiceRow.id.desc()).limit(1)).scalar()
        if row is None:
            return None
        d = json.loads(row.detail or "{}")
        return UniverseChoice(
            pairs=tuple(json.loads(row.pairs)), how=row.how, at=row.chosen_at, quote=row.quote, size=row.size,
            volumes={k: Decimal(v) for k, v in d.get("volumes", {}).items()},
            history={k: int(v) for k, v in d.get("history", {}).items()},
            left_out=tuple(LeftOut(sym, why, None if vol is None else Decimal(vol))
                           for sym, why, vol in d.get("left_out", [])),
            counts={k: int(v) for k, v in d.get("counts", {}).items()}, note=row.note, warmup=int(d.get("warmup", 0)),
            key=row.key)

    def held_candles(self, pair: str, timeframe: str = "5m") -> tuple[int, datetime | None]:
        """How many candles of pair the local candle store holds, and the newest one's open (None: none)."""
        with self.session() as s:
            n, newest = s.execute(select(func.count(), func.max(CandleRow.open_ms)).where(
                CandleRow.pair == pair, CandleRow.timeframe == timeframe)).one()
        return int(n), datetime.fromtimestamp(int(newest) / 1000, tz=UTC) if newest is not None else None

    def get_target_reached(self, day: date) -> TargetReached | None:
        """The day's record of the daily profit target reached, or None."""
        with self.session() as s:
            row = s.get(ProfitTargetDayRow, day)
        if row is None:
            return None
        return TargetReached(row.day, row.reached_at, row.equity, row.start_equity, row.target)

    def put_target_reached(self, state: TargetReached) -> None:
        """Insert or replace the day's record."""
        with self.session(write=True) as s:
            row = s.get(ProfitTargetDayRow, state.day) or ProfitTargetDayRow(day=state.day)
            row.reached_at, row.equity, row.start_equity, row.target = (state.reached_at, state.equity,
                                                                        state.start_equity, state.target)
            s.add(row)
            s.commit()
