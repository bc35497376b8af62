"""The chosen universe through ccxt against the Kraken stand-in: ranked by 24h quote volume, filtered, history
checked, recorded, reused for the day and chosen again the next; a real tick evaluates the pairs chosen. Offline,
the replay's pairs, labelled as such."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from memory import open_database
from tests.standins.kraken import KrakenStandin
from tests.trading.autopilot.test_autopilot import CFG
from tests.trading.exchange.conftest import KRAKEN_NOW
from tests.trading.exchange.feeds.test_feeds import closed_port
from trading.autopilot.engine import Autopilot
from trading.autopilot.universe import UniverseKeeper
from trading.clock import ManualClock
from trading.domain import Mode
from trading.events import EventBus
from trading.exchange.feeds.fallback import FallbackFeed
from trading.exchange.feeds.replay import ReplayFeed
from trading.exchange.kraken.client import KrakenPublicFeed
from trading.exchange.paper.exchange import PaperExchange
from trading.risk.limits import DailyLimits, KillSwitch
from trading.universe import FALLBACK, KRAKEN, REPLAY

AUTO = CFG.model_copy(update={"universe_size": 3})  # warm-up of CFG: a dozen 5m candles


def _market(k: KrakenStandin) -> None:
    """Kraken's USD pairs (BTC 42.8M, ETH 18.5M, SOL 0.3M, XRP 0.2M in the fixtures) and a few more."""
    k.forbid_private = True
    k.add_market("ADAUSD", "ADA", last="0.5", volume="100000000")  # 50M: the most liquid tradable pair
    k.add_market("USDCUSD", "USDC", last="1.0", volume="900000000")  # a stablecoin: never chosen
    k.add_market("OLDUSD", "OLD", last="2.0", volume="40000000", status="cancel_only")  # 80M but not online
    k.add_market("NEWUSD", "NEW", last="10", volume="3000000")  # 30M, listed an hour ago: 5 candles of history
    end = int(k.now()) // 300 * 300
    k.set_candles("NEWUSD", [[end - 300 * (4 - i), "10", "10", "10", "10", "10", "1", 1] for i in range(5)])


async def test_the_most_liquid_pairs_with_history_are_chosen_and_recorded(tmp_path: Path) -> None:
    clock = ManualClock(KRAKEN_NOW + timedelta(seconds=5))
    async with KrakenStandin(now=KRAKEN_NOW) as k:
        _market(k)
        feed = FallbackFeed(KrakenPublicFeed(api_url=k.url, clock=clock), lambda: ReplayFeed(clock))
        db = open_database(Mode.PAPER, tmp_path)
        keeper = UniverseKeeper(PaperExchange(feed, db, clock), db, clock)
        choice = await keeper.choice(AUTO)
        assert choice.how == KRAKEN and choice.pairs == ("ADA/USD", "BTC/USD", "ETH/USD")
        assert str(choice.volumes["ADA/USD"]) == "50000000.0" and choice.history["BTC/USD"] >= AUTO.warmup
        why = {o.symbol: o.reason for o in choice.left_out}
        assert why["USDC/USD"] == "money base (stablecoin or fiat)" and why["OLD/USD"] == "inactive market"
        assert why["NEW/USD"] == f"not enough history: 4 of {AUTO.warmup} 5m candles"
        assert "BTC/USDT" not in why and "SOL/USD" not in why  # another quote; below the top 3 (counted only)
        assert choice.counts["below the top 3"] == 2
        stored = db.latest_universe_choice()
        assert stored is not None and stored.pairs == choice.pairs and stored.left_out == choice.left_out
        assert "NEW/USD 30.0M: not enough history" in stored.text()

        tickers = len(k.calls("Ticker"))
        assert (await keeper.choice(AUTO)).pairs == choice.pairs  # the same UTC day: the record is reused
        fresh = UniverseKeeper(PaperExchange(feed, db, clock), db, clock)  # a restart the same day, too
        assert (await fresh.choice(AUTO)).pairs == choice.pairs and len(k.calls("Ticker")) == tickers

        k.set_volume("SOLUSD", "90000000")  # SOL trades 90M x 149.6 the next day
        clock.advance(timedelta(days=1))
        k.advance(86400)  # the stand-in's day moves on with the clock
        again = await keeper.choice(AUTO)
        assert again.pairs[0] == "SOL/USD" and len(k.calls("Ticker")) == tickers + 1
        await feed.close()
        db.close()


async def test_a_tick_evaluates_the_chosen_pairs(tmp_path: Path) -> None:
    clock = ManualClock(KRAKEN_NOW + timedelta(seconds=5))
    async with KrakenStandin(now=KRAKEN_NOW) as k:
        _market(k)
        feed = FallbackFeed(KrakenPublicFeed(api_url=k.url, clock=clock), lambda: ReplayFeed(clock))
        db = open_database(Mode.PAPER, tmp_path)
        exchange = PaperExchange(feed, db, clock)
        pilot = Autopilot(exchange, db, DailyLimits(db, AUTO.risk, clock), KillSwitch(db, AUTO.risk, clock), clock,
                          AUTO, EventBus())
        db.set_autopilot_enabled(True, by="test")
        report = await pilot.tick()
        assert sorted(e.symbol for e in report.evaluations) == ["ADA/USD", "BTC/USD", "ETH/USD"]
        await feed.close()
        db.close()


async def test_kraken_unreachable_keeps_the_configured_pairs_and_offline_is_the_replay(tmp_path: Path) -> None:
    clock = ManualClock(KRAKEN_NOW)
    db = open_database(Mode.PAPER, tmp_path)
    replay = PaperExchange(ReplayFeed(clock), db, clock)
    choice = await UniverseKeeper(replay, db, clock).choice(AUTO.model_copy(update={"universe_size": 2}))
    assert choice.how == REPLAY and choice.pairs == ("BTC/USD", "ETH/USD")
    assert "offline, no Kraken volumes to rank by: the replay's pairs" in choice.summary() and "replay" in choice.note

    unreachable = KrakenPublicFeed(api_url=f"http://127.0.0.1:{closed_port()}", clock=clock, retries=1,
                                   retry_wait=0.01)
    down = PaperExchange(unreachable, db, clock)
    kept = await UniverseKeeper(down, db, clock).choice(AUTO.model_copy(update={"universe_size": 2}))
    assert kept.how == FALLBACK and kept.pairs == ("BTC/USD", "ETH/USD") and "kept the last choice" in kept.note
    other = open_database(Mode.PAPER, tmp_path / "fresh")
    kept = await UniverseKeeper(PaperExchange(unreachable, other, clock), other, clock).choice(AUTO)
    assert kept.how == FALLBACK and kept.pairs == AUTO.universe and "kept the configured pairs" in kept.summary()
    assert "Kraken" in kept.note
    await unreachable.close()
    db.close()
    other.close()


async def test_a_held_pair_outside_the_choice_is_still_evaluated_for_its_exit(tmp_path: Path) -> None:
    clock = ManualClock(KRAKEN_NOW + timedelta(seconds=5))
    async with KrakenStandin(now=KRAKEN_NOW) as k:
        _market(k)
        feed = FallbackFeed(KrakenPublicFeed(api_url=k.url, clock=clock), lambda: ReplayFeed(clock))
        db = open_database(Mode.PAPER, tmp_path)
        exchange = PaperExchange(feed, db, clock)
        from trading.domain import OrderRequest, OrderType, Side

        await exchange.create_order(OrderRequest("XRP/USD", Side.BUY, OrderType.MARKET, Decimal("50")))
        keeper = UniverseKeeper(exchange, db, clock)
        assert await keeper.pairs(AUTO) == ("ADA/USD", "BTC/USD", "ETH/USD", "XRP/USD") and keeper.held == ("XRP/USD",)
        assert await keeper.pairs(CFG) == ("BTC/USD",)  # the configured universe: exactly its pairs, as before
        await feed.close()
        db.close()


async def test_a_resting_maker_entry_outside_the_choice_is_still_reviewed(tmp_path: Path) -> None:
    """A post-only entry resting on a pair that left the universe must still reach its timeout (or its fill)."""
    from trading.autopilot.intents import IntentKind, OrderIntent

    clock = ManualClock(KRAKEN_NOW + timedelta(seconds=5))
    async with KrakenStandin(now=KRAKEN_NOW) as k:
        _market(k)
        feed = FallbackFeed(KrakenPublicFeed(api_url=k.url, clock=clock), lambda: ReplayFeed(clock))
        db = open_database(Mode.PAPER, tmp_path)
        db.open_entry_intent(OrderIntent(IntentKind.ENTRY, "XRP/USD", clock.now(), "zyn-ap-xrp-1", clock.now().date(),
                                         Decimal("50"), limit_price=Decimal("0.5"), stop_price=Decimal("0.45")))
        keeper = UniverseKeeper(PaperExchange(feed, db, clock), db, clock)
        assert await keeper.pairs(AUTO) == ("ADA/USD", "BTC/USD", "ETH/USD", "XRP/USD") and keeper.held == ("XRP/USD",)
        await feed.close()
        db.close()


async def test_chat_explains_the_universe_in_force(tmp_path: Path) -> None:
    from tests.agent.world import OWNER, make_world

    clock = ManualClock(KRAKEN_NOW + timedelta(seconds=5))
    async with KrakenStandin(now=KRAKEN_NOW) as k:
        _market(k)
        world = make_world(tmp_path)
        world.ctx.trading_config = AUTO
        reply = await world.agent.handle(OWNER, "which pairs do you trade?")
        assert "Universe: BTC/USD for now; the autopilot's first tick chooses the 3 most liquid USD pairs" in reply.text
        feed = FallbackFeed(KrakenPublicFeed(api_url=k.url, clock=clock), lambda: ReplayFeed(clock))
        await UniverseKeeper(PaperExchange(feed, world.db, clock), world.db, clock).choice(AUTO)
        reply = await world.agent.handle(OWNER, "why these pairs?")
        assert "Universe: ADA/USD 50.0M, BTC/USD 42.8M, ETH/USD 18.5M" in reply.text
        assert "the 3 most liquid USD pairs on Kraken by 24h volume, with at least" in reply.text
        assert "NEW/USD 30.0M: not enough history: 4 of" in reply.text and "OLD/USD: inactive market" in reply.text
        assert "Daily profit target: none" in reply.text
        reply = await world.agent.handle(OWNER, "autopilot status")
        assert "Universe: ADA/USD 50.0M, BTC/USD 42.8M, ETH/USD 18.5M (the 3 most liquid USD pairs" in reply.text
        await feed.close()
        world.db.close()


async def test_many_tickers_are_asked_in_bounded_calls() -> None:
    clock = ManualClock(KRAKEN_NOW)
    async with KrakenStandin(now=KRAKEN_NOW) as k:
        k.forbid_private = True
        for i in range(150):
            k.add_market(f"C{i:03d}USD", f"C{i:03d}", last="2", volume=str(1000 + i))
        feed = KrakenPublicFeed(api_url=k.url, clock=clock)
        symbols = sorted(s for s in await feed.load_markets() if s.endswith("/USD"))
        tickers = await feed.fetch_tickers(symbols)
        assert len(tickers) == len(symbols) >= 150 and len(k.calls("Ticker")) == 2
        assert tickers["C149/USD"].quote_volume_24h == Decimal("2298")  # 1149 x its 24h VWAP of 2
        await feed.close()


async def test_recent_history_in_the_local_candle_store_counts(tmp_path: Path) -> None:
    import numpy as np

    from trading.backtest.data import make_ohlcv

    clock = ManualClock(KRAKEN_NOW + timedelta(seconds=5))
    async with KrakenStandin(now=KRAKEN_NOW) as k:
        _market(k)
        db = open_database(Mode.PAPER, tmp_path)
        end_ms = int(KRAKEN_NOW.timestamp()) // 300 * 300 * 1000 - 300_000  # the last closed 5m candle
        t = np.array([end_ms - 300_000 * (99 - i) for i in range(100)], dtype=np.int64)
        flat = np.full(100, 10.0)
        db.add_candles("NEW/USD", "5m", make_ohlcv(t, flat, flat, flat, flat, flat), source="test import", at=clock.now())
        feed = FallbackFeed(KrakenPublicFeed(api_url=k.url, clock=clock), lambda: ReplayFeed(clock))
        choice = await UniverseKeeper(PaperExchange(feed, db, clock), db, clock).choice(AUTO)
        assert choice.pairs == ("ADA/USD", "BTC/USD", "NEW/USD") and choice.history["NEW/USD"] == 100
        assert not [c for c in k.calls("OHLC") if c.get("pair") == "NEWUSD"]  # the store sufficed: not asked
        await feed.close()
        db.close()
