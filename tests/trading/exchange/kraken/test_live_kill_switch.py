"""LIVE: a trip's cancel refused by Kraken is retried, also by the next process; the alert goes out once."""

from __future__ import annotations

from decimal import Decimal

from tests.trading.exchange.kraken.live_env import Live, limit_bracket
from trading.events import EventKind


async def test_live_kraken_refusing_the_cancel_then_a_restart(live_standin, tmp_path) -> None:
    live = Live(live_standin, tmp_path, retries=1)
    await live.watch()
    bracket = await limit_bracket(live)  # a resting LIVE entry
    for _ in range(2):  # the call and its one retry: the whole attempt fails
        live.k.fail_next("CancelOrder", "EService:Unavailable")
    start = Decimal("10000")
    assert live.pilot.kill.check(start * Decimal("0.9"), start)
    assert await live.pilot.run_kill_steps() == 1  # the cancel is still to do
    assert [t for t, _ in live.open_orders()] == [bracket.entry_order_id]
    assert [e.kind for e in live.events].count(EventKind.KILL_SWITCH_TRIPPED) == 1
    await live.restart()  # a new process on the LIVE database
    await live.watch()  # the service's start-up run
    assert live.open_orders() == []
    assert live.k.orders[bracket.entry_order_id]["status"] == "canceled"
    await live.restart()
    await live.watch()
    assert [e.kind for e in live.events].count(EventKind.KILL_SWITCH_TRIPPED) == 1
    assert live.db.pending_kill_steps() == []
    await live.close()
