"""The daily entry limits and the daily-loss kill switch, both per UTC day."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal

from loguru import logger

from trading.clock import Clock
from trading.config import RiskSettings
from trading.decision.evaluation import SkipReason
from trading.risk.sizing import Refusal, num
from trading.risk.state import DayState, KillStep, KillStepKind, KillSwitchOutbox, KillSwitchState, RiskStore

_log = logger.bind(component="risk")


def _today(clock: Clock) -> date:
    return clock.now().astimezone(UTC).date()


class DailyLimits:
    """Entries per symbol and in total per UTC day; counts start from zero at 00:00 UTC."""

    def __init__(self, store: RiskStore, cfg: RiskSettings, clock: Clock) -> None:
        self.store, self.cfg, self.clock = store, cfg, clock

    def counts(self) -> DayState:
        """Today's state (zero counts and no start equity if nothing was stored yet)."""
        today = _today(self.clock)
        return self.store.get_day(today) or DayState(day=today, start_equity=None)

    def ensure_day(self, equity: Decimal) -> DayState:
        """Today's state, starting the day with this equity if its start equity is not set yet."""
        state = self.counts()
        if state.start_equity is None:
            state = DayState(state.day, equity, state.trades_total, dict(state.trades_by_symbol))
            self.store.put_day(state)
            _log.info("UTC day {} starts with equity {}", state.day, equity)
        return state

    start_day = ensure_day

    def check(self, symbol: str) -> Refusal | None:
        """DAILY_LIMIT and why, when a new entry in symbol would break a limit; else None."""
        state = self.counts()
        mine = state.trades_by_symbol.get(symbol, 0)
        if mine >= self.cfg.max_trades_per_symbol:
            return SkipReason.DAILY_LIMIT, f"{symbol}: {mine} of {self.cfg.max_trades_per_symbol} entries today"
        if state.trades_total >= self.cfg.max_trades_total:
            return (SkipReason.DAILY_LIMIT,
                    f"{state.trades_total} of {self.cfg.max_trades_total} entries today, all symbols")
        return None

    def record_entry(self, symbol: str) -> DayState:
        """Count one entry in symbol today."""
        state = self.counts()
        by_symbol = dict(state.trades_by_symbol)
        by_symbol[symbol] = by_symbol.get(symbol, 0) + 1
        new = DayState(state.day, state.start_equity, state.trades_total + 1, by_symbol)
        self.store.put_day(new)
        return new


class KillSwitch:
    """Stops new entries for the rest of the UTC day once equity falls daily_loss_limit below the day's start."""

    def __init__(self, store: RiskStore, cfg: RiskSettings, clock: Clock) -> None:
        self.store, self.cfg, self.clock = store, cfg, clock

    @property
    def state(self) -> KillSwitchState:
        """The stored state (tripped may be stale: is_tripped() says whether it still holds)."""
        return self.store.get_kill_switch()

    def is_tripped(self) -> bool:
        """True from the trip until 00:00 UTC the next day, or until an explicit reset."""
        state = self.state
        return state.tripped and state.day is not None and state.day >= _today(self.clock)

    def check(self, equity_now: Decimal, day_start_equity: Decimal | None) -> bool:
        """Trip if equity (unrealised P&L included) crossed the limit; True only in the tick that trips it."""
        if day_start_equity is None or day_start_equity <= 0:
            return False
        state = self.state
        today = _today(self.clock)
        if state.tripped and state.day is not None and state.day >= today:
            return False  # already tripped today: it trips once
        baseline = day_start_equity
        if state.day == today and state.equity_at_trip is not None:
            # Reset earlier today: the next trip needs a further full limit's loss from where it tripped,
            # otherwise a reset below the line would trip again on the very next tick.
            baseline = min(baseline, state.equity_at_trip)
        limit = self.cfg.daily_loss_limit  # a share of the day's start, or money: whichever the owner gave
        floor = baseline - limit.allowed(baseline)
        if equity_now > floor:
            return False
        loss = (day_start_equity - equity_now) / day_start_equity
        reason = (f"equity {num(equity_now, 2)} is {num(day_start_equity - equity_now, 2)} "
                  f"({num(loss * 100, 2)}%) below the day's start {num(day_start_equity, 2)} "
                  f"(limit {limit.short(day_start_equity)})")
        state = KillSwitchState(tripped=True, tripped_at=self.clock.now(), day=today, reason=reason,
                                equity_at_trip=equity_now, start_equity=day_start_equity)
        if isinstance(self.store, KillSwitchOutbox):
            # The trip and what it must still do are saved together: a crash or a refused cancel right
            # after the trip cannot leave a resting buy open or the people uninformed (retried until done).
            self.store.trip_kill_switch(state, self.steps(equity_now, day_start_equity))
        else:
            self.store.put_kill_switch(state)
        _log.warning("kill switch tripped: {}", reason)
        return True

    def steps(self, equity_now: Decimal, day_start_equity: Decimal) -> list[KillStep]:
        """What a trip must do: cancel the resting buys, flatten if configured, and alert once."""
        loss = (day_start_equity - equity_now) / day_start_equity
        alert = (f"KILL SWITCH: down {loss:.2%} today (equity {equity_now:.2f} vs {day_start_equity:.2f}); "
                 f"resting buy orders are cancelled and no new entries until tomorrow UTC or a manual reset")
        steps = [KillStep(KillStepKind.CANCEL_ENTRIES, "kill switch: cancel the resting buys")]
        if self.cfg.flatten_on_kill:
            steps.append(KillStep(KillStepKind.FLATTEN, "kill switch: sell every holding at market"))
        return [*steps, KillStep(KillStepKind.ALERT, alert)]

    def reset(self, by: str) -> bool:
        """Re-arm a tripped switch (an admin action, logged); False if it was not tripped."""
        if not self.is_tripped():
            return False
        state = self.state
        self.store.put_kill_switch(KillSwitchState(
            tripped=False, tripped_at=state.tripped_at, day=state.day, reason=state.reason,
            equity_at_trip=state.equity_at_trip, start_equity=state.start_equity, reset_at=self.clock.now(),
            reset_by=by))
        _log.warning("kill switch reset by {} (it tripped: {})", by, state.reason)
        return True

    def blocking_reason(self) -> Refusal | None:
        """KILL_SWITCH and why, while tripped; else None."""
        if not self.is_tripped():
            return None
        state = self.state
        at = f" at {state.tripped_at:%H:%M} UTC" if state.tripped_at else ""
        return SkipReason.KILL_SWITCH, (f"kill switch tripped{at}: {state.reason}; no new entries until "
                                        f"00:00 UTC or an admin reset")
