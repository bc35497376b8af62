"""The learner: the selector run over the outcome store, its states kept with every change and its evidence.

- refresh(): the selector (trading/learning/selector.py) over every closed outcome of the evidence store,
  arms per (strategy, regime) and, where a pair has min_trades outcomes of an arm, per (strategy, regime,
  pair); changed states are written with their evidence (learning_changes). While the owner's freeze holds
  (stored in the database, so it survives restarts) nothing is written: the states do not change.
- gate(): an entry the stack wants is allowed only when its arm is on (a pair's own arm where it has the
  outcomes, else the arm over every pair). Every arm starts off: standing aside is the default.
- realised(): what the arm actually realised to its exit, for the entry's cost gate (trading/risk/sizing.py).
- risk_scale(): the deciding arm's risk factor in [risk_min_factor, 1] (trading/learning/risk.py): an arm whose
  lower bound is near zero, or that has lost lately, trades a smaller share of the configured risk per trade.
  Each factor change is recorded with its evidence (kind "risk"), like the on/off switches.

The learner only adds a reason not to trade or shrinks a trade: it never loosens a risk gate and never
enlarges a trade (a factor is never above 1).
In LIVE the evidence is the PAPER database, read only (bot/service.py): LIVE trades only what PAPER (or a
backtest recorded there) has shown, and its own LIVE outcomes are recorded for the owner but not learned from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from trading.config import LearningSettings
from trading.learning.records import LearningChange, LearningStore, OutcomeEvidence
from trading.learning.risk import FULL, RiskFactor, RiskRule, arm_factors
from trading.learning.selector import Arm, Key, Outcome, SelectorSettings, label, select


@dataclass(frozen=True, slots=True)
class RealisedEdge:
    """An arm's mean move from entry to exit (touch to touch, before costs) over n outcomes."""

    arm: str
    n: int
    mean_move: float
    min_net_edge: float = 0.0


class Learner:
    def __init__(self, store: LearningStore, settings: LearningSettings, *,
                 evidence: OutcomeEvidence | None = None, evidence_name: str = "") -> None:
        self.store, self.settings = store, settings
        self.evidence = store if evidence is None else evidence
        self.evidence_name = evidence_name  # "PAPER" in LIVE: said in every change's evidence

    @property
    def selector(self) -> SelectorSettings:
        return SelectorSettings(min_trades=self.settings.min_trades, z=self.settings.z)

    @property
    def risk_rule(self) -> RiskRule:
        return RiskRule.of(self.settings)

    def evaluate(self) -> tuple[dict[Key, Arm], list[LearningChange]]:
        """The arms from the evidence now, and the changes from the stored states (nothing written)."""
        arms, changes, _ = self._evaluate(self.evidence.outcome_returns())
        return arms, changes

    def _evaluate(self, rows: list[tuple[str, str, str, float, float, bool]]
                  ) -> tuple[dict[Key, Arm], list[LearningChange], list[Outcome]]:
        outcomes = [Outcome(s, r, net, shadow=sh, pair=p) for s, r, p, net, _, sh in rows]
        stored = self.store.arm_states()
        previous = {k: a.on for k, a in stored.items()}
        arms, changes = select(outcomes, {k: v for k, v in previous.items() if len(k) == 2}, self.selector)
        if self.settings.by_pair:
            pair_arms, pair_changes = select(outcomes, {k: v for k, v in previous.items() if len(k) == 3},
                                             self.selector, by_pair=True)
            keep = {k: a for k, a in pair_arms.items() if a.n >= self.selector.min_trades or previous.get(k)}
            arms.update(keep)
            changes += [c for c in pair_changes if c.key in keep]
        return arms, [LearningChange(datetime.min, "on" if c.on else "off", c.key, self._source + c.why)
                      for c in changes], outcomes

    @property
    def _source(self) -> str:
        return f"from {self.evidence_name}'s outcomes: " if self.evidence_name else ""

    def risk(self, arms: dict[Key, Arm], outcomes: list[Outcome]) -> dict[Key, RiskFactor]:
        """Every arm's risk factor from its net returns (oldest exit first) and its lower bound."""
        return arm_factors(arms, outcomes, self.risk_rule)

    def risk_changes(self, arms: dict[Key, Arm], factors: dict[Key, RiskFactor], stored_arms: dict[Key, Arm],
                     stored: dict[Key, RiskFactor]) -> list[LearningChange]:
        """A change for every arm on whose factor differs from what it traded with (an arm off traded nothing)."""
        out = []
        for k, f in sorted(factors.items()):
            if not arms[k].on:
                continue
            was_on = k in stored_arms and stored_arms[k].on
            before = stored[k].factor if was_on and k in stored else FULL
            if f.factor == before:
                continue
            verb = "shrunk" if f.factor < before else "restored" if f.factor >= FULL else "raised"
            out.append(LearningChange(datetime.min, "risk", k, f"{self._source}{label(k)} risk per trade {verb} to "
                                      f"{f.factor:.0%} of the configured risk (was {before:.0%}): {f.why}"))
        return out

    def refresh(self, now: datetime) -> list[LearningChange]:
        """Recompute and store the arms and their risk factors (unless frozen); returns the changes made."""
        if self.store.learning_freeze().frozen:
            return []
        arms, changes, outcomes = self._evaluate(self.evidence.outcome_returns())
        stored = self.store.arm_states()
        stored_risk = self.store.risk_factors()
        factors = self.risk(arms, outcomes)
        changes = [LearningChange(now, c.kind, c.key, c.why, c.by) for c in
                   changes + self.risk_changes(arms, factors, stored, stored_risk)]
        same = stored.keys() == arms.keys() and all(stored[k].n == a.n and stored[k].on == a.on for k, a in arms.items())
        same = same and {k: f.factor for k, f in factors.items()} == {k: f.factor for k, f in stored_risk.items()}
        if not same:
            self.store.apply_arms(arms, changes, now, risk=factors)
        return [] if same else changes

    def risk_scale(self, strategy: str | None, regime: str | None, pair: str) -> RiskFactor | None:
        """The deciding arm's risk factor (None: the full configured risk); never above 1."""
        if not strategy or regime is None:
            return None
        arm = self.arm_for(self.store.arm_states(), strategy, regime, pair)
        if arm is None:
            return None
        f = self.store.risk_factors().get(arm.key)
        if f is None or f.factor >= FULL:
            return None
        return f

    def arm_for(self, arms: dict[Key, Arm], strategy: str, regime: str, pair: str) -> Arm | None:
        """The arm that decides: the pair's own with enough outcomes, else the one over every pair."""
        own = arms.get((strategy, regime, pair))
        if own is not None and own.n >= self.selector.min_trades:
            return own
        return arms.get((strategy, regime))

    def gate(self, strategy: str, regime: str | None, pair: str) -> str | None:
        """Why the learner does not let this entry through, or None."""
        if regime is None:
            return "learner: no steady regime yet, so no arm to trade"
        arm = self.arm_for(self.store.arm_states(), strategy, regime, pair)
        key = (strategy, regime)
        frozen = self.store.learning_freeze()
        if arm is None and frozen.frozen:
            return (f"learner: {label(key)} was never switched on and learning is frozen by {frozen.by or 'the owner'}"
                    ", so it stays off")
        if arm is None:
            return (f"learner: {label(key)} has no outcomes yet; it stays off until {self.selector.min_trades} "
                    "show a lower bound above zero (standing aside is the default)")
        if arm.on:
            return None
        held = f" (learning frozen by {frozen.by or 'the owner'})" if frozen.frozen else ""
        return (f"learner: {label(arm.key)} is off ({arm.evidence()}; it needs a lower bound above zero over "
                f"{self.selector.min_trades} outcomes){held}")

    def realised(self, strategy: str, regime: str | None) -> RealisedEdge | None:
        """The arm's realised mean move to its exit (over every pair), or None without outcomes."""
        if regime is None:
            return None
        moves = [gross for _, r, _, _, gross, _ in self.evidence.outcome_returns(strategy) if r == regime]
        if not moves:
            return None
        return RealisedEdge(label((strategy, regime)), len(moves), sum(moves) / len(moves), self.settings.min_net_edge)
