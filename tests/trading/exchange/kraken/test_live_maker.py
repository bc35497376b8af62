"""LIVE maker entries: post-only orders through real ccxt to the strict Kraken stand-in (oflags=post), the
autopilot's maker entry on LIVE, its fill as a maker, and its timeout."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest

from tests.trading.autopilot.test_autopilot import CFG, declining_then_jump
from tests.trading.autopilot.test_maker import CAP_FULL, RESTING, rest_maker_entry
from tests.trading.exchange.kraken.live_env import BTC, PAIR, STOP, TARGET, Live
from trading.autopilot.engine import Autopilot
from trading.autopilot.intents import IntentStatus
from trading.clock import to_ms
from trading.decision.evaluation import Decision, SkipReason
from trading.domain import (
    BracketRequest,
    BracketStatus,
    Liquidity,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from trading.errors import InputError, PostOnlyRejectedError
from trading.events import EventBus, EventKind
from trading.exchange.kraken.brackets import ExitKind
from trading.risk.limits import DailyLimits, KillSwitch

MAKER_CFG = CFG.model_copy(update={"entry": "maker", "maker_timeout_bars": 3})


def post_bracket(price: str) -> BracketRequest:
    return BracketRequest(BTC, Side.BUY, D("0.001"), stop_price=STOP, take_profit_price=TARGET,
                          entry_price=D(price), post_only=True)


async def test_a_post_only_bracket_goes_out_with_oflags_post_rests_and_fills_as_a_maker(live: Live) -> None:
    live.k.set_price(PAIR, "73000.0", "73010.0")
    bracket = await live.ex.create_bracket(post_bracket("73000.0"))
    [add] = live.adds()
    assert add["oflags"] == "post" and add["ordertype"] == "limit" and add["close[ordertype]"] == "stop-loss"
    entry = await live.ex.fetch_order(bracket.entry_order_id)
    assert entry.status is OrderStatus.OPEN and entry.post_only
    await live.watch(2)
    assert live.bracket(bracket.id).status is BracketStatus.PENDING_ENTRY
    assert [o["ordertype"] for _t, o in live.open_orders()] == ["limit"]  # no stop before the fill
    live.k.fill_order(bracket.entry_order_id)
    await live.watch(2)
    assert live.bracket(bracket.id).status is BracketStatus.ACTIVE
    assert [o["ordertype"] for _t, o in live.open_orders()] == ["stop-loss"]
    [fill] = await live.ex.fetch_my_trades(BTC)
    assert fill.liquidity is Liquidity.MAKER and fill.fee == D("0.1168")  # 73 USD x the 0.16% maker fee
    [alert] = [e for e in live.events if e.kind is EventKind.ORDER_FILLED]
    assert "(maker, fee 0.1168)" in alert.text


async def test_a_post_only_order_that_would_take_is_refused_either_way_kraken_answers(live: Live) -> None:
    live.k.set_price(PAIR, "73000.0", "73010.0")
    with pytest.raises(PostOnlyRejectedError, match="Post only order"):
        await live.ex.create_bracket(post_bracket("73010.0"))  # at the ask: AddOrder refuses it
    [refused] = live.db.list_brackets()
    assert refused.status is BracketStatus.CANCELED and refused.exit_kind == "entry-refused"
    live.k.post_only_cancels = True  # Kraken books it and cancels it at once instead
    with pytest.raises(PostOnlyRejectedError, match="cancelled the post-only order"):
        await live.ex.create_order(OrderRequest(BTC, Side.BUY, OrderType.LIMIT, D("0.001"), price=D("73020.0"),
                                                post_only=True))
    with pytest.raises(InputError, match="only a limit"):
        await live.ex.create_order(OrderRequest(BTC, Side.BUY, OrderType.MARKET, D("0.001"), post_only=True))
    assert live.open_orders() == [] and live.k.balances["XXBT"] == 0


class Pilot:
    """The autopilot with maker entries on the LIVE world, its candles served by the stand-in's OHLC."""

    def __init__(self, live: Live) -> None:
        self.live = live
        self.closes = declining_then_jump()
        bus = EventBus()
        bus.subscribe(live.events.append)
        self.pilot = Autopilot(live.ex, live.db, DailyLimits(live.db, MAKER_CFG.risk, live.clock),
                               KillSwitch(live.db, MAKER_CFG.risk, live.clock), live.clock, MAKER_CFG, bus)
        live.db.set_autopilot_enabled(True, by="test")
        self.serve()

    def serve(self, low: D | None = None) -> None:
        """Candles up to the one that closed at the clock's 5-minute mark, and the forming one; the book at the top."""
        now = self.live.clock.now()
        end = now.replace(second=0, microsecond=0) - timedelta(minutes=now.minute % 5)
        rows = []
        for k, close in enumerate(self.closes):
            o, c = D(str(self.closes[k - 1] if k else close)), D(str(close))
            lo = min(o, c) - 120 if low is None or k < len(self.closes) - 1 else low
            t = end - timedelta(minutes=5 * (len(self.closes) - k))
            rows.append([to_ms(t) // 1000, str(o), str(max(o, c) + 120), str(lo), str(c), str(c), "10", 5])
        rows.append([to_ms(end) // 1000, str(c), str(c), str(c), str(c), str(c), "0", 0])
        self.live.k.set_candles(PAIR, rows)

    def next_candle(self, limit: D) -> None:
        """Five minutes on; the new candle only touches the limit, and the bid stays at it."""
        self.live.clock.advance(timedelta(minutes=5))
        self.closes.append(float(limit + 2))
        self.serve(low=limit)
        self.live.k.set_price(PAIR, limit, limit + 2)

    async def tick(self):  # noqa: ANN201 - the one Evaluation
        [ev] = (await self.pilot.tick()).evaluations
        return ev


@pytest.fixture
def pilot(live: Live) -> Pilot:
    last = D(str(declining_then_jump()[-1]))
    live.k.set_price(PAIR, last - 1, last + 1)
    return Pilot(live)


async def test_the_autopilot_places_a_maker_entry_on_kraken_and_its_fill_arms_the_stop(pilot: Pilot) -> None:
    live = pilot.live
    ev = await pilot.tick()
    assert ev.decision is Decision.ENTER and "post-only (maker) buy" in " ".join(ev.reasons)
    [add] = live.adds()
    assert add["oflags"] == "post" and D(add["price"]) == live.k.prices[PAIR]["bid"]
    assert [o["ordertype"] for _t, o in live.open_orders()] == ["limit"]
    live.k.fill_order(ev.order_id)  # Kraken fills the resting bid
    pilot.next_candle(D(add["price"]))
    ev = await pilot.tick()
    assert ev.skip_reason is not SkipReason.MAKER_RESTING
    assert sorted(o["ordertype"] for _t, o in live.open_orders()) == ["stop-loss"]  # adopted Kraken's close
    [fill] = await live.ex.fetch_my_trades(BTC)
    assert fill.liquidity is Liquidity.MAKER


async def test_a_live_maker_entry_is_cancelled_at_its_timeout_and_its_bracket_closed(pilot: Pilot) -> None:
    live = pilot.live
    entry = await pilot.tick()
    limit = D(live.adds()[0]["price"])
    await live.restart()  # a restart while it rests: found on Kraken by its client id's intent
    pilot.pilot = Autopilot(live.ex, live.db, DailyLimits(live.db, MAKER_CFG.risk, live.clock),
                            KillSwitch(live.db, MAKER_CFG.risk, live.clock), live.clock, MAKER_CFG,
                            pilot.pilot.bus)
    for waited in (1, 2):
        pilot.next_candle(limit)
        ev = await pilot.tick()
        assert ev.skip_reason is SkipReason.MAKER_RESTING and f"{waited} of 3" in ev.reasons[0]
    pilot.next_candle(limit)
    ev = await pilot.tick()
    assert ev.skip_reason is SkipReason.MAKER_UNFILLED and ev.order_id == entry.order_id
    assert len(live.adds()) == 1 and len(live.k.calls("CancelOrder")) == 1 and live.open_orders() == []
    await live.watch()
    [bracket] = live.db.list_brackets()
    assert bracket.status is BracketStatus.CANCELED and bracket.exit_kind == ExitKind.ENTRY_CANCELLED
    assert pilot.pilot.limits.counts().trades_total == 0


async def test_resting_maker_entries_on_kraken_count_their_planned_risk_against_the_portfolio_cap(
        pilot: Pilot) -> None:
    live = pilot.live
    live.k.set_price("XETHZUSD", "3500", "3500.01")
    live.k.set_price("SOLUSD", "150", "150.01")
    for rest in RESTING:
        await rest_maker_entry(live.db, live.ex, live.clock, *rest)
    assert [o["ordertype"] for _t, o in live.open_orders()] == ["limit", "limit"]  # no stop before a fill
    ev = await pilot.tick()  # a buy signal on BTC/USD
    assert ev.decision is Decision.SKIP and ev.skip_reason is SkipReason.RISK_CAP, ev.reasons
    assert CAP_FULL in ev.reasons[-1]  # the same answer as PAPER's (tests/trading/autopilot/test_maker.py)
    assert len(live.adds()) == 2  # nothing sent for BTC/USD


THREE = ("BTC/USD", "ETH/USD", "SOL/USD")


def autopilot(live: Live, cfg) -> Autopilot:  # noqa: ANN001 - a TradingConfig
    return Autopilot(live.ex, live.db, DailyLimits(live.db, cfg.risk, live.clock), KillSwitch(live.db, cfg.risk, live.clock),
                     live.clock, cfg, live.pilot.bus)


async def test_a_taker_tick_asks_kraken_for_no_open_orders_to_review_maker_entries(live: Live) -> None:
    live.db.set_autopilot_enabled(True, by="test")
    taker = autopilot(live, CFG.model_copy(update={"universe": THREE}))
    live.k.requests.clear()
    report = await taker.tick()
    assert [e.symbol for e in report.evaluations] == list(THREE)
    assert live.k.calls("OpenOrders") == []  # was one per pair and tick: 3 private calls every 5 minutes
    maker = autopilot(live, MAKER_CFG.model_copy(update={"universe": THREE}))
    live.clock.advance(timedelta(minutes=5))
    live.k.requests.clear()
    assert len((await maker.tick()).evaluations) == 3
    assert len(live.k.calls("OpenOrders")) == 3  # entry = maker: each pair is looked at for a resting entry


async def test_after_a_switch_to_taker_a_resting_maker_entry_is_still_reviewed_until_it_fills(pilot: Pilot) -> None:
    live = pilot.live
    entry = await pilot.tick()  # maker: a post-only buy rests on BTC/USD
    limit = D(live.adds()[0]["price"])
    pilot.pilot = autopilot(live, CFG)  # the owner switches to taker entries (a restart with the new setting)
    pilot.next_candle(limit)
    live.k.requests.clear()
    ev = await pilot.tick()
    assert ev.skip_reason is SkipReason.MAKER_RESTING and ev.order_id == entry.order_id  # the store knew of it
    live.k.fill_order(entry.order_id)
    pilot.next_candle(limit)
    ev = await pilot.tick()
    assert ev.skip_reason is not SkipReason.MAKER_RESTING
    [intent] = live.db.list_intents()
    assert intent.status is IntentStatus.FILLED and live.db.resting_maker_intents() == []  # not reviewed again
