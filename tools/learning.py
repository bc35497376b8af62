"""The learner's tools: what it has learned, why a strategy is off, the owner's freeze and reset."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pydantic import Field, field_validator

from tools.base import Args
from tools.context import ToolContext
from trading.errors import InputError
from trading.learning.records import LearningChange
from trading.learning.selector import Arm, label

_ALIASES = {"mr": "mean_reversion", "reversion": "mean_reversion", "trend": "trend_following",
            "crossover": "ma_crossover", "sma": "ma_crossover"}


def strategy_name(text: str) -> str:
    """'mean reversion', 'Mean-Reversion', 'mr' -> 'mean_reversion'; InputError naming the known ones."""
    from trading.decision.strategies import (
        STRATEGIES,  # here: the strategies pull numpy, `zyn status` must not
    )

    t = "_".join(text.strip().lower().replace("-", " ").split())
    t = _ALIASES.get(t, t)
    if t not in STRATEGIES:
        raise InputError(f"no strategy '{text}'; the strategies are {', '.join(STRATEGIES)}")
    return t


class LearnArgs(Args):
    pass


class WhyOffArgs(Args):
    strategy: str = Field(..., min_length=1, max_length=40, description="a strategy, e.g. mean_reversion")

    @field_validator("strategy")
    @classmethod
    def _known(cls, v: str) -> str:
        return strategy_name(v)


class FreezeArgs(Args):
    frozen: bool = Field(True, description="true freezes the learner's states, false lets it learn again")
    reason: str = Field("owner's request", min_length=1, max_length=200)


class ResetArgs(Args):
    seeds_only: bool = Field(False, description="forget only the outcomes seeded from walk-forward test windows")


def _arm_line(a: Arm, seeded: int = 0, factor: float | None = None) -> str:
    seeds = f" ({seeded} seeded out of sample)" if seeded else ""
    risk = f"; risk per trade at {factor:.0%}" if a.on and factor is not None and factor < 1 else ""
    return f"{'ON ' if a.on else 'off'} {label(a.key)}: {a.evidence()}{seeds}{risk}"


def _change_line(c: LearningChange) -> str:
    what = c.why if c.kind in ("on", "off") else f"{c.kind}: {c.why}"
    return f"{c.at:%Y-%m-%d %H:%M} UTC {what}" + (f" (by {c.by})" if c.by != "learner" else "")


@dataclass(frozen=True)
class LearningStatus:
    enabled: bool
    frozen: bool
    frozen_by: str | None
    outcomes: int
    trades: int
    shadows: int
    pending_shadows: int
    min_trades: int
    arms: list[dict[str, object]] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    evidence: str = "this mode's outcomes"
    arm_lines: list[str] = field(default_factory=list)
    seeded: int = 0  # of the shadows: outcomes seeded from walk-forward test windows (zyn learn seed)
    seed_lines: list[str] = field(default_factory=list)
    risk_lines: list[str] = field(default_factory=list)  # arms on trading less than the full risk per trade

    def text(self) -> str:
        seeded = f", {self.seeded} of them seeded from walk-forward test windows" if self.seeded else ""
        head = [f"Learning: {'FROZEN by ' + (self.frozen_by or 'the owner') if self.frozen else 'active'}"
                f"{'' if self.enabled else ' (switched off in the config: the autopilot trades the stack unlearned)'}"
                f"; evidence: {self.evidence}.",
                f"Outcomes: {self.outcomes} ({self.trades} closed trades, {self.shadows} shadows of signals not "
                f"taken{seeded}; {self.pending_shadows} shadows still open). An arm needs {self.min_trades} outcomes "
                "and a lower bound above zero to trade."]
        if self.seed_lines:
            head.append("Seeded evidence (out-of-sample test windows only; zyn learn reset --seeds removes it):")
            head += [f"  {line}" for line in self.seed_lines[:5]]
        on = [line for line in self.arm_lines if line.startswith("ON")]
        if not self.arm_lines:
            head.append("No strategy x regime has outcomes yet: every one is off and Zyn stands aside.")
        else:
            head.append(f"{len(on)} of {len(self.arm_lines)} arms on" + (": standing aside." if not on else "."))
            head += [f"  {line}" for line in self.arm_lines[:12]]
        if self.risk_lines:
            head.append("Risk shrunk (never above the configured risk per trade, no gate loosened):")
            head += [f"  {line}" for line in self.risk_lines[:8]]
        if self.changes:
            head.append("Last changes:")
            head += [f"  {c}" for c in self.changes[:5]]
        return "\n".join(head)


@dataclass(frozen=True)
class WhyOff:
    strategy: str
    on: bool
    answer: str
    changes: list[str] = field(default_factory=list)

    def text(self) -> str:
        tail = ("\nLast change: " + self.changes[0]) if self.changes else ""
        return self.answer + tail


@dataclass(frozen=True)
class LearningControl:
    action: str
    frozen: bool
    forgotten: int = 0

    def text(self) -> str:
        if self.action == "reset_seeds":
            return (f"Seeds reset: {self.forgotten} seeded outcomes forgotten; the arms follow the remaining "
                    "outcomes from the next tick." + (" The freeze still holds." if self.frozen else ""))
        if self.action == "reset":
            return (f"Learning reset: {self.forgotten} outcomes forgotten and every arm off; Zyn stands aside until "
                    "new outcomes show an edge." + (" The freeze still holds." if self.frozen else ""))
        if self.frozen:
            return "Learning frozen: the arms keep their states (across restarts) until you unfreeze it."
        return "Learning unfrozen: the arms follow the outcomes again from the next tick."


def _store(ctx: ToolContext):  # noqa: ANN202 - a LearningStore
    store, cfg = ctx.stores("the learner")
    return store, cfg


async def learning_status(ctx: ToolContext, args: LearnArgs) -> LearningStatus:
    """What the learner has learned: outcomes, every arm's state and evidence, the freeze, the last changes."""
    store, cfg = _store(ctx)
    outcomes = store.list_outcomes()
    arms = sorted(store.arm_states().values(), key=lambda a: (not a.on, -a.n, a.key))
    freeze = store.learning_freeze()
    shadows = sum(1 for o in outcomes if o.shadow)
    seeds, risk = store.seed_counts(), store.risk_factors()
    factor = {k: f.factor for k, f in risk.items()}
    lines = tuple(_arm_line(a, seeds.get(a.key, 0), factor.get(a.key)) for a in arms)
    return LearningStatus(
        enabled=cfg.learning.enabled, frozen=freeze.frozen, frozen_by=freeze.by, outcomes=len(outcomes),
        trades=len(outcomes) - shadows, shadows=shadows, pending_shadows=len(store.pending_shadows()),
        min_trades=cfg.learning.min_trades,
        arms=[{"arm": list(a.key), "on": a.on, "n": a.n, "mean": a.mean,
               "lower_bound": a.lcb if math.isfinite(a.lcb) else None, "seeded": seeds.get(a.key, 0),
               "risk_factor": min(1.0, factor.get(a.key, 1.0)) if a.on else None} for a in arms],
        changes=[_change_line(c) for c in store.learning_changes(limit=5)],
        evidence=("PAPER's outcomes and seeds (read only; the arms' counts are PAPER's, its seeds are listed by "
                  "ZYN_MODE=paper zyn learn status)") if ctx.mode.value == "live" else "this mode's outcomes",
        arm_lines=list(lines), seeded=sum(v for k, v in seeds.items() if len(k) == 2),
        seed_lines=[x.line() for x in store.seed_sets()],
        risk_lines=[risk[a.key].line() for a in arms if a.on and a.key in risk and risk[a.key].factor < 1])


async def why_strategy_off(ctx: ToolContext, args: WhyOffArgs) -> WhyOff:
    """Why a strategy is off (or on): its arms' evidence against the rule, and the last change."""
    store, cfg = _store(ctx)
    name = args.strategy
    arms = {k: a for k, a in store.arm_states().items() if k[0] == name}
    regimes = [r for r, s in cfg.regime_strategies.items() if s == name]
    changes = [_change_line(c) for c in store.learning_changes(limit=3, strategy=name)]
    rule = (f"an arm (strategy x regime) trades only with {cfg.learning.min_trades} or more outcomes and a lower "
            "confidence bound of its net return above zero; it goes off again when the bound falls below zero")
    if not cfg.learning.enabled:
        return WhyOff(name, True, f"{name}: the learner is switched off in the config, so it does not gate "
                                  f"{name}.", changes)
    if not arms:
        where = f" (the stack uses it in {', '.join(regimes)})" if regimes else " (no regime of the stack uses it)"
        return WhyOff(name, False, f"{name} is off: no outcomes yet{where}. Rule: {rule}.", changes)
    on = [a for a in arms.values() if a.on]
    seeds, factor = store.seed_counts(), {k: f.factor for k, f in store.risk_factors().items()}
    lines = [_arm_line(a, seeds.get(a.key, 0), factor.get(a.key)) for a in sorted(arms.values(), key=lambda a: a.key)]
    state = f"{name} is ON in {', '.join(label(a.key) for a in on)}" if on else f"{name} is off everywhere"
    frozen = " Learning is frozen: these states stay until the owner unfreezes it." \
        if store.learning_freeze().frozen else ""
    return WhyOff(name, bool(on), f"{state}. Rule: {rule}.{frozen}\n" + "\n".join(f"  {x}" for x in lines), changes)


def describe_freeze(args: FreezeArgs, symbol: str | None = None) -> str:
    return ("freeze the learner (its on/off states stay as they are, across restarts)" if args.frozen
            else "unfreeze the learner (its states follow the outcomes again)")


def describe_reset(args: ResetArgs, symbol: str | None = None) -> str:
    if args.seeds_only:
        return "forget the outcomes seeded from walk-forward test windows (the arms follow at the next tick)"
    return "reset the learner: forget every outcome (seeds included) and switch every arm off"


async def learning_freeze(ctx: ToolContext, args: FreezeArgs) -> LearningControl:
    """Freeze or unfreeze the learner's states (owner); stored in the database, so it holds across restarts."""
    store, _ = _store(ctx)
    if store.learning_freeze().frozen == args.frozen:
        raise InputError(f"the learner is already {'frozen' if args.frozen else 'unfrozen'}; nothing changed")
    store.set_learning_freeze(args.frozen, ctx.actor, ctx.clock.now(), args.reason)
    return LearningControl("freeze" if args.frozen else "unfreeze", args.frozen)


async def learning_reset(ctx: ToolContext, args: ResetArgs) -> LearningControl:
    """Forget every outcome and switch every arm off (owner); the change log is kept."""
    store, _ = _store(ctx)
    n = store.reset_learning(ctx.actor, ctx.clock.now(), seeds_only=args.seeds_only)
    return LearningControl("reset_seeds" if args.seeds_only else "reset", store.learning_freeze().frozen, n)
