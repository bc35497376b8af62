"""The offline replay plays the candle store's real candles of a replay market, labelled with their provenance and
span; the markets the store does not hold stay the bundled rescaled replay, and say so."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.app import make_feed
from bot.cli.main import main
from bot.settings import load_settings
from memory import open_database
from trading.clock import ManualClock
from trading.domain import Mode
from trading.exchange.feeds.replay import ANCHOR, REPLAY_SOURCE

FIRST = datetime(2024, 3, 1, tzinfo=UTC)


def _kraken_file(tmp_path: Path) -> tuple[Path, list[list[str]]]:
    """A Kraken OHLCVT file of BTC/USD: 300 5m candles with three missing after the 100th."""
    rows, price = [], Decimal("60000.0")
    for i in range(303):
        if 100 <= i < 103:
            continue
        o, c = price, price + Decimal(i % 7 - 3)
        rows.append([str(int((FIRST + i * timedelta(minutes=5)).timestamp())), str(o), str(max(o, c) + 5),
                     str(min(o, c) - 5), str(c), "1.25000000", "12"])
        price = c
    path = tmp_path / "XBTUSD_5.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    return path, rows


def test_offline_replay_reads_the_candle_store_and_says_what_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path, rows = _kraken_file(tmp_path)
    assert main(["data", "import", str(path)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    label = ("offline replay of real BTC/USD 5m candles from the candle store (Kraken OHLCVT file XBTUSD_5.csv) "
             "2024-03-01 00:00 → 2024-03-02 01:15 UTC, 3 missing filled flat, looped onto today's clock")

    assert main(["status", "--json"]) == 0
    source = json.loads(capsys.readouterr().out)["data_source"]
    assert source.startswith(label + "; ")
    assert "ETH/USD is LTC/BTC" in source and "not real ETH/USD prices" in source
    assert "BTC/USD is ETH/BTC" not in source  # the bundled stand-in for BTC/USD is not in use

    db = open_database(Mode.PAPER, tmp_path / "data")
    try:
        # The loop starts at the replay's anchor: 150 candles in, the closed candles are the stored ones in order.
        clock = ManualClock(ANCHOR + timedelta(minutes=5 * 150 + 2))
        feed = make_feed(load_settings(), clock, db)
        candles = await_(feed.fetch_ohlcv("BTC/USD", "5m", limit=60))
        closed = [c for c in candles if c.closed]
        stored = [r for r in rows if int(r[0]) >= int((FIRST + 91 * timedelta(minutes=5)).timestamp())]
        # rows 91..99 are real, 100..102 filled flat at row 99's close, then real again from row 103
        assert [c.close for c in closed[:9]] == [Decimal(r[4]) for r in stored[:9]]
        flat = Decimal(stored[8][4])
        assert all((c.open, c.high, c.low, c.close, c.volume) == (flat, flat, flat, flat, 0) for c in closed[9:12])
        assert [c.close for c in closed[12:]] == [Decimal(r[4]) for r in stored[9:9 + len(closed) - 12]]
        ticker = await_(feed.fetch_ticker("BTC/USD"))
        assert ticker.source == "offline replay of stored real BTC/USD candles 2024-03-01 → 2024-03-02"
        assert (await_(feed.fetch_ticker("ETH/USD"))).source.startswith("offline replay: LTC/BTC ×")
        assert feed.source == source
    finally:
        db.close()

    # Without stored candles the replay is the bundled one, labelled as before.
    empty = open_database(Mode.PAPER, tmp_path / "other")
    try:
        assert make_feed(load_settings(), ManualClock(ANCHOR), empty).source == REPLAY_SOURCE
    finally:
        empty.close()


def await_(coro):  # noqa: ANN001, ANN201 - a tiny helper: run one coroutine to its end
    import asyncio

    return asyncio.run(coro)
