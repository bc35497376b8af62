"""An indicator or strategy error in a real tick still writes the symbol's evaluation row, with the whole reason
(the exception's type and its text, not only its name), and the alert says the same."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from tests.trading.autopilot.test_autopilot import CFG, World, declining_then_jump
from trading.config import TradingConfig
from trading.decision.evaluation import Decision, SkipReason
from trading.decision.indicators import Indicators
from trading.decision.strategies import STRATEGIES, Strategy
from trading.events import EventKind


class Exploding(Strategy):
    """A strategy whose signal computation fails, as a bug or a bad indicator value would."""

    name = "exploding"

    def signals(self, ind: Indicators, cfg: TradingConfig) -> np.ndarray:
        raise ValueError(f"cannot compare the band of {len(ind)} bars: operands could not be broadcast")

    def explain(self, ind: Indicators, i: int, cfg: TradingConfig) -> list[str]:
        return []


@pytest.fixture
def exploding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(STRATEGIES, "exploding", Exploding())


async def test_a_strategy_error_writes_the_row_with_its_full_reason(tmp_path: Path, exploding: None) -> None:
    world = World(tmp_path, CFG.model_copy(update={"strategy": "exploding"}))
    world.clock.advance(timedelta(seconds=5))
    world.set_closes(declining_then_jump())
    report = await world.pilot.tick()
    rows = world.db.list_evaluations("BTC/USD", limit=10)
    assert len(rows) == 1 and report.evaluations == rows  # the candle has its row, in the tick's report too
    row = rows[0]
    assert row.decision is Decision.SKIP and row.skip_reason is SkipReason.ERROR
    assert row.candle_time == world.feed.candles["BTC/USD"][-1].timestamp
    assert row.reasons == ("error, no decision: ValueError: cannot compare the band of 40 bars: operands could "
                           "not be broadcast",)
    alert = next(e for e in world.events if e.kind is EventKind.AUTOPILOT_ERROR)
    assert "ValueError: cannot compare the band of 40 bars" in alert.text
    # The next tick on the same candle does not evaluate it again (claimed and decided once).
    await world.pilot.tick()
    assert len(world.db.list_evaluations("BTC/USD", limit=10)) == 1
