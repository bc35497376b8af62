"""Every LIVE position protected, or the owner knows: refused stops retried then alerted (and flattened when
configured), and the minute sweep naming what is uncovered. Real ccxt on the strict stand-in, a real SQLite file."""

from __future__ import annotations

from decimal import Decimal as D

from tests.trading.exchange.kraken.live_env import PAIR, market_bracket
from trading.domain import BracketStatus
from trading.events import EventKind


def _protection(live) -> list[str]:
    return [e.text for e in live.events if e.kind is EventKind.PROTECTION]


async def test_a_refused_stop_is_retried_then_the_owner_is_alerted_then_told_it_is_protected_again(live):
    live.k.skip_closes = 1  # Kraken opened no conditional close: the coins rest naked until Zyn's stop does
    bracket = await market_bracket(live)
    for _ in range(3):  # a refusal is not retried inside a run (only transient errors are): one per run
        live.k.fail_next("AddOrder", "EOrder:Insufficient funds")
    await live.watch(2)
    assert _protection(live) == []  # two refusals: retried quietly
    assert await live.pilot.protection_sweep() == [
        f"BTC/USD: 0.001 of 0.001 has no resting stop (bracket {bracket.id})"]  # the sweep's third attempt
    texts = _protection(live)
    assert any("NOT PROTECTED after 3 attempts: the stop for 0.001 BTC at 70000 was refused (" in t for t in texts)
    assert any(t.startswith("protection sweep: BTC/USD: 0.001 of 0.001 has no resting stop") for t in texts)
    assert live.open_orders() == []
    await live.watch()  # Kraken accepts it now
    [(stop_id, stop)] = live.open_orders()
    assert (stop["vol"], live.bracket(bracket.id).stop_order_id) == (D("0.001"), stop_id)
    assert _protection(live)[-1] == f"BTC/USD: protected again: protected by stop {stop_id} for 0.001"
    assert await live.pilot.protection_sweep() == []


async def test_when_configured_an_unprotectable_position_is_sold_at_market(live):
    live.pilot.brackets.configure(retries=2, flatten=True)
    live.k.skip_closes = 1
    bracket = await market_bracket(live)
    for _ in range(2):
        live.k.fail_next("AddOrder", "EOrder:Insufficient funds")
    await live.watch(3)
    assert live.k.balances["XXBT"] == 0 and live.adds("stop-loss")  # sold, after the refused stops
    assert any(t.startswith("BTC/USD: sold 0.001 at market") for t in _protection(live))
    b = live.bracket(bracket.id)
    assert (b.status, b.exit_kind) == (BracketStatus.CLOSED, "flattened-unprotected")
    assert not any("closed outside Zyn" in t for t in _protection(live))


async def test_the_sweep_is_quiet_when_every_holding_has_its_stop(live):
    await market_bracket(live)
    assert await live.pilot.protection_sweep() == []
    live.k.move_price(PAIR, "75000.0", "75000.1")
    assert await live.pilot.protection_sweep() == [] and _protection(live) == []
