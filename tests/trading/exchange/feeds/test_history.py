"""HistoryFetch with the real Kraken client (ccxt) against the stand-in: OHLC alone when the start is inside its
window (the forming row never kept), trades aggregated at 1h, the delay between every two public calls."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from tests.bot.test_cli_data_fetch import NOW, _tape
from tests.standins.kraken import KrakenStandin
from trading.clock import ManualClock, to_ms
from trading.decision.indicators import OHLCV
from trading.errors import InputError
from trading.exchange.feeds.history import SOURCE_OHLC, SOURCE_TRADES, HistoryFetch
from trading.exchange.kraken.client import KrakenPublicFeed


def _aggregate(tape, step_s: int, forming_s: int) -> dict[int, tuple[float, float, float, float, float]]:
    out: dict[int, list[float]] = {}
    for ns, price, volume, _s, _k in tape:
        start = ns // 10**9 // step_s * step_s
        p, v = float(price), float(volume)
        if start in out:
            b = out[start]
            b[1], b[2], b[3], b[4] = max(b[1], p), min(b[2], p), p, b[4] + v
        else:
            out[start] = [p, p, p, p, v]
    return {k * 1000: tuple(b) for k, b in out.items() if k < forming_s}  # type: ignore[misc]


async def _run(standin: KrakenStandin, timeframe: str, start, *, delay: float = 0.0):
    stored: list[tuple[OHLCV, str]] = []
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    feed = KrakenPublicFeed(api_url=standin.url, clock=ManualClock(NOW), retries=0)
    try:
        job = HistoryFetch(feed, "BTC/USD", timeframe, store=lambda o, s: stored.append((o, s)), now=lambda: NOW,
                           delay=delay, sleep=sleep)
        report = await job.run(start)
    finally:
        await feed.close()
    return report, stored, slept


@pytest.fixture
async def standin():
    async with KrakenStandin(now=NOW) as k:
        k.forbid_private = True
        k.set_trades("XXBTZUSD", _tape())
        yield k


async def test_inside_the_ohlc_window_only_ohlc_is_read_and_the_forming_candle_is_dropped(standin) -> None:
    report, stored, slept = await _run(standin, "5m", NOW - timedelta(hours=10), delay=0.7)
    assert standin.calls("Trades") == [] and len(standin.calls("OHLC")) == 1
    [(ohlcv, source)] = stored
    assert source == SOURCE_OHLC
    expected = _aggregate(standin.tapes["XXBTZUSD"], 300, int(NOW.timestamp()) // 300 * 300)
    first = int((NOW - timedelta(hours=10)).timestamp()) // 300 * 300 * 1000 + 300_000
    want = {k: v for k, v in expected.items() if k >= first}
    assert ohlcv.timestamps.tolist() == sorted(want)  # ends with the last closed candle, not the forming one
    assert np.array_equal(ohlcv.close, [want[k][3] for k in sorted(want)])
    assert report.from_ohlc == len(want) and report.from_trades == 0 and slept == []  # one call: nothing to wait


async def test_1h_from_ohlc_5m_from_trades_then_ohlc_and_every_two_calls_are_spaced_by_the_delay(standin) -> None:
    start = NOW - timedelta(days=3)  # 12:02:30: the first candle kept opens at 12:05 (5m) or 13:00 (1h)
    tape = standin.tapes["XXBTZUSD"]
    report, stored, slept = await _run(standin, "1h", start, delay=0.7)
    # 720 hourly rows reach back 30 days: the whole tape is in OHLC's window, so no trades are needed.
    assert standin.calls("Trades") == [] and report.from_trades == 0
    hourly = {k: v for k, v in _aggregate(tape, 3600, int(NOW.timestamp()) // 3600 * 3600).items()
              if k >= to_ms(start.replace(minute=0, second=0) + timedelta(hours=1))}
    [(ohlcv, _s)] = stored
    assert ohlcv.timestamps.tolist() == sorted(hourly) and len(hourly) == 71
    assert np.allclose(ohlcv.volume, [hourly[k][4] for k in sorted(hourly)], rtol=1e-12, atol=0)

    # With 5-minute candles the first 12 hours need trades; then OHLC once more.
    report, stored, slept = await _run(standin, "5m", start, delay=0.7)
    assert [s for _o, s in stored][:1] == [SOURCE_TRADES] and stored[-1][1] == SOURCE_OHLC
    assert report.calls == len(standin.calls("Trades")) + len(standin.calls("OHLC")) - 1  # minus the 1h run's call
    assert report.pages == len(standin.calls("Trades")) >= 4
    assert slept == [0.7] * (report.calls - 1)
    got = np.concatenate([o.timestamps for o, _s in stored])
    expected = {k: v for k, v in _aggregate(tape, 300, int(NOW.timestamp()) // 300 * 300).items()
                if k >= to_ms(start) - to_ms(start) % 300_000 + 300_000}
    assert got.tolist() == sorted(expected)
    closes = np.concatenate([o.close for o, _s in stored])
    assert np.array_equal(closes, [expected[k][3] for k in sorted(expected)])


async def test_bad_settings_are_refused(standin) -> None:
    feed = KrakenPublicFeed(api_url=standin.url)
    with pytest.raises(InputError, match="timeframe"):
        HistoryFetch(feed, "BTC/USD", "2h", store=lambda o, s: None, now=lambda: NOW)
    with pytest.raises(InputError, match="delay"):
        HistoryFetch(feed, "BTC/USD", "5m", store=lambda o, s: None, now=lambda: NOW, delay=-1)
    await feed.close()
