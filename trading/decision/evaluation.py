"""The record of one autopilot evaluation (one symbol, one closed candle), including why it did not trade."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Decision(StrEnum):
    ENTER = "enter"  # an entry order was placed
    EXIT = "exit"  # a position was closed by the strategy
    HOLD = "hold"  # in a position, nothing to do
    SKIP = "skip"  # no trade, see SkipReason


class SkipReason(StrEnum):
    WARMUP = "warmup"  # not enough candles for the indicators yet
    NO_STRATEGY = "no_strategy"  # the regime maps to no strategy (stay out)
    NO_SIGNAL = "no_signal"
    FILTER_FAILED = "filter_failed"
    ALREADY_IN_POSITION = "already_in_position"
    DAILY_LIMIT = "daily_limit"
    KILL_SWITCH = "kill_switch"
    PROFIT_TARGET = "profit_target"  # the daily profit target was reached: no new entries until 00:00 UTC
    SIZE_BELOW_MIN = "size_below_min"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    RISK_CAP = "risk_cap"
    EDGE_BELOW_COSTS = "edge_below_costs"  # the realised move (or, without the learner, the ATR target) would not clear the costs
    LEARNER_OFF = "learner_off"  # the learner has not switched this strategy x regime on (no edge shown yet)
    AUTOPILOT_STOPPED = "autopilot_stopped"
    ERROR = "error"
    MAKER_UNFILLED = "maker_unfilled"  # a post-only entry the price never traded through before its timeout
    MAKER_RESTING = "maker_resting"  # a post-only entry is resting: no other entry while it waits


@dataclass(frozen=True, slots=True)
class FilterResult:
    name: str
    passed: bool
    value: float | None
    threshold: float | None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One row of the evaluation log: everything needed to answer "why (not)?" later."""

    symbol: str
    candle_time: datetime  # open time of the closed candle evaluated
    evaluated_at: datetime
    decision: Decision
    regime: str | None
    strategy: str | None
    signal: int  # +1 enter long, -1 exit, 0 none
    indicators: dict[str, float | None] = field(default_factory=dict)
    regime_values: dict[str, float | None] = field(default_factory=dict)
    filters: tuple[FilterResult, ...] = ()
    reasons: tuple[str, ...] = ()
    skip_reason: SkipReason | None = None
    position: dict[str, str] = field(default_factory=dict)  # snapshot: amount, avg_price, unrealized (strings)
    order_id: str | None = None
    mode: str = "paper"
