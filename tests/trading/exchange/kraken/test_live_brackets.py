"""LIVE bracket legs end to end: real ccxt over HTTP to the strict Kraken stand-in (signed private calls), a real
SQLite file, the autopilot's fill watcher driving the reconciler; restarts rebuild everything on the same file.
"""

from __future__ import annotations

from decimal import Decimal as D

from tests.trading.exchange.kraken.live_env import BTC, PAIR, STOP, Live, limit_bracket, market_bracket
from trading.domain import BracketRequest, BracketStatus, OrderRequest, OrderType, Side
from trading.events import EventKind
from trading.exchange.kraken.brackets import ExitKind, leg_client_id


async def test_filled_entry_gets_exactly_one_stop_across_runs_and_a_restart(live):
    bracket = await market_bracket(live)
    journaled = live.bracket(bracket.id)
    assert journaled.status is BracketStatus.PENDING_ENTRY and journaled.entry_order_id == bracket.entry_order_id

    await live.watch(3)
    await live.restart()
    await live.watch(3)

    b = live.bracket(bracket.id)
    [(stop_id, stop)] = live.open_orders()  # Kraken's conditional close, adopted: the one exit resting
    assert (b.status, b.stop_order_id, b.take_profit_order_id) == (BracketStatus.ACTIVE, stop_id, None)
    assert (stop["ordertype"], stop["type"], stop["vol"], stop["price"]) == ("stop-loss", "sell", D("0.001"), STOP)
    assert stop["refid"] == bracket.entry_order_id
    assert len(live.adds()) == 1 and live.k.calls("CancelOrder") == []  # the entry only; nothing placed twice
    assert live.db.get_order(stop_id).bracket_id == bracket.id
    assert live.db.get_order(bracket.entry_order_id).bracket_id == bracket.id
    assert [e.kind for e in live.events] == [EventKind.ORDER_FILLED]  # the entry's fill, announced once


async def test_target_reached_sells_at_market_cancels_the_stop_and_closes_once(live):
    bracket = await market_bracket(live)
    await live.watch()
    stop_id = live.bracket(bracket.id).stop_order_id
    live.k.move_price(PAIR, "80000.0", "80000.1")
    await live.watch(3)

    b = live.bracket(bracket.id)
    assert (b.status, b.exit_kind) == (BracketStatus.CLOSED, ExitKind.TAKE_PROFIT)
    assert live.k.orders[stop_id]["status"] == "canceled" and live.open_orders() == []
    tp = live.k.orders[b.take_profit_order_id]
    assert (tp["ordertype"], tp["type"], tp["vol"], tp["status"]) == ("market", "sell", D("0.001"), "closed")
    assert tp["cl_ord_id"] == leg_client_id(bracket.id, "tp")
    assert live.k.balances["XXBT"] == 0
    [exit_event] = live.exits()
    assert exit_event.exit_kind == "take-profit" and exit_event.fill.order_id == b.take_profit_order_id
    assert len(live.adds("market")) == 2  # entry and take-profit, each once
    await live.restart()
    await live.watch(2)
    assert len(live.exits()) == 1 and len(live.adds()) == 2


async def test_stop_hit_closes_the_bracket_and_no_target_is_ever_sent(live):
    bracket = await market_bracket(live)
    await live.watch()
    live.k.move_price(PAIR, "69990.0", "70000.0", last="69990.0")  # Kraken triggers the resting stop
    await live.watch(3)

    b = live.bracket(bracket.id)
    assert (b.status, b.exit_kind, b.take_profit_order_id) == (BracketStatus.CLOSED, ExitKind.STOP_LOSS, None)
    assert live.k.orders[b.stop_order_id]["status"] == "closed" and live.open_orders() == []
    [exit_event] = live.exits()
    assert exit_event.exit_kind == "stop-loss" and exit_event.fill.order_id == b.stop_order_id
    live.k.move_price(PAIR, "80000.0", "80000.1")  # a later rally must not sell anything
    await live.watch(2)
    assert len(live.adds()) == 1 and len(live.exits()) == 1


async def test_entry_cancelled_or_expired_unfilled_closes_the_bracket_without_legs(live):
    first = await limit_bracket(live)
    second = await limit_bracket(live, price="72000")
    await live.watch()
    assert live.bracket(first.id).status is BracketStatus.PENDING_ENTRY
    await live.ex.cancel_order(first.entry_order_id)
    live.k.expire_order(second.entry_order_id)
    await live.watch(2)
    for bracket, status in ((first, "canceled"), (second, "expired")):
        b = live.bracket(bracket.id)
        assert (b.status, b.exit_kind, b.stop_order_id) == (BracketStatus.CANCELED, ExitKind.ENTRY_CANCELLED, None)
        assert status in b.note
    assert len(live.adds()) == 2 and live.open_orders() == []


async def test_partial_fills_keep_krakens_close_of_each_part_and_never_cancel_protection(live):
    bracket = await limit_bracket(live)
    live.k.fill_order(bracket.entry_order_id, "0.0004")  # Kraken opens a close for this part
    live.k.fail_next("AddOrder", "EOrder:Insufficient funds")  # main's replacement stop was refused here
    await live.watch(2)
    b = live.bracket(bracket.id)
    [(close_id, close)] = live.open_orders()[1:]  # the rest of the entry, then Kraken's close of the part
    assert (b.stop_order_id, close["vol"], close["refid"]) == (close_id, D("0.0004"), bracket.entry_order_id)
    assert live.k.calls("CancelOrder") == [] and live.adds("stop-loss") == []  # nothing to refuse: never naked

    live.k.fill_order(bracket.entry_order_id)  # the rest fills: its own close
    await live.watch(3)
    b = live.bracket(bracket.id)
    stops = sorted(o["vol"] for _t, o in live.open_orders())
    assert stops == [D("0.0004"), D("0.0006")] and b.stop_order_id == close_id and b.status is BracketStatus.ACTIVE
    assert live.k.calls("CancelOrder") == [] and live.adds("stop-loss") == []
    assert live.pilot.brackets.unprotected() == [] and b.note == "protected by 2 stops for 0.0010"
    live.k.move_price(PAIR, "69990.0", "70000.0", last="69990.0")  # both stops trigger: one exit, no more
    await live.watch(2)
    b = live.bracket(bracket.id)
    assert (b.status, b.exit_kind) == (BracketStatus.CLOSED, ExitKind.STOP_LOSS) and live.k.balances["XXBT"] == 0


async def test_timed_out_stop_placement_is_found_next_run_not_placed_twice(live_standin, tmp_path):
    live = Live(live_standin, tmp_path, retries=0, timeout_ms=400)
    try:
        bracket = await limit_bracket(live)
        live.k.skip_closes = 1  # Kraken opens no conditional close for this part: Zyn places its own stop
        live.k.fill_order(bracket.entry_order_id, "0.0005")
        live.k.delay_next("AddOrder", 1.5)  # Kraken places it but answers too late
        await live.watch()
        b = live.bracket(bracket.id)  # the last lookup by client id (after a grace) found it in the same run
        assert b.stop_order_id is not None and len(live.adds("stop-loss")) == 1
        await live.restart()
        await live.watch(2)
        b = live.bracket(bracket.id)
        stops = [o for _t, o in live.open_orders() if o["ordertype"] == "stop-loss"]
        assert len(stops) == 1 and stops[0]["cl_ord_id"] == leg_client_id(b.id, "sl")
        assert b.stop_order_id is not None and len(live.adds("stop-loss")) == 1
    finally:
        await live.close()


async def test_refused_stop_placement_is_retried_next_run(live_standin, tmp_path):
    live = Live(live_standin, tmp_path, retries=0)
    try:
        bracket = await limit_bracket(live)
        live.k.skip_closes = 1
        live.k.fill_order(bracket.entry_order_id, "0.0005")
        live.k.fail_next("AddOrder", "EService:Unavailable")
        await live.watch()
        assert live.bracket(bracket.id).stop_order_id is None
        await live.watch(2)
        b = live.bracket(bracket.id)
        stops = [o for _t, o in live.open_orders() if o["ordertype"] == "stop-loss"]
        assert len(stops) == 1 and b.stop_order_id and b.status is BracketStatus.ACTIVE
        assert len(live.adds("stop-loss")) == 2  # the refused one and the one placed
    finally:
        await live.close()


async def test_failed_take_profit_is_retried_while_the_target_holds(live):
    bracket = await market_bracket(live)
    await live.watch()
    live.k.move_price(PAIR, "80000.0", "80000.1")
    for _ in range(live.retries + 1):  # every attempt of the adapter fails: the sale did not happen
        live.k.fail_next("AddOrder", "EService:Unavailable")
    await live.watch()
    b = live.bracket(bracket.id)
    assert (b.status, b.exit_kind, b.take_profit_order_id) == (BracketStatus.ACTIVE, ExitKind.TAKE_PROFIT, None)
    await live.watch(2)
    b = live.bracket(bracket.id)
    assert (b.status, b.exit_kind) == (BracketStatus.CLOSED, ExitKind.TAKE_PROFIT)
    assert len([o for o in live.k.orders.values() if o["ordertype"] == "market" and o["type"] == "sell"]) == 1
    assert len(live.exits()) == 1 and live.k.balances["XXBT"] == 0


async def test_target_gone_before_the_retry_restores_the_stop(live):
    bracket = await market_bracket(live)
    await live.watch()
    live.k.move_price(PAIR, "80000.0", "80000.1")
    for _ in range(live.retries + 1):
        live.k.fail_next("AddOrder", "EService:Unavailable")
    await live.watch()
    live.k.move_price(PAIR, "75000.0", "75000.1")  # back below the target: protect the coins again
    await live.watch(2)
    b = live.bracket(bracket.id)
    [(stop_id, stop)] = live.open_orders()
    # leg 1 restores the stop; the count moves on once it rests (a later top-up gets a fresh client id)
    assert (b.status, b.exit_kind, b.stop_order_id, b.leg_seq) == (BracketStatus.ACTIVE, None, stop_id, 2)
    assert (stop["ordertype"], stop["vol"], stop["price"]) == ("stop-loss", D("0.001"), STOP)
    assert live.exits() == []


async def test_stop_cancelled_by_hand_is_replaced_and_the_owner_told(live):
    bracket = await market_bracket(live)
    await live.watch()
    [(first_id, _)] = live.open_orders()
    await live.ex.cancel_all()  # by hand, outside Zyn: the coins are still there
    await live.watch()
    b = live.bracket(bracket.id)
    [(stop_id, stop)] = live.open_orders()
    assert (b.status, b.stop_order_id, stop["vol"], stop["price"]) == (BracketStatus.ACTIVE, stop_id, D("0.001"), STOP)
    assert stop["cl_ord_id"] == leg_client_id(b.id, "sl", 0) and stop_id != first_id
    texts = [e.text for e in live.events if e.kind is EventKind.PROTECTION]
    assert texts == [f"BTC/USD: stop {first_id} (0.001 at 70000) was canceled outside Zyn; Zyn is replacing it",
                     f"BTC/USD: Zyn placed stop {stop_id}: sell 0.001 at 70000"]
    await live.watch(2)
    assert len(live.adds("stop-loss")) == 1 and len(live.open_orders()) == 1  # replaced once


async def test_position_sold_by_hand_releases_the_bracket_with_a_notice(live):
    bracket = await market_bracket(live)
    await live.watch()
    await live.ex.cancel_all()
    await live.ex.create_order(OrderRequest(BTC, Side.SELL, OrderType.MARKET, D("0.001")))  # sold by hand
    await live.watch(2)
    b = live.bracket(bracket.id)
    assert (b.status, b.exit_kind) == (BracketStatus.CANCELED, ExitKind.STOP_CANCELLED)
    assert live.adds("stop-loss") == [] and live.open_orders() == []  # Zyn does not fight the owner
    assert "closed outside Zyn" in [e for e in live.events if e.kind is EventKind.PROTECTION][-1].text


async def test_a_conditional_close_without_refid_is_adopted_by_its_exact_shape(live):
    bracket = await market_bracket(live)
    [(close_id, close)] = live.open_orders()
    close["refid"] = None  # should Kraken not link it, its pair, side, size and stop still identify it
    await live.watch(2)
    b = live.bracket(bracket.id)
    assert (b.status, b.stop_order_id) == (BracketStatus.ACTIVE, close_id)
    assert len(live.adds()) == 1 and live.k.calls("CancelOrder") == []


async def test_a_fill_below_the_minimum_keeps_krakens_closes_until_the_entry_grows(live):
    bracket = await limit_bracket(live)
    live.k.fill_order(bracket.entry_order_id, "0.00005")  # under BTC/USD's 0.0001 minimum
    await live.watch(2)
    [(close_id, close)] = [(t, o) for t, o in live.open_orders() if o["refid"]]  # Kraken's close stays
    assert (live.bracket(bracket.id).stop_order_id, close["vol"]) == (close_id, D("0.00005"))
    assert live.adds("stop-loss") == [] and live.k.calls("CancelOrder") == []
    live.k.fill_order(bracket.entry_order_id)
    await live.watch(2)
    b = live.bracket(bracket.id)
    assert sorted(o["vol"] for _t, o in live.open_orders()) == [D("0.00005"), D("0.00095")]
    assert (b.stop_order_id, live.adds("stop-loss")) == (close_id, [])


async def test_a_sell_bracket_buys_back_at_its_target(live_standin, tmp_path):
    live_standin.set_balance("XXBT", "0.002")
    live = Live(live_standin, tmp_path)
    try:
        await live.watch()
        bracket = await live.ex.create_bracket(BracketRequest(BTC, Side.SELL, D("0.001"), stop_price=D("76000"),
                                                              take_profit_price=D("70000")))
        await live.watch()
        [(stop_id, stop)] = live.open_orders()
        assert (stop["type"], stop["ordertype"], live.bracket(bracket.id).stop_order_id) == ("buy", "stop-loss", stop_id)
        live.k.move_price(PAIR, "69999.0", "70000.0")
        await live.watch(2)
        b = live.bracket(bracket.id)
        assert (b.status, b.exit_kind) == (BracketStatus.CLOSED, ExitKind.TAKE_PROFIT)
        assert live.k.orders[b.take_profit_order_id]["type"] == "buy" and live.k.balances["XXBT"] == D("0.002")
        assert [e.exit_kind for e in live.exits()] == ["take-profit"]
    finally:
        await live.close()


async def test_take_profit_whose_answer_was_lost_is_found_after_a_restart(live_standin, tmp_path):
    live = Live(live_standin, tmp_path, retries=0, timeout_ms=400)
    try:
        await live.watch()
        bracket = await market_bracket(live)
        await live.watch()
        live.k.move_price(PAIR, "80000.0", "80000.1")
        live.k.delay_next("AddOrder", 1.5)  # Kraken sells, the answer never arrives
        await live.watch()  # the last lookup by client id (after a grace) finds the sale in the same run
        await live.restart()
        await live.watch(2)
        b = live.bracket(bracket.id)
        assert (b.status, b.exit_kind) == (BracketStatus.CLOSED, ExitKind.TAKE_PROFIT)
        assert len(live.adds("market")) == 2 and live.k.balances["XXBT"] == 0
    finally:
        await live.close()
