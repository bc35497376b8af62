"""The strategy x regime selector: on only above a positive lower bound over enough trades, off below zero."""

from __future__ import annotations

import math

from trading.learning.selector import Outcome, SelectorSettings, allowed, select, stats, why

S = SelectorSettings(min_trades=5, z=1.645)
MR = ("mean_reversion", "range")


def outs(values: list[float], key: tuple[str, str] = MR) -> list[Outcome]:
    return [Outcome(key[0], key[1], v) for v in values]


def test_everything_starts_off_and_stand_aside_is_the_default() -> None:
    arms, changes = select([], {}, S)
    assert arms == {} and changes == [] and allowed(arms) == frozenset()


def test_on_needs_enough_trades_and_a_positive_lower_bound() -> None:
    few = outs([0.01] * 4)
    arms, _ = select(few, {}, S)
    assert not arms[MR].on  # four is not enough, however good
    good = outs([0.010, 0.012, 0.008, 0.011, 0.009])
    arms, changes = select(good, {}, S)
    assert arms[MR].on and allowed(arms) == {MR}
    assert changes[0].on and "lower bound above zero" in changes[0].why and "5 outcomes" in changes[0].why
    noisy = outs([0.05, -0.04, 0.03, -0.03, 0.02])  # positive mean, bound below zero
    arms, _ = select(noisy, {}, S)
    assert arms[MR].mean > 0 and arms[MR].lcb < 0 and not arms[MR].on


def test_off_when_the_bound_falls_below_zero_and_hysteresis_between() -> None:
    bad = outs([-0.01, -0.012, -0.008, -0.011, -0.009])
    arms, changes = select(bad, {MR: True}, S)
    assert not arms[MR].on and not changes[0].on and "below zero" in changes[0].why
    margin = SelectorSettings(min_trades=5, off_margin=0.05)
    arms, changes = select(outs([0.05, -0.04, 0.03, -0.03, 0.02]), {MR: True}, margin)
    assert arms[MR].on and changes == []  # bound below zero but above -margin: keeps its state
    arms, _ = select([], {MR: True}, S)
    assert arms[MR].on  # no new evidence: no change


def test_stats_and_the_answer_to_why() -> None:
    mean, lcb = stats([0.01, 0.03], 1.645)
    assert math.isclose(mean, 0.02) and math.isclose(lcb, 0.02 - 1.645 * math.sqrt(0.0002 / 2))
    assert stats([0.01], 1.645)[1] == -math.inf
    arms, _ = select(outs([-0.01, -0.02, -0.015]), {}, S)
    text = why(arms, "mean_reversion", S)
    assert text.startswith("mean_reversion: range off (3 outcomes, mean -1.50%") and "needs 5 outcomes" in text
    assert "no outcomes yet" in why(arms, "breakout", S)
