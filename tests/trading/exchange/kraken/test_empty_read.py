"""A LIVE tick on an empty balance answer from Kraken (a glitch) trips nothing and starts no day at 0."""

from __future__ import annotations

from decimal import Decimal

from tests.trading.exchange.kraken.live_env import Live
from trading.events import EventKind


async def test_an_empty_balance_read_does_not_trip_the_kill_switch(live: Live) -> None:
    await live.pilot.tick()  # a normal tick: the day starts at the real equity
    start = live.db.get_day(live.clock.now().date()).start_equity
    assert start is not None and start > 0
    for asset in list(live.k.balances):
        live.k.balances[asset] = Decimal(0)  # Kraken answers an empty account
    report = await live.pilot.tick()
    assert not report.kill_switch_tripped and not live.db.get_kill_switch().tripped
    assert live.db.get_day(live.clock.now().date()).start_equity == start
    errors = [e for e in live.events if e.kind is EventKind.AUTOPILOT_ERROR]
    assert errors and "no balances at all" in errors[-1].text
