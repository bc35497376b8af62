""""Why no trades today?" counts what kept the autopilot out per rule (each failed filter by name), with the
newest example of each, from the evaluation log."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.agent.world import NOW, make_world
from tools.catalog import invoke
from trading.decision.evaluation import Decision, Evaluation, FilterResult, SkipReason


def _ev(minutes: int, reason: SkipReason, *failed: str, symbol: str = "BTC/USD") -> Evaluation:
    at = NOW.replace(hour=0, minute=0) + timedelta(minutes=minutes)
    filters = tuple(FilterResult(name, False, 0.1, 0.2, f"{name} 0.1 below 0.2") for name in failed) + (
        FilterResult("trend", True, 1.0, 0.0, "ok"),)
    return Evaluation(symbol=symbol, candle_time=at, evaluated_at=at, decision=Decision.SKIP, regime="range",
                      strategy="mean_reversion", signal=1 if failed else 0, filters=filters if failed else (),
                      reasons=(f"{reason.value} at {at:%H:%M}",), skip_reason=reason)


async def test_counts_per_blocking_rule_with_one_example_each(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    rows = [_ev(5 * i, SkipReason.NO_SIGNAL) for i in range(4)]
    rows += [_ev(100 + 5 * i, SkipReason.FILTER_FAILED, "atr") for i in range(3)]
    rows += [_ev(200, SkipReason.FILTER_FAILED, "volume", "rsi"), _ev(205, SkipReason.FILTER_FAILED, "volume")]
    for ev in rows:
        world.db.record_evaluation(ev)
    result = await invoke(world.ctx, "why_not_trade", {})
    assert [(b.rule, b.count) for b in result.blockers] == [("no signal", 4), ("atr", 3), ("volume", 2), ("rsi", 1)]
    text = result.text()
    assert "What kept it out: no signal 4, atr 3, volume 2, rsi 1." in text
    assert "- volume: e.g. BTC/USD 05-06 03:25: volume 0.1 below 0.2" in text  # the newest volume block
    assert "filter failed" not in text and result.evaluations == 9 and result.entries == 0
