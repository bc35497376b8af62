"""`zyn data fetch`: real ccxt against the Kraken stand-in's public OHLC and Trades, through the real CLI.

The stand-in serves a three-day tape of public trades (Trades pages it; OHLC aggregates it, the last row forming).
A first run is cut off after two Trades pages; the second continues from the last stored candle; the store then
holds exactly an independent (pandas) aggregation of the tape: every closed 5-minute period with trades, none
invented for the hours without trades, and not the forming candle.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from bot.cli.main import main
from memory import open_database
from tests.standins.kraken import KrakenStandin
from tests.standins.threaded import Threaded
from trading.domain import Mode

NOW = datetime(2026, 3, 10, 12, 2, 30, tzinfo=UTC)
STEP_NS = 300 * 10**9
GAPS = [(NOW - timedelta(days=3) + timedelta(hours=6), NOW - timedelta(days=3) + timedelta(hours=7)),  # trades part
        (NOW - timedelta(hours=20), NOW - timedelta(hours=19))]  # inside the OHLC window


def _ns(when: datetime) -> int:
    return int(when.timestamp()) * 10**9


def _tape() -> list[tuple[int, str, str, str, str]]:
    """About 25,000 trades, 1 to 20 s apart at whole microseconds, none in the two gap hours."""
    rng, price = random.Random(11), 60_000.0
    t, end, out = _ns(NOW - timedelta(days=3)), _ns(NOW) - 10**9, []
    while True:
        t += rng.randint(1, 20) * 10**9 + rng.randint(0, 999_999) * 1000
        if t >= end:
            return out
        if any(_ns(a) <= t < _ns(b) for a, b in GAPS):
            continue
        price = max(price * (1 + rng.gauss(0, 0.0004)), 1.0)
        out.append((t, f"{price:.1f}", f"{rng.uniform(0.0001, 0.5):.8f}", rng.choice("bs"), rng.choice("ml")))


def _expected(tape: list[tuple[int, str, str, str, str]]) -> pd.DataFrame:
    """Closed 5-minute candles of the tape, aggregated independently of the code under test."""
    df = pd.DataFrame({"ns": [x[0] for x in tape], "price": [float(x[1]) for x in tape],
                       "volume": [float(x[2]) for x in tape]})
    df["open_ms"] = df["ns"] // STEP_NS * STEP_NS // 10**6
    got = df.groupby("open_ms").agg(open=("price", "first"), high=("price", "max"), low=("price", "min"),
                                    close=("price", "last"), volume=("volume", "sum")).reset_index()
    forming = _ns(NOW) // STEP_NS * STEP_NS // 10**6
    return got[got["open_ms"] < forming]


def _stored(tmp_path) -> tuple[object, object]:
    db = open_database(Mode.PAPER, tmp_path / "data")
    try:
        return db.load_candles("BTC/USD", "5m"), db.candle_set("BTC/USD", "5m")
    finally:
        db.close()


def _same(ohlcv, expected: pd.DataFrame) -> None:
    assert np.array_equal(ohlcv.timestamps, expected["open_ms"].to_numpy())
    for col in ("open", "high", "low", "close"):
        assert np.array_equal(getattr(ohlcv, col), expected[col].to_numpy()), col
    assert np.allclose(ohlcv.volume, expected["volume"].to_numpy(), rtol=1e-12, atol=0)


@pytest.fixture
def kraken(monkeypatch: pytest.MonkeyPatch):
    with Threaded(lambda: KrakenStandin(now=NOW)) as standin:
        standin.set_trades("XXBTZUSD", _tape())
        monkeypatch.setenv("KRAKEN_API_URL", standin.url)
        standin.forbid_private = True
        yield standin


def test_fetch_is_paged_resumable_and_equals_an_independent_aggregation(kraken: KrakenStandin, tmp_path,
                                                                         capsys) -> None:
    tape = kraken.tapes["XXBTZUSD"]
    expected = _expected(tape)
    argv = ["data", "fetch", "BTC/USD", "--since", "2026-03-07", "--delay", "0"]

    kraken.trades_fail_after = 2  # Kraken goes away after two pages of trades
    assert main(argv) != 0
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and err.strip().startswith("error: Kraken is unavailable")
    assert "BTC/USD 5m stopped:" in err and "run the same command again to continue" in err
    assert "Traceback" not in out + err
    part, held = _stored(tmp_path)
    assert 0 < len(part) < len(expected)
    _same(part, expected[expected["open_ms"] <= int(part.timestamps[-1])])  # what was kept is right and closed
    assert held.sources == (f"kraken public trades via {kraken.url.removeprefix('http://')}",)
    first_run = len(kraken.calls("Trades"))

    kraken.trades_fail_after = None
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "continuing after the last" in out and "Traceback" not in out + err
    trades_calls = kraken.calls("Trades")
    resumed_from = (int(part.timestamps[-1]) + 300_000) * 10**6 - 1
    # Not from the start again: one look before the first stored candle (nothing there), then after the last.
    assert [c["since"] for c in trades_calls[first_run:first_run + 2]] == [str(_ns(datetime(2026, 3, 7, tzinfo=UTC))
                                                                                - 1), str(resumed_from)]
    whole, held = _stored(tmp_path)
    _same(whole, expected)
    slots = (int(expected["open_ms"].iloc[-1]) - int(expected["open_ms"].iloc[0])) // 300_000 + 1
    assert held.missing == slots - len(expected) == 22  # 11 empty periods in each hour without trades: gaps
    assert held.sources == tuple(f"{s} via {kraken.url.removeprefix('http://')}"
                                 for s in ("kraken public trades", "kraken OHLC"))
    assert "periods without trades left as gaps" in out

    # Paging: 1,000 trades a page, each next page from the previous answer's `last` cursor (ns).
    assert all(c["count"] == "1000" for c in trades_calls)
    sinces = [int(c["since"]) for c in trades_calls[first_run + 1:]]
    assert sinces == sorted(sinces) and len(set(sinces)) == len(sinces)
    assert len(trades_calls) >= 5
    # The OHLC part: the stand-in's latest 720 rows minus the forming one, none of them rebuilt from trades.
    ohlc_calls = kraken.calls("OHLC")
    assert ohlc_calls and all(c["interval"] == "5" for c in ohlc_calls)
