"""What the learner keeps, and the store it keeps it in (memory's Database implements LearningStore)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from trading.learning.risk import RiskFactor
from trading.learning.selector import Arm, Key

if TYPE_CHECKING:  # annotations only: the outcomes module pulls numpy, which `zyn status` must not import
    from trading.learning.outcomes import TradeOutcome


@dataclass(frozen=True, slots=True)
class Freeze:
    frozen: bool = False
    by: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LearningChange:
    """One recorded change: an arm on or off (key set), or a freeze, unfreeze or reset."""

    at: datetime
    kind: str  # on, off, risk (an arm's risk factor), freeze, unfreeze, reset, seed
    key: Key | None
    why: str
    by: str = "learner"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a seeded outcome came from: `source` (walkforward) on `candle_set`, in one out-of-sample test window."""

    source: str
    candle_set: str
    window_start: datetime
    window_end: datetime

    def line(self) -> str:
        return f"{self.source} test window {self.window_start:%Y-%m-%d %H:%M} → {self.window_end:%Y-%m-%d %H:%M}"


@dataclass(frozen=True, slots=True)
class SeedSet:
    """The seeded outcomes of one source and candle set: how many, over which test windows."""

    source: str
    candle_set: str
    n: int
    windows: int
    first: datetime
    last: datetime
    seeded_at: datetime

    def line(self) -> str:
        return (f"{self.n} seeded from {self.source} ({self.windows} out-of-sample test windows "
                f"{self.first:%Y-%m-%d} → {self.last:%Y-%m-%d}) on {self.candle_set}, seeded {self.seeded_at:%Y-%m-%d}")


@dataclass(frozen=True, slots=True)
class PendingShadow:
    id: int
    symbol: str
    strategy: str
    regime: str
    candle_time: datetime
    atr: float
    why_not: str = ""


@dataclass(frozen=True, slots=True)
class OpenTrade:
    """A position the autopilot opened, followed by the learner until it closes."""

    symbol: str
    strategy: str
    regime: str
    entry_order_id: str
    candle_time: datetime
    opened_at: datetime
    stop: Decimal | None = None
    low: float | None = None
    high: float | None = None


class OutcomeEvidence(Protocol):
    """Closed outcomes to learn from (read only). LIVE reads PAPER's through this."""

    def list_outcomes(self, strategy: str | None = None, limit: int | None = None) -> list[TradeOutcome]: ...

    def outcome_returns(self, strategy: str | None = None) -> list[tuple[str, str, str, float, float, bool]]: ...


class LearningStore(OutcomeEvidence, Protocol):
    """Everything the learner writes in its own mode's database."""

    def record_outcome(self, outcome: TradeOutcome, at: datetime) -> bool: ...

    def add_shadow(self, symbol: str, strategy: str, regime: str, candle_time: datetime, atr: float,
                   why_not: str, at: datetime) -> bool: ...

    def pending_shadows(self, symbol: str | None = None) -> list[PendingShadow]: ...

    def settle_shadow(self, shadow_id: int, outcome: TradeOutcome | None, at: datetime) -> None: ...

    def open_learning_trade(self, trade: OpenTrade) -> None: ...

    def learning_trade(self, symbol: str) -> OpenTrade | None: ...

    def note_extremes(self, symbol: str, low: float, high: float) -> None: ...

    def close_learning_trade(self, symbol: str, outcome: TradeOutcome | None, at: datetime) -> None: ...

    def arm_states(self) -> dict[Key, Arm]: ...

    def apply_arms(self, arms: dict[Key, Arm], changes: list[LearningChange], at: datetime, *,
                   risk: dict[Key, RiskFactor] | None = None) -> None: ...

    def risk_factors(self) -> dict[Key, RiskFactor]: ...

    def learning_freeze(self) -> Freeze: ...

    def set_learning_freeze(self, frozen: bool, by: str, at: datetime, why: str = "") -> None: ...

    def reset_learning(self, by: str, at: datetime, *, seeds_only: bool = False) -> int: ...

    def seed_outcomes(self, seeds: list[tuple[TradeOutcome, Provenance]], by: str, at: datetime) -> int: ...

    def seed_sets(self) -> list[SeedSet]: ...

    def seed_counts(self) -> dict[Key, int]: ...

    def learning_changes(self, limit: int = 20, strategy: str | None = None) -> list[LearningChange]: ...
