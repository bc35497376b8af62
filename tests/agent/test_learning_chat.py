"""The learning tools' answers through the chat path (the offline intent engine, the gate, the real database)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from tests.agent.world import OWNER, VIEWER, make_world
from trading.config import LearningSettings
from trading.learning.learner import Learner
from trading.learning.outcomes import TradeOutcome


def _seed(world, strategy: str, regime: str, nets: list[float]) -> None:  # noqa: ANN001
    t0 = world.clock.now() - timedelta(days=2)
    for k, net in enumerate(nets):
        at = t0 + timedelta(minutes=40 * k)
        world.db.record_outcome(TradeOutcome(
            ref=f"{strategy}:{k}", source="paper", shadow=k % 2 == 0, symbol="BTC/USD", strategy=strategy,
            regime=regime, entry_time=at, exit_time=at + timedelta(minutes=25), entry_price=Decimal(100),
            exit_price=Decimal(100), net_return=net, gross_return=net + 0.009, r_multiple=net * 100, mae=-0.004,
            mfe=0.005, exit_reason="stop" if net < 0 else "target"), t0)


async def test_what_have_you_learned_and_why_is_mean_reversion_off(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    _seed(world, "mean_reversion", "range", [-0.004, 0.001, -0.006, -0.003, 0.002, -0.005, -0.004, 0.001, -0.002,
                                             -0.003, -0.004, 0.0])
    _seed(world, "trend_following", "trending_up", [0.006, 0.007, 0.005, 0.008, 0.006, 0.007, 0.006, 0.009, 0.005,
                                                    0.006])
    Learner(world.db, LearningSettings(by_pair=False)).refresh(world.clock.now())

    reply = await world.agent.handle(VIEWER, "what have you learned?")
    assert [o.call.name for o in reply.outcomes] == ["learning_status"] and reply.done
    assert "Outcomes: 22 (11 closed trades, 11 shadows of signals not taken" in reply.text
    assert "1 of 2 arms on" in reply.text
    assert "ON  trend_following in trending_up: 10 outcomes, mean +0.65%" in reply.text
    assert "off mean_reversion in range: 12 outcomes, mean -0.22%" in reply.text
    assert "on: lower bound above zero" in reply.text  # the change, with its evidence

    why = await world.agent.handle(VIEWER, "why is mean reversion off?")
    assert [o.call.name for o in why.outcomes] == ["why_strategy_off"]
    assert "mean_reversion is off everywhere" in why.text and "lower confidence bound" in why.text
    assert "off mean_reversion in range: 12 outcomes, mean -0.22%, lower bound -" in why.text
    on = await world.agent.handle(VIEWER, "why's trend following on")
    assert "trend_following is ON in trend_following in trending_up" in on.text


async def test_freezing_from_chat_asks_the_owner_and_a_viewer_may_not(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    refused = await world.agent.handle(VIEWER, "freeze learning")
    assert not world.db.learning_freeze().frozen and "permission" in refused.text.lower()
    asked = await world.agent.handle(OWNER, "freeze learning")
    assert asked.pending is not None and not world.db.learning_freeze().frozen
    done = await world.agent.confirm(OWNER, asked.pending.code)
    assert "Learning frozen" in done.text and world.db.learning_freeze().frozen
    status = await world.agent.handle(OWNER, "learning status")
    assert "Learning: FROZEN by" in status.text


async def test_what_have_you_learned_names_the_shrunk_risk_and_the_seeds(tmp_path: Path) -> None:
    from trading.learning.records import Provenance

    world = make_world(tmp_path)
    _seed(world, "trend_following", "trending_up", [0.0035 if k % 2 else -0.0015 for k in range(20)])
    start = world.clock.now() - timedelta(days=30)
    seeds = [(TradeOutcome(ref=f"seed:BTC/USD:trend_following:{k}", source="seed", shadow=True, symbol="BTC/USD",
                           strategy="trend_following", regime="trending_up", entry_time=start + timedelta(hours=k),
                           exit_time=start + timedelta(hours=k, minutes=30), entry_price=Decimal(100),
                           exit_price=Decimal(100), net_return=0.0035 if k % 2 else -0.0015, gross_return=0.01,
                           r_multiple=0.3, mae=-0.002, mfe=0.004, exit_reason="target"),
              Provenance("walkforward", "candle store: BTC/USD 5m from kraken-ohlcvt", start, start + timedelta(days=1)))
             for k in range(6)]
    assert world.db.seed_outcomes(seeds, "cli", world.clock.now()) == 6
    Learner(world.db, LearningSettings(by_pair=False)).refresh(world.clock.now())

    reply = await world.agent.handle(VIEWER, "what have you learned?")
    assert "Outcomes: 26" in reply.text and "6 of them seeded from walk-forward test windows" in reply.text
    assert "6 seeded from walkforward (1 out-of-sample test windows" in reply.text
    assert "(6 seeded out of sample); risk per trade at " in reply.text
    assert "Risk shrunk (never above the configured risk per trade, no gate loosened):" in reply.text
    assert "trend_following in trending_up at " in reply.text and "below the 0.20% that earns the full risk" in reply.text
