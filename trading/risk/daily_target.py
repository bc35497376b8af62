"""The daily profit target's gate: once the day's gain from its start equity (realised and unrealised: the
equity the kill switch reads) reaches the target, no new entries for the rest of the UTC day. Exits, stops and
targets carry on. The day it was reached is stored, so a restart keeps it; the next UTC day starts afresh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from loguru import logger

from trading.clock import Clock
from trading.decision.evaluation import SkipReason
from trading.events import EventKind, ProfitTargetReached
from trading.risk.profit_target import ProfitTarget

if TYPE_CHECKING:
    from trading.config import RiskSettings

_log = logger.bind(component="risk")
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class TargetReached:
    """The day the target was reached: when, at what equity, against which start, and the target then."""

    day: date
    reached_at: datetime
    equity: Decimal
    start_equity: Decimal
    target: str  # as the owner gave it ("2%", "50 USD"): a changed target is judged afresh

    @property
    def gain(self) -> Decimal:
        return self.equity - self.start_equity


@runtime_checkable
class TargetStore(Protocol):
    """Where the reached days are kept (memory's Database)."""

    def get_target_reached(self, day: date) -> TargetReached | None: ...

    def put_target_reached(self, state: TargetReached) -> None: ...


class _MemoryTargets:
    def __init__(self) -> None:
        self.days: dict[date, TargetReached] = {}

    def get_target_reached(self, day: date) -> TargetReached | None:
        return self.days.get(day)

    def put_target_reached(self, state: TargetReached) -> None:
        self.days[state.day] = state


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _pct(part: Decimal, whole: Decimal) -> str:
    return f"{part / whole * _HUNDRED:.2f}%" if whole else "-"


class DailyProfitTarget:
    """check() each tick with the tick's equity; blocking_reason() for every entry."""

    def __init__(self, store: object, cfg: RiskSettings, clock: Clock) -> None:
        self.store: TargetStore = store if isinstance(store, TargetStore) else _MemoryTargets()
        self.cfg, self.clock = cfg, clock

    @property
    def target(self) -> ProfitTarget | None:
        return self.cfg.daily_profit_target

    def _today(self) -> date:
        return self.clock.now().astimezone(UTC).date()

    def reached(self) -> TargetReached | None:
        """Today's record while it holds: a target set (the same one that was reached) and the same UTC day."""
        target = self.target
        rec = self.store.get_target_reached(self._today())
        if target is None or rec is None or rec.target != str(target):
            return None
        return rec

    def check(self, equity_now: Decimal, day_start_equity: Decimal | None) -> bool:
        """Record the target reached if today's gain reached it; True only in the tick that reaches it."""
        target = self.target
        if target is None or day_start_equity is None or day_start_equity <= 0 or self.reached() is not None:
            return False
        if equity_now - day_start_equity < target.gain(day_start_equity):
            return False
        rec = TargetReached(self._today(), self.clock.now(), equity_now, day_start_equity, str(target))
        self.store.put_target_reached(rec)
        _log.info("daily profit target reached: equity {} is {} above the day's start {} (target {})",
                  equity_now, equity_now - day_start_equity, day_start_equity, target)
        return True

    def event(self, mode: str) -> ProfitTargetReached | None:
        """The alert-worthy event of today's reach (for the tick that reached it), or None."""
        rec = self.reached()
        if rec is None:
            return None
        return ProfitTargetReached(
            EventKind.PROFIT_TARGET_REACHED, rec.reached_at, mode,
            f"daily profit target {rec.target} reached: +{_money(rec.gain)} ({_pct(rec.gain, rec.start_equity)}) "
            f"today; no new entries until 00:00 UTC, open positions keep their stops and targets",
            equity=rec.equity, start_equity=rec.start_equity, target=rec.target)

    def blocking_reason(self) -> tuple[SkipReason, str] | None:
        """PROFIT_TARGET and why, once reached today; else None."""
        rec = self.reached()
        if rec is None:
            return None
        return SkipReason.PROFIT_TARGET, (
            f"daily profit target reached at {rec.reached_at:%H:%M} UTC: equity {_money(rec.equity)} is "
            f"+{_money(rec.gain)} ({_pct(rec.gain, rec.start_equity)}) over the day's start "
            f"{_money(rec.start_equity)} (target {self.target.short(rec.start_equity)}); no new entries until "
            f"00:00 UTC (exits and stops carry on)")


def target_text(target: ProfitTarget | None, start_equity: Decimal | None, quote: str, *,
                reached: TargetReached | None = None, equity_now: Decimal | None = None) -> str:
    """The target in money and percent, and whether it was reached today: for status, auto-config and chat."""
    if target is None:
        return "none (no daily profit target)"
    text = target.describe(start_equity, quote)
    if reached is not None and reached.target == str(target):
        return (f"{text}; REACHED at {reached.reached_at:%H:%M} UTC (+{_money(reached.gain)} {quote}, "
                f"{_pct(reached.gain, reached.start_equity)}): no new entries until 00:00 UTC")
    if start_equity is not None and start_equity > 0 and equity_now is not None:
        gain = equity_now - start_equity
        return f"{text}; not reached today ({'+' if gain >= 0 else ''}{_money(gain)} {quote} so far)"
    return f"{text}; not reached today"
