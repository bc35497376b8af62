"""The offline replay feed: deterministic, labelled with what it really is, and shaped like the Kraken feed."""

from __future__ import annotations

import gzip
import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from scripts import build_replay
from trading.clock import ManualClock
from trading.domain import Market, fits_step
from trading.errors import ExchangeError, InputError, UnknownPairError
from trading.exchange.base import MarketFeed
from trading.exchange.feeds.provenance import replay_note, replay_origins
from trading.exchange.feeds.replay import ANCHOR, REPLAY_SOURCE, ReplayFeed

SYMBOLS = ("BTC/USD", "ETH/USD", "SOL/USD")
CYCLE = 5_760  # the real twenty days of 5-minute candles, no reversed copy
FIVE = timedelta(minutes=5)
NOW = datetime(2025, 3, 10, 14, 7, 30, tzinfo=UTC)  # 2.5 minutes into the 14:05 candle


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def feed(clock: ManualClock) -> ReplayFeed:
    return ReplayFeed(clock)


def package_data_dir() -> Path:
    return Path(str(resources.files("trading.data")))


async def full_cycle(feed: ReplayFeed, clock: ManualClock, symbol: str) -> list:
    """Every candle of one cycle plus a few either side of a wrap (all closed)."""
    wrap = ANCHOR + CYCLE * FIVE
    clock.set(wrap + 10 * FIVE)
    return await feed.fetch_ohlcv(symbol, since=wrap - (CYCLE + 5) * FIVE, limit=CYCLE + 12)


async def test_is_a_labelled_market_feed(feed: ReplayFeed) -> None:
    assert isinstance(feed, MarketFeed)
    assert feed.source == REPLAY_SOURCE == "offline replay (rescaled 2018 altcoin/BTC candles, not real prices)"
    assert (await feed.fetch_ticker("BTC/USD")).source == REPLAY_SOURCE


async def test_markets_carry_krakens_rules(feed: ReplayFeed) -> None:
    markets = await feed.load_markets()
    assert sorted(markets) == sorted(SYMBOLS)
    btc = markets["BTC/USD"]
    assert isinstance(btc, Market)
    assert (btc.exchange_id, btc.altname, btc.base, btc.quote) == ("XXBTZUSD", "XBTUSD", "BTC", "USD")
    assert (btc.price_step, btc.min_amount, btc.min_cost) == (Decimal("0.1"), Decimal("0.00005"), Decimal("0.5"))
    assert markets["ETH/USD"].exchange_id == "XETHZUSD" and markets["SOL/USD"].altname == "SOLUSD"
    assert all(m.amount_step == Decimal("1e-8") for m in markets.values())
    assert all((m.maker_fee, m.taker_fee) == (Decimal("0.0025"), Decimal("0.0040")) for m in markets.values())
    markets.clear()  # a caller's copy: the feed's own stays intact
    assert len(await feed.load_markets()) == 3


async def test_same_clock_same_prices() -> None:
    a, b = ReplayFeed(ManualClock(NOW)), ReplayFeed(ManualClock(NOW))
    for symbol in SYMBOLS:
        assert await a.fetch_ticker(symbol) == await b.fetch_ticker(symbol)
        assert await a.fetch_ohlcv(symbol, limit=50) == await b.fetch_ohlcv(symbol, limit=50)
    later = ReplayFeed(ManualClock(NOW + timedelta(hours=3)))
    assert (await later.fetch_ticker("BTC/USD")).last != (await a.fetch_ticker("BTC/USD")).last


async def test_levels_are_realistic(feed: ReplayFeed) -> None:
    for symbol, low, high in (("BTC/USD", 70_000, 110_000), ("ETH/USD", 2_500, 3_600), ("SOL/USD", 100, 200)):
        last = (await feed.fetch_ticker(symbol)).last
        assert low < last < high, (symbol, last)


async def test_candles_are_aligned_and_only_the_last_is_forming(feed: ReplayFeed) -> None:
    candles = await feed.fetch_ohlcv("ETH/USD", limit=10)
    assert len(candles) == 10
    assert candles[-1].timestamp == datetime(2025, 3, 10, 14, 5, tzinfo=UTC)
    assert all(b.timestamp - a.timestamp == FIVE for a, b in zip(candles, candles[1:], strict=False))
    assert [c.closed for c in candles] == [True] * 9 + [False]


async def test_forming_candle_grows_smoothly_into_the_closed_one(clock: ManualClock, feed: ReplayFeed) -> None:
    start = datetime(2025, 3, 10, 14, 5, tzinfo=UTC)
    clock.set(start)
    first = (await feed.fetch_ohlcv("BTC/USD", limit=1))[0]
    assert first.open == first.high == first.low == first.close and first.volume == 0 and not first.closed
    seen, prev = [], first
    for second in range(1, 300):
        clock.set(start + timedelta(seconds=second))
        c = (await feed.fetch_ohlcv("BTC/USD", limit=1))[0]
        assert c.high >= prev.high and c.low <= prev.low and c.volume >= prev.volume  # extremes only widen
        assert abs(c.close - prev.close) <= c.open * Decimal("0.002")  # no jump within a candle
        seen.append(c)
        prev = c
    clock.set(start + FIVE)
    done = (await feed.fetch_ohlcv("BTC/USD", since=start, limit=1))[0]
    assert done.closed and done.timestamp == start
    assert all(done.low <= c.low <= c.close <= c.high <= done.high for c in seen)
    # One second before the close the last leg may not be finished: the extremes are a whisker away.
    assert abs(prev.high - done.high) <= done.open * Decimal("0.001")
    assert abs(prev.low - done.low) <= done.open * Decimal("0.001")
    assert abs(prev.close - done.close) <= done.open * Decimal("0.001")


async def test_ticker_quotes_on_the_price_step(feed: ReplayFeed, clock: ManualClock) -> None:
    for symbol in SYMBOLS:
        step = (await feed.load_markets())[symbol].price_step
        t = await feed.fetch_ticker(symbol)
        assert t.bid < t.last < t.ask
        assert all(fits_step(x, step) for x in (t.bid, t.ask, t.last))
        assert t.ask - t.bid <= t.last * Decimal("0.0002") + 2 * step  # about 2 bps
        assert t.timestamp == clock.now()
        day = await feed.fetch_ohlcv(symbol, limit=288)
        assert t.last == day[-1].close and t.open_24h == day[0].open
        assert t.high_24h == max(c.high for c in day) and t.low_24h == min(c.low for c in day)
        assert t.volume_24h == sum(c.volume for c in day)
    tight = await ReplayFeed(clock, spread_bps=Decimal(0)).fetch_ticker("SOL/USD")
    assert tight.bid < tight.last < tight.ask


async def test_since_and_limit_follow_ccxt(feed: ReplayFeed) -> None:
    hour_ago = NOW - timedelta(hours=1)  # 13:07:30, so the first candle opening after it is 13:10
    candles = await feed.fetch_ohlcv("SOL/USD", since=hour_ago)
    assert candles[0].timestamp == datetime(2025, 3, 10, 13, 10, tzinfo=UTC)
    assert candles[-1].timestamp == datetime(2025, 3, 10, 14, 5, tzinfo=UTC) and len(candles) == 12
    five = await feed.fetch_ohlcv("SOL/USD", since=hour_ago, limit=5)
    assert five == candles[:5]
    on_boundary = await feed.fetch_ohlcv("SOL/USD", since=datetime(2025, 3, 10, 13, 10, tzinfo=UTC), limit=1)
    assert on_boundary[0].timestamp == datetime(2025, 3, 10, 13, 10, tzinfo=UTC)
    assert await feed.fetch_ohlcv("SOL/USD", since=NOW + FIVE) == []
    assert len(await feed.fetch_ohlcv("SOL/USD")) == 720
    for bad in (0, -3, 2.5):
        with pytest.raises(InputError):
            await feed.fetch_ohlcv("SOL/USD", limit=bad)


async def test_longer_timeframes_aggregate_the_five_minute_candles(feed: ReplayFeed) -> None:
    hours = await feed.fetch_ohlcv("BTC/USD", "1h", limit=3)
    assert [c.timestamp.minute for c in hours] == [0, 0, 0] and [c.closed for c in hours] == [True, True, False]
    for hour in hours:
        parts = await feed.fetch_ohlcv("BTC/USD", since=hour.timestamp, limit=12)
        parts = [p for p in parts if p.timestamp < hour.timestamp + timedelta(hours=1)]
        assert len(parts) == (12 if hour.closed else 2)  # the forming hour holds 14:00 and 14:05 so far
        assert hour.open == parts[0].open and hour.close == parts[-1].close
        assert hour.high == max(p.high for p in parts) and hour.low == min(p.low for p in parts)
        assert hour.volume == sum(p.volume for p in parts)
    day = (await feed.fetch_ohlcv("BTC/USD", "1d", limit=2))[0]
    assert day.timestamp == datetime(2025, 3, 9, tzinfo=UTC) and day.closed
    assert (await feed.fetch_ohlcv("BTC/USD", "15m", limit=1))[0].timestamp.minute == 0
    assert (await feed.fetch_ohlcv("BTC/USD", "4h", limit=1))[0].timestamp.hour == 12


@pytest.mark.parametrize("timeframe", ["1m", "2h", "1w", ""])
async def test_unsupported_timeframe_is_refused_clearly(feed: ReplayFeed, timeframe: str) -> None:
    with pytest.raises(InputError, match="5m, 15m, 1h, 4h, 1d"):
        await feed.fetch_ohlcv("BTC/USD", timeframe)


@pytest.mark.parametrize("spelling", ["BTC/USD", "btcusd", "XBTUSD", "XBT/USD", "xxbtzusd", "btc-usd"])
async def test_pair_spellings(feed: ReplayFeed, spelling: str) -> None:
    assert (await feed.fetch_ticker(spelling)).symbol == "BTC/USD"
    assert (await feed.fetch_ohlcv(spelling, limit=1))[0].symbol == "BTC/USD"


@pytest.mark.parametrize("pair", ["DOGE/USD", "BTC/EUR", "not a pair", ""])
async def test_unknown_pair(feed: ReplayFeed, pair: str) -> None:
    with pytest.raises(UnknownPairError):
        await feed.fetch_ticker(pair)
    with pytest.raises(UnknownPairError):
        await feed.fetch_ohlcv(pair)


@pytest.mark.parametrize("symbol", SYMBOLS)
async def test_the_loop_is_the_real_series_and_every_row_is_sane(clock: ManualClock, symbol: str) -> None:
    feed = ReplayFeed(clock)
    step = (await feed.load_markets())[symbol].price_step
    candles = await full_cycle(feed, clock, symbol)
    assert len(candles) == CYCLE + 12 and all(c.closed for c in candles)
    for c in candles:
        assert c.low <= min(c.open, c.close) and max(c.open, c.close) <= c.high and c.low > 0
        assert c.volume >= 0 and fits_step(c.volume, Decimal("1e-8"))
        assert all(fits_step(x, step) for x in (c.open, c.high, c.low, c.close))
    wrap = ANCHOR + CYCLE * FIVE
    for a, b in zip(candles, candles[1:], strict=False):
        if b.timestamp in (ANCHOR, wrap):
            continue  # where the loop wraps, price jumps back to the first real candle (labelled, not smoothed)
        assert abs(b.open / a.close - 1) < Decimal("0.03"), (a, b)
        assert abs(b.close / a.close - 1) < Decimal("0.10"), (a, b)
    rows = [(c.open, c.high, c.low, c.close, c.volume) for c in candles]
    # No time-reversed copy: the second half of the cycle is not the first half backwards.
    half = CYCLE // 2
    assert [r[3] for r in rows[5 + half:5 + CYCLE]] != [r[0] for r in reversed(rows[5:5 + half])]
    later = candles[CYCLE:]  # the cycle repeats exactly
    assert [(c.open, c.high, c.low, c.close, c.volume) for c in later] == [
        (c.open, c.high, c.low, c.close, c.volume) for c in candles[: len(later)]
    ]


async def test_damaged_data_is_refused(tmp_path: Path, clock: ManualClock) -> None:
    shutil.copy(package_data_dir() / "markets.json", tmp_path / "markets.json")
    rows = "offset_s,open,high,low,close,volume\n0,1,1,1,1,1\n600,1,1,1,1,1\n"  # a hole at 300
    (tmp_path / "BTC_USD-5m.csv.gz").write_bytes(gzip.compress(rows.encode()))
    feed = ReplayFeed(clock, data_dir=tmp_path)
    with pytest.raises(ExchangeError, match="damaged"):
        await feed.fetch_ticker("BTC/USD")
    with pytest.raises(ExchangeError, match="missing"):
        await feed.fetch_ticker("ETH/USD")


def test_builder_repairs_and_records_what_it_made(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    t0 = 1_515_560_100_000
    lines = ["timestamp,open,high,low,close,volume",
             f"{t0},0.10,0.11,0.09,0.105,5",
             f"{t0},0.50,0.50,0.50,0.50,5",  # duplicate: the first wins
             f"{t0 + 300_000},0.105,0.104,0.1,0.102,3",  # high below the open: widened
             f"{t0 + 450_000},0.2,0.2,0.2,0.2,1",  # not on a 5-minute boundary: dropped
             f"{t0 + 600_000},nan,0.1,0.1,0.1,1",  # not finite: dropped, then filled
             f"{t0 + 1_200_000},0.101,0.103,0.1,0.1,0"]  # after a gap; zero volume kept
    for target in build_replay.TARGETS:
        (src / f"{target.source}.csv").write_text("\n".join(lines) + "\n")
    report = build_replay.Report()
    series = build_replay.repair(build_replay.read_source(src / "ETH_BTC-5m.csv", report), report)
    assert len(series) == 5 and report.filled == 2 and report.widened == 1 and report.zero_volume == 1
    assert series[2] == series[3] == (Decimal("0.102"),) * 4 + (Decimal(0),)
    assert sum(report.dropped.values()) == 3
    assert not hasattr(build_replay, "mirror")  # no synthetic reversed copy any more
    out = tmp_path / "out"
    build_replay.build(src, out)
    first = (out / "BTC_USD-5m.csv.gz").read_bytes()
    build_replay.build(src, out)
    assert (out / "BTC_USD-5m.csv.gz").read_bytes() == first  # byte-for-byte reproducible
    text = gzip.decompress(first).decode().splitlines()
    assert text[0] == "offset_s,open,high,low,close,volume" and len(text) == 6  # the five real slots only
    assert text[1].split(",")[0] == "0" and text[-1].split(",")[0] == str(4 * 300)
    origin = replay_origins(str(out))["BTC/USD"]
    assert (origin.source_pair, origin.candles, origin.filled_flat) == ("ETH/BTC", 5, 2)
    assert origin.first_open == datetime(2018, 1, 10, 4, 55, tzinfo=UTC)


def test_bundled_provenance_names_every_market_and_its_real_span() -> None:
    origins = replay_origins()
    assert {s: o.source_pair for s, o in origins.items()} == {
        "BTC/USD": "ETH/BTC", "ETH/USD": "LTC/BTC", "SOL/USD": "ADA/BTC"}
    for o in origins.values():
        assert o.first_open == datetime(2018, 1, 10, 4, 55, tzinfo=UTC) and o.candles == CYCLE
    note = replay_note()
    assert "NOT real prices" in note and "BTC/USD = ETH/BTC ×976140" in note and "2018-01-10 → 2018-01-30" in note
