"""The kill switch's consequences are durable: cancels and the alert survive a refused call and a crash."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from memory import open_database
from tests.trading.autopilot.test_autopilot import World, declining_then_jump
from trading.autopilot.engine import Autopilot
from trading.decision.evaluation import Decision, SkipReason
from trading.decision.strategies import LONG
from trading.domain import Mode, OrderRequest, OrderStatus, OrderType, Side
from trading.errors import ExchangeUnavailableError
from trading.events import EventBus, EventKind
from trading.exchange.paper.exchange import PaperExchange
from trading.risk.limits import DailyLimits, KillSwitch
from trading.risk.state import KillStepKind


class RefusingPaper(PaperExchange):
    """The paper exchange with an outage injected into its next `refuse` cancels (what a Kraken hiccup does)."""

    refuse = 0

    async def cancel_order(self, order_id: str):
        if self.refuse:
            self.refuse -= 1
            raise ExchangeUnavailableError("exchange unavailable")
        return await super().cancel_order(order_id)


class OutboxWorld(World):
    """World on the refusing paper exchange."""

    def restart(self) -> None:
        self.db = open_database(Mode.PAPER, self.path)
        self.exchange = RefusingPaper(self.feed, self.db, self.clock)
        self.bus = EventBus()
        self.bus.subscribe(self.events.append)
        self.pilot = Autopilot(self.exchange, self.db, DailyLimits(self.db, self.cfg.risk, self.clock),
                               KillSwitch(self.db, self.cfg.risk, self.clock), self.clock, self.cfg, self.bus)
        self.db.set_autopilot_enabled(True, by="test")

    def alerts(self) -> int:
        return self.kinds().count(EventKind.KILL_SWITCH_TRIPPED)


@pytest.fixture
def world(tmp_path: Path) -> OutboxWorld:
    w = OutboxWorld(tmp_path)
    w.clock.advance(timedelta(seconds=5))
    return w


async def _in_position_with_a_resting_buy(w: OutboxWorld) -> str:
    w.set_closes(declining_then_jump())
    assert (await w.pilot.tick()).evaluations[0].decision is Decision.ENTER
    resting = await w.exchange.create_order(OrderRequest("BTC/USD", Side.BUY, OrderType.LIMIT, Decimal("0.001"),
                                                         price=Decimal("1000")))  # a chat order far below
    assert resting.status is OrderStatus.OPEN
    return resting.id


def _crash(w: OutboxWorld) -> None:
    w.next_candle(w.closes[-1] * 0.80)  # a 20% drop on a ~25% position: beyond the 3% daily loss limit


async def _resting_buys(w: OutboxWorld) -> list:
    return [o for o in await w.exchange.fetch_open_orders() if o.side is Side.BUY]


async def test_a_refused_cancel_is_retried_next_tick_and_the_alert_goes_out_once(world: OutboxWorld) -> None:
    resting = await _in_position_with_a_resting_buy(world)
    world.exchange.refuse = 1
    _crash(world)
    assert (await world.pilot.tick()).kill_switch_tripped
    assert [o.id for o in await _resting_buys(world)] == [resting]  # the exchange refused: still resting
    assert world.alerts() == 1  # the alert does not wait for the cancel
    [pending] = world.db.pending_kill_steps()
    assert pending.kind is KillStepKind.CANCEL_ENTRIES and pending.attempts == 1
    assert pending.last_error == "exchange unavailable"

    world.next_candle(world.closes[-1])
    await world.pilot.tick()
    assert await _resting_buys(world) == []
    assert (await world.exchange.fetch_order(resting)).status is OrderStatus.CANCELED
    assert world.db.pending_kill_steps() == [] and world.alerts() == 1
    assert EventKind.ORDER_CANCELLED in world.kinds()

    world.dip_and_jump()  # a fresh signal while tripped: the autopilot opens nothing
    fills = len(await world.exchange.fetch_my_trades())
    [ev] = (await world.pilot.tick()).evaluations
    assert ev.decision is not Decision.ENTER
    assert await _resting_buys(world) == [] and len(await world.exchange.fetch_my_trades()) == fills


async def test_a_crash_right_after_the_trip_is_saved_is_completed_by_the_next_process(world: OutboxWorld) -> None:
    resting = await _in_position_with_a_resting_buy(world)
    _crash(world)
    equity = await world.exchange.equity()
    day = world.pilot.limits.ensure_day(equity)
    assert world.pilot.kill.check(equity, day.start_equity)  # what the tick saves first ...
    world.db.close()  # ... and then the process dies: nothing cancelled, nobody told
    world.restart()
    assert [o.id for o in await _resting_buys(world)] == [resting] and world.alerts() == 0

    world.next_candle(world.closes[-1])
    report = await world.pilot.tick()
    assert not report.kill_switch_tripped  # it tripped before: this tick only finishes the job
    assert await _resting_buys(world) == [] and world.alerts() == 1
    for _ in range(2):  # more restarts, start-ups and ticks: still one alert
        world.db.close()
        world.restart()
        await world.pilot.watch_fills()
        world.next_candle(world.closes[-1])
        await world.pilot.tick()
    assert world.alerts() == 1 and world.db.pending_kill_steps() == []
    steps = world.db.kill_steps()
    assert sorted(s.kind for s in steps) == sorted([KillStepKind.CANCEL_ENTRIES, KillStepKind.ALERT])
    assert all(s.done for s in steps)


async def test_the_alert_is_claimed_once_across_two_autopilots_on_one_database(world: OutboxWorld) -> None:
    await _in_position_with_a_resting_buy(world)
    _crash(world)
    equity = await world.exchange.equity()
    assert world.pilot.kill.check(equity, world.pilot.limits.ensure_day(equity).start_equity)
    other_db = open_database(Mode.PAPER, world.path)  # a second process on the same file
    other_bus = EventBus()
    other_bus.subscribe(world.events.append)
    other = Autopilot(RefusingPaper(world.feed, other_db, world.clock), other_db,
                      DailyLimits(other_db, world.cfg.risk, world.clock),
                      KillSwitch(other_db, world.cfg.risk, world.clock), world.clock, world.cfg, other_bus)
    assert await other.run_kill_steps() == 0
    assert await world.pilot.run_kill_steps() == 0
    assert world.alerts() == 1
    other_db.close()


async def test_a_tripped_switch_blocks_a_fresh_entry_signal(world: OutboxWorld) -> None:
    await _in_position_with_a_resting_buy(world)
    _crash(world)
    assert (await world.pilot.tick()).kill_switch_tripped
    from trading.autopilot.flatten import flatten_all

    await flatten_all(world.exchange, "USD")  # flat, so the next signal is an entry candidate
    before = len(await world.exchange.fetch_my_trades())
    world.dip_and_jump()
    [ev] = (await world.pilot.tick()).evaluations
    assert ev.signal == LONG and ev.skip_reason is SkipReason.KILL_SWITCH
    assert await world.exchange.fetch_open_orders() == [] and len(await world.exchange.fetch_my_trades()) == before
