"""Risk shrinking within bounds: an arm's risk per trade scaled by a factor in [min_factor, 1] from its evidence.

The factor only ever shrinks the configured risk per trade: it is never above 1, so the learner can make a
trade smaller but never larger, and it loosens no gate (the stop, the caps, the kill switch stay as they are).

- The lower confidence bound: at or above full_at_lcb the arm trades its full risk; at zero or below (an arm
  that hysteresis keeps on while its bound sinks) it trades min_factor; linear in between.
- The arm's recent drawdown: the deepest fall of its last `recent` net returns chained (oldest first); no
  drawdown keeps the full risk, a drawdown of max_drawdown or deeper gives min_factor; linear in between.
The factor is the smaller of the two, rounded DOWN to a step of 0.05 (so a change is a real change, never
rounded up), and never below min_factor. Pure: no I/O.

arm_factors() is the one computation of every arm's factor from its outcomes: the running learner
(trading/learning/learner.py) and the walk-forward's adaptive policy (trading/backtest/walkforward.py) both call it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trading.learning.selector import Arm, Key, Outcome, label

if TYPE_CHECKING:
    from trading.config import LearningSettings

STEP = 0.05
FULL = 1.0


@dataclass(frozen=True, slots=True)
class RiskRule:
    min_factor: float = 0.25
    full_at_lcb: float = 0.002  # a lower bound of +0.2 % per trade (net) earns the full risk
    max_drawdown: float = 0.05  # the arm's recent drawdown (5 %) at which it trades only min_factor
    recent: int = 20  # outcomes of the arm the drawdown is measured over

    @classmethod
    def of(cls, settings: LearningSettings) -> RiskRule:
        """The rule the config's [trading.learning] section sets."""
        return cls(min_factor=settings.risk_min_factor, full_at_lcb=settings.risk_full_lcb,
                   max_drawdown=settings.risk_max_drawdown, recent=settings.risk_recent)


@dataclass(frozen=True, slots=True)
class RiskFactor:
    """An arm's risk factor (0 < factor <= 1) and the evidence that set it."""

    key: Key
    factor: float
    why: str

    @property
    def full(self) -> bool:
        return self.factor >= FULL

    def line(self) -> str:
        return f"{label(self.key)} at {self.factor:.0%} of the risk per trade ({self.why})"


def clamp(factor: float, min_factor: float = 0.0) -> float:
    """Within [min_factor, 1]; a non-number is min_factor (never the full risk by accident)."""
    lo = min(max(min_factor, 0.0), FULL)
    if not math.isfinite(factor):
        return lo
    return min(FULL, max(lo, factor))


def drawdown(values: list[float]) -> float:
    """The deepest fall (a fraction >= 0) of the returns chained oldest first."""
    level = peak = 1.0
    worst = 0.0
    for v in values:
        level *= 1.0 + v
        peak = max(peak, level)
        worst = max(worst, 1.0 - level / peak)
    return worst


def _between(x: float, worst: float, best: float, min_factor: float) -> float:
    """min_factor at `worst`, 1 at `best`, linear in between (either direction)."""
    if best == worst:
        return FULL if x >= best else min_factor
    t = (x - worst) / (best - worst)
    return min_factor + (FULL - min_factor) * min(1.0, max(0.0, t))


def _floor_step(factor: float) -> float:
    """Down to a multiple of STEP (a float a hair under a step, e.g. 0.6 - 1e-16, counts as on it)."""
    return round(math.floor(float(factor) / STEP + 1e-9) * STEP, 2)


def risk_factor(key: Key, returns: list[float], lcb: float, rule: RiskRule) -> RiskFactor:
    """The factor for an arm with these net returns (oldest first) and this lower bound."""
    lo = clamp(rule.min_factor, 0.0) or STEP
    by_lcb = lo if not math.isfinite(lcb) else _between(lcb, 0.0, rule.full_at_lcb, lo)
    recent = returns[-rule.recent:] if rule.recent > 0 else returns
    dd = drawdown(recent)
    by_dd = _between(-dd, -rule.max_drawdown, 0.0, lo)
    factor = clamp(max(lo, _floor_step(min(by_lcb, by_dd))), lo)
    bound = "n/a" if not math.isfinite(lcb) else f"{lcb * 100:+.2f}%"
    parts = []
    if by_lcb < FULL:
        parts.append(f"lower bound {bound} is below the {rule.full_at_lcb * 100:.2f}% that earns the full risk")
    if by_dd < FULL:
        parts.append(f"recent drawdown {dd * 100:.2f}% over its last {len(recent)} outcomes")
    why = "; ".join(parts) if parts else f"lower bound {bound}, recent drawdown {dd * 100:.2f}%: full risk"
    return RiskFactor(key, factor, why)


def arm_factors(arms: Mapping[Key, Arm], outcomes: Iterable[Outcome], rule: RiskRule) -> dict[Key, RiskFactor]:
    """Every arm's factor from its net returns, in the order given (oldest exit first), and its lower bound.

    An arm (strategy, regime) reads every pair's outcomes of it; an arm (strategy, regime, pair) its pair's.
    """
    by_key: dict[Key, list[float]] = {}
    for o in outcomes:
        by_key.setdefault((o.strategy, o.regime), []).append(o.net_return)
        by_key.setdefault((o.strategy, o.regime, o.pair), []).append(o.net_return)
    return {k: risk_factor(k, by_key.get(k, []), a.lcb, rule) for k, a in arms.items()}
