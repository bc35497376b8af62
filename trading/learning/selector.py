"""The strategy x regime selector: on only when the lower confidence bound of net expectancy is above zero.

An arm is one (strategy, regime) pair. Its evidence is the net return of every closed trade (and shadow
outcome) it produced, fees and slippage included. It is switched ON when it has at least `min_trades`
outcomes and the one-sided lower confidence bound of the mean (mean - z * sd / sqrt(n)) is above zero,
and OFF again when that bound falls below `-off_margin` (hysteresis: a bound between the two keeps the
previous state, so one trade does not flip it). Every arm starts OFF: standing aside is the default and
always a choice. The selector can only switch arms on or off and scale risk DOWN (risk_scale <= 1); it
never loosens a risk gate. Every change comes with its evidence.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Key = tuple[str, ...]  # (strategy, regime) or (strategy, regime, pair)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One closed (or shadow) trade's result, as the selector needs it."""

    strategy: str
    regime: str
    net_return: float  # fraction of the entry cost, after both fees and slippage (0.004 = +0.4 %)
    shadow: bool = False  # a signal not taken, simulated to its exit
    pair: str = ""  # the market, where known (arms per pair: select(..., by_pair=True))


@dataclass(frozen=True, slots=True)
class SelectorSettings:
    min_trades: int = 10
    z: float = 1.645  # one-sided 95 %
    off_margin: float = 0.0  # switch off when the bound falls below -off_margin


@dataclass(frozen=True, slots=True)
class Arm:
    """The evidence for one (strategy, regime) and whether it is on."""

    key: Key
    n: int
    mean: float
    lcb: float  # -inf with fewer than two outcomes
    on: bool

    def evidence(self) -> str:
        """'12 outcomes (trades and shadows), mean +0.21%, lower bound -0.05%'."""
        bound = "n/a" if not math.isfinite(self.lcb) else f"{self.lcb * 100:+.2f}%"
        return (f"{self.n} outcome{'' if self.n == 1 else 's'}, mean {self.mean * 100:+.2f}%, lower bound "
                f"{'n/a (needs 2 outcomes)' if self.n < 2 else bound}")


@dataclass(frozen=True, slots=True)
class Change:
    """One switch, with the evidence that made it."""

    key: Key
    on: bool
    why: str


def stats(values: list[float], z: float) -> tuple[float, float]:
    """(mean, lower confidence bound) of the values; the bound is -inf below two values."""
    n = len(values)
    if n == 0:
        return 0.0, -math.inf
    mean = sum(values) / n
    if n < 2:
        return mean, -math.inf
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, mean - z * math.sqrt(var / n)


def label(key: Key) -> str:
    """'mean_reversion in range' (on BTC/USD)."""
    return f"{key[0]} in {key[1]}" + (f" on {key[2]}" if len(key) > 2 else "")


def select(outcomes: Iterable[Outcome], previous: Mapping[Key, bool] | None = None,
           settings: SelectorSettings | None = None, *, by_pair: bool = False) -> tuple[dict[Key, Arm], list[Change]]:
    """Every arm's evidence and state, and the changes from `previous` (arms not seen keep their state).

    by_pair: the arms are (strategy, regime, pair) instead of (strategy, regime).
    """
    s = settings or SelectorSettings()
    previous = dict(previous or {})
    by_key: dict[Key, list[float]] = {}
    for o in outcomes:
        key: Key = (o.strategy, o.regime, o.pair) if by_pair else (o.strategy, o.regime)
        by_key.setdefault(key, []).append(o.net_return)
    arms: dict[Key, Arm] = {}
    changes: list[Change] = []
    for key in sorted(set(by_key) | set(previous)):
        values = by_key.get(key, [])
        mean, lcb = stats(values, s.z)
        was = previous.get(key, False)
        if not was and len(values) >= s.min_trades and lcb > 0:
            now = True
        elif was and values and lcb < -s.off_margin:
            now = False
        else:
            now = was
        arm = Arm(key, len(values), mean, lcb, now)
        arms[key] = arm
        if now != was:
            verb = "on: lower bound above zero" if now else "off: lower bound below zero"
            changes.append(Change(key, now, f"{label(key)} {verb} ({arm.evidence()})"))
    return arms, changes


def allowed(arms: Mapping[Key, Arm]) -> frozenset[Key]:
    """The arms switched on (empty: stand aside)."""
    return frozenset(k for k, a in arms.items() if a.on)


def why(arms: Mapping[Key, Arm], strategy: str, settings: SelectorSettings | None = None) -> str:
    """A plain answer to "why is <strategy> off/on?" from the evidence."""
    s = settings or SelectorSettings()
    mine = [a for a in arms.values() if a.key[0] == strategy]
    if not mine:
        return f"{strategy}: no outcomes yet, so it stays off (standing aside is the default)"
    parts = []
    for a in sorted(mine, key=lambda a: a.key[1:]):
        state = "ON" if a.on else "off"
        need = "" if a.on or a.n >= s.min_trades else f"; needs {s.min_trades} outcomes"
        where = a.key[1] + (f" on {a.key[2]}" if len(a.key) > 2 else "")
        parts.append(f"{where} {state} ({a.evidence()}{need})")
    return f"{strategy}: " + "; ".join(parts)
