"""The risk gate: ATR sizing, the portfolio risk cap, daily entry limits and the daily-loss kill switch."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal

from loguru import logger

from trading.clock import Clock
from trading.config import RiskSettings
from trading.domain import ZERO, Market, quantize_down, quantize_up
from trading.evaluation import SkipReason
from trading.risk_state import DayState, KillSwitchState, RiskStore

__all__ = ["DailyLimits", "DayState", "KillSwitch", "KillSwitchState", "RiskStore", "Sizing", "open_risk",
           "size_long"]

_log = logger.bind(component="risk")
Refusal = tuple[SkipReason, str]


@dataclass(frozen=True, slots=True)
class Sizing:
    """A sized long entry: risk is the quote currency lost at the stop, fees of both legs included."""

    amount: Decimal
    entry: Decimal
    stop: Decimal
    target: Decimal
    risk: Decimal


def num(value: Decimal, places: int = 8) -> str:
    """A Decimal for a message: plain notation, at most `places` decimals, no trailing zeros."""
    rounded = value.quantize(Decimal(1).scaleb(-places)) if value.as_tuple().exponent < -places else value
    text = format(rounded.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _min_buyable(market: Market, entry: Decimal) -> Decimal:
    """The smallest amount the market accepts at this price: its minimum amount and minimum cost."""
    by_cost = quantize_up(market.min_cost / entry, market.amount_step) if market.min_cost > 0 else ZERO
    return max(market.min_amount, by_cost)


def _below_min(amount: Decimal, entry: Decimal, market: Market) -> str | None:
    """Why an amount is too small for the market, or None."""
    if amount < market.min_amount or amount <= 0:
        return f"size {num(amount)} {market.base} below the {num(market.min_amount)} minimum"
    if amount * entry < market.min_cost:
        return (f"order cost {num(amount * entry, 2)} {market.quote} below the {num(market.min_cost)} "
                f"{market.quote} minimum")
    return None


def size_long(*, equity: Decimal, free_quote: Decimal, entry: Decimal, atr: Decimal, market: Market,
              cfg: RiskSettings, open_risk: Decimal, taker_fee: Decimal) -> Sizing | Refusal:
    """Size a long entry with an ATR stop, or say why not (a SkipReason and a message naming the numbers)."""
    if entry <= 0:
        return SkipReason.SIZE_BELOW_MIN, f"no usable entry price ({num(entry)}): cannot size the trade"
    if atr <= 0:
        return SkipReason.SIZE_BELOW_MIN, f"ATR is {num(atr)}: no stop distance, cannot size the trade"
    # Stop rounded down and target up: the stop never ends up closer than the ATR multiple asks for.
    stop = quantize_down(entry - atr * cfg.atr_stop_mult, market.price_step)
    target = quantize_up(entry + atr * cfg.atr_target_mult, market.price_step)
    if stop <= 0:
        return SkipReason.SIZE_BELOW_MIN, (f"stop {num(stop)} would be at or below zero (entry {num(entry)}, "
                                           f"ATR {num(atr)} x {num(cfg.atr_stop_mult)}): cannot size the trade")
    distance = entry - stop
    # Fees both ways: a target that does not clear them by a margin is a losing trade before it starts.
    costs = taker_fee * (entry + target)
    if (target - entry) < (1 + cfg.min_reward_to_cost) * costs:
        return SkipReason.EDGE_BELOW_COSTS, (
            f"target {num(target)} is only {num(target - entry)} above the entry {num(entry)}; fees both ways cost "
            f"{num(costs, 2)} per {market.base}, and the reward must clear them {num(cfg.min_reward_to_cost)}x "
            f"(ATR {num(atr)} is too small for these fees)")
    # Loss per unit at the stop: the price distance plus the taker fee on the entry and on the stop's sale.
    per_unit = distance + taker_fee * (entry + stop)
    by_risk = equity * cfg.risk_per_trade / per_unit
    by_position = cfg.max_position_fraction * equity / entry
    amount = quantize_down(max(ZERO, min(by_risk, by_position)), market.amount_step)
    why = _below_min(amount, entry, market)
    if why is not None:
        cap = "risk per trade" if by_risk <= by_position else "position cap"
        return SkipReason.SIZE_BELOW_MIN, f"{why} ({cap} at equity {num(equity, 2)} {market.quote})"

    by_balance = quantize_down(max(ZERO, free_quote / (entry * (1 + taker_fee))), market.amount_step)
    minimum = _min_buyable(market, entry)
    if by_balance < minimum:
        need = minimum * entry * (1 + taker_fee)
        return SkipReason.INSUFFICIENT_BALANCE, (
            f"free {num(free_quote, 2)} {market.quote} cannot buy the minimum {num(minimum)} {market.base} "
            f"(needs {num(need, 2)} {market.quote} with fees)")
    amount = min(amount, by_balance)

    budget = cfg.max_portfolio_risk * equity
    left = budget - open_risk
    if amount * per_unit > left:
        shrunk = quantize_down(max(ZERO, left) / per_unit, market.amount_step)
        if _below_min(shrunk, entry, market) is not None:
            return SkipReason.RISK_CAP, (
                f"open risk {num(open_risk, 2)} + this trade's {num(amount * per_unit, 2)} {market.quote} would "
                f"exceed the {num(budget, 2)} {market.quote} cap ({num(cfg.max_portfolio_risk * 100)}% of equity); "
                f"the {num(max(ZERO, left), 2)} left buys {num(shrunk)} {market.base}, below the {num(minimum)} "
                f"minimum")
        amount = shrunk
    return Sizing(amount=amount, entry=entry, stop=stop, target=target, risk=amount * per_unit)


def open_risk(positions_with_stops: Iterable[tuple[Decimal, Decimal, Decimal]]) -> Decimal:
    """Quote currency lost if every position (amount, average or mark price, stop) hit its stop now."""
    # A stop above the price locks in a gain: it adds no risk rather than cancelling others' risk.
    return sum((max(ZERO, amount * (price - stop)) for amount, price, stop in positions_with_stops), ZERO)


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
        floor = baseline * (1 - self.cfg.daily_loss_limit)
        if equity_now > floor:
            return False
        loss = (day_start_equity - equity_now) / day_start_equity
        reason = (f"equity {num(equity_now, 2)} is {num(loss * 100, 2)}% below the day's start "
                  f"{num(day_start_equity, 2)} (limit {num(self.cfg.daily_loss_limit * 100)}%)")
        self.store.put_kill_switch(KillSwitchState(
            tripped=True, tripped_at=self.clock.now(), day=today, reason=reason, equity_at_trip=equity_now,
            start_equity=day_start_equity))
        _log.warning("kill switch tripped: {}", reason)
        return True

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
