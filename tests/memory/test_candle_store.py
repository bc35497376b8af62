"""The local candle store: each file format imported, spans, gaps, provenance, re-imports, and `zyn data`."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from bot.cli.main import main
from memory import open_database
from trading.domain import Mode
from trading.errors import InputError
from trading.exchange.feeds.files import read_candle_file

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "kraken" / "ETHXBT_5.csv"
AT = datetime(2026, 1, 1, tzinfo=UTC)
FIRST = datetime(2018, 1, 10, 4, 55, tzinfo=UTC)


def test_kraken_ohlcvt_file_is_read_with_pair_and_interval_from_its_name() -> None:
    [s] = read_candle_file(FIXTURE)
    assert (s.pair, s.timeframe, len(s.ohlcv)) == ("ETH/BTC", "5m", 600)
    assert s.source == "Kraken OHLCVT file ETHXBT_5.csv"
    assert int(s.ohlcv.timestamps[0]) == 1_515_560_100_000 and s.ohlcv.close[0] == pytest.approx(0.0994766)
    first_line = FIXTURE.read_text().splitlines()[0].split(",")
    assert [s.ohlcv.open[0], s.ohlcv.high[0], s.ohlcv.low[0], s.ohlcv.volume[0]] == [
        float(first_line[1]), float(first_line[2]), float(first_line[3]), float(first_line[5])]


def test_kraken_zip_freqtrade_json_and_plain_csv(tmp_path: Path) -> None:
    text = FIXTURE.read_text()
    archive = tmp_path / "Kraken_OHLCVT.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ETHXBT_5.csv", text)
        zf.writestr("XBTUSD_5.csv", text)  # the same rows under another name
        zf.writestr("README.txt", "not candles")
    got = read_candle_file(archive)
    assert sorted((s.pair, s.timeframe, len(s.ohlcv)) for s in got) == [("BTC/USD", "5m", 600),
                                                                        ("ETH/BTC", "5m", 600)]
    assert all("(in Kraken_OHLCVT.zip)" in s.source for s in got)
    [only] = read_candle_file(archive, only_pairs={"ETH/BTC"})
    assert only.pair == "ETH/BTC"

    rows = [[int(r.split(",")[0]) * 1000, *map(float, r.split(",")[1:6])] for r in text.splitlines()]
    ft = tmp_path / "ETH_BTC-5m.json"
    ft.write_text(json.dumps(rows))
    [f] = read_candle_file(ft)
    assert (f.pair, f.timeframe, len(f.ohlcv), f.source) == ("ETH/BTC", "5m", 600, "freqtrade json file ETH_BTC-5m.json")

    plain = tmp_path / "mine.csv"
    plain.write_text("Date,Open,High,Low,Close,Volume\n" + "\n".join(
        f"{datetime.fromtimestamp(r[0] / 1000, tz=UTC):%Y-%m-%d %H:%M:%S},{r[1]},{r[2]},{r[3]},{r[4]},{r[5]}"
        for r in rows))
    with pytest.raises(InputError, match="give --pair"):
        read_candle_file(plain)
    [p] = read_candle_file(plain, pair="ethbtc")
    assert (p.pair, p.timeframe, len(p.ohlcv)) == ("ETH/BTC", "5m", 600)
    assert np.array_equal(p.ohlcv.timestamps, f.ohlcv.timestamps) and np.array_equal(p.ohlcv.close, f.ohlcv.close)


@pytest.mark.parametrize("content, words", [
    ("1515560100,0.1,0.1\n", "columns"),
    ("1515560100,0.1,0.09,0.11,0.1,5,0\n", "outside their low..high"),
    ("1515560160,0.1,0.1,0.1,0.1,5,0\n1515560460,0.1,0.1,0.1,0.1,5,0\n", "not on 5m boundaries"),
])
def test_bad_files_are_refused_in_one_line(tmp_path: Path, content: str, words: str) -> None:
    bad = tmp_path / "ETHXBT_5.csv"
    bad.write_text(content)
    with pytest.raises(InputError, match=words) as exc:
        read_candle_file(bad)
    assert "\n" not in str(exc.value)


def test_store_keeps_span_gaps_provenance_and_ignores_a_reimport(tmp_path: Path) -> None:
    [s] = read_candle_file(FIXTURE)
    db = open_database(Mode.PAPER, tmp_path)
    try:
        keep = np.ones(len(s.ohlcv), dtype=bool)
        keep[100:110] = False  # ten missing candles
        from trading.backtest.data import make_ohlcv

        o = s.ohlcv
        holed = make_ohlcv(o.timestamps[keep], o.open[keep], o.high[keep], o.low[keep], o.close[keep], o.volume[keep])
        first = db.add_candles(s.pair, s.timeframe, holed, source=s.source, at=AT)
        assert (first.added, first.skipped) == (590, 0)
        again = db.add_candles(s.pair, s.timeframe, s.ohlcv, source="Kraken OHLCVT file again", at=AT)
        assert (again.added, again.skipped) == (10, 590)  # only the missing ten are new
        [cs] = db.candle_sets()
        assert (cs.pair, cs.timeframe, cs.candles, cs.missing, cs.first) == ("ETH/BTC", "5m", 600, 0, FIRST)
        assert cs.sources == ("Kraken OHLCVT file ETHXBT_5.csv", "Kraken OHLCVT file again")
        back = db.load_candles("ETH/BTC", "5m")
        assert np.array_equal(back.timestamps, s.ohlcv.timestamps) and np.array_equal(back.close, s.ohlcv.close)
        part = db.load_candles("ETH/BTC", "5m", datetime(2018, 1, 11, tzinfo=UTC), datetime(2018, 1, 12, tzinfo=UTC))
        assert len(part) == 288
    finally:
        db.close()


def test_cli_data_import_and_list(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["data", "list"]) == 0
    assert "candle store is empty" in capsys.readouterr().out
    assert main(["data", "import", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert "ETH/BTC 5m: 600 new candles, 0 already held (2018-01-10 04:55 → 2018-01-12 06:50 UTC)" in out
    assert main(["data", "import", str(FIXTURE)]) == 0
    assert "0 new candles, 600 already held" in capsys.readouterr().out
    assert main(["data", "list", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["pair"] == "ETH/BTC" and row["candles"] == 600 and row["missing"] == 0
    assert row["sources"] == ["Kraken OHLCVT file ETHXBT_5.csv"]
    assert main(["data", "import", str(tmp_path / "nope.csv")]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no such file" in err


def test_zyn_backtest_reads_the_store_and_refuses_outside_its_span(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "import", str(FIXTURE)]) == 0
    capsys.readouterr()
    # 600 candles from 2018-01-10 04:55: fewer than the 1h default stack warms up on (52 h); a 5-minute strategy
    # warms up on the 9 h before its start and trades from there.
    assert main(["backtest", "ETH/BTC", "--from", "2018-01-10", "--to", "2018-01-13", "--strategy", "ma_crossover"]) == 1
    assert ("the candle store's ETH/BTC 5m history starts 2018-01-10 04:55 UTC; a backtest from 2018-01-10 needs 9 h "
            "of history before it (the indicators' warm-up): ask from 2018-01-11") in capsys.readouterr().err
    assert main(["backtest", "ETH/BTC", "--from", "2018-01-11", "--to", "2018-01-13", "--json",
                 "--strategy", "ma_crossover"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["candles"] == 600 - 229 and doc["start"] == "2018-01-11T00:00:00+00:00"
    assert doc["source"] == ("candle store: ETH/BTC 5m candles 2018-01-10 04:55 → 2018-01-12 06:55 UTC from Kraken "
                             "OHLCVT file ETHXBT_5.csv; the 9 h before the start warm the indicators up (no trades)")
    assert main(["backtest", "ETH/BTC", "--from", "2019-01-01", "--to", "2019-01-08"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "outside the stored ETH/BTC candles" in err


def test_freqtrade_feather_is_imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """freqtrade's feather layout (date as a UTC datetime column, then open, high, low, close, volume)."""
    import pandas as pd

    rows = [r.split(",") for r in FIXTURE.read_text().splitlines()]
    df = pd.DataFrame({"date": pd.to_datetime([int(r[0]) for r in rows], unit="s", utc=True).astype(
        "datetime64[ns, UTC]"),
                       **{k: [float(r[i]) for r in rows] for i, k in enumerate(("open", "high", "low", "close",
                                                                                 "volume"), start=1)}})
    assert str(df["date"].dtype) == "datetime64[ns, UTC]"  # as freqtrade writes it
    path = tmp_path / "ETH_BTC-5m.feather"
    df.to_feather(path)
    [s] = read_candle_file(path)
    [k] = read_candle_file(FIXTURE)
    assert (s.pair, s.timeframe, len(s.ohlcv), s.source) == ("ETH/BTC", "5m", 600,
                                                             "freqtrade feather file ETH_BTC-5m.feather")
    for col in ("timestamps", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(s.ohlcv, col), getattr(k.ohlcv, col)), col
    assert main(["data", "import", str(path)]) == 0
    assert "ETH/BTC 5m: 600 new candles" in capsys.readouterr().out
    broken = tmp_path / "ETH_BTC-1h.feather"
    broken.write_bytes(b"not arrow at all")
    with pytest.raises(InputError, match="not a feather file"):
        read_candle_file(broken)


def test_replay_series_fills_missing_slots_flat_on_both_backends(backend) -> None:
    """What the offline replay plays for a stored pair: every 5m slot from the first candle, gaps flat and counted."""
    from decimal import Decimal

    from trading.backtest.data import make_ohlcv

    db = backend.open(Mode.PAPER)
    try:
        assert db.replay_series("BTC/USD") is None
        t = np.array([0, 300_000, 1_200_000, 1_500_000], dtype=np.int64) + 1_709_251_200_000  # 2024-03-01
        db.add_candles("BTC/USD", "5m", make_ohlcv(t, np.array([1.0, 2, 3, 4]), np.array([1.5, 2.5, 3.5, 4.5]),
                                                   np.array([0.5, 1.5, 2.5, 3.5]), np.array([1.25, 2.25, 3.25, 4.25]),
                                                   np.array([7.0, 8, 9, 10])), source="kraken OHLC", at=AT)
        s = db.replay_series("BTC/USD")
        assert (s.symbol, s.first_open, s.filled_flat, s.sources) == ("BTC/USD", datetime(2024, 3, 1, tzinfo=UTC), 2,
                                                                      ("kraken OHLC",))
        flat = (Decimal("2.25"),) * 4 + (Decimal(0),)
        assert s.rows == ((Decimal("1.0"), Decimal("1.5"), Decimal("0.5"), Decimal("1.25"), Decimal("7.0")),
                          (Decimal("2.0"), Decimal("2.5"), Decimal("1.5"), Decimal("2.25"), Decimal("8.0")), flat, flat,
                          (Decimal("3.0"), Decimal("3.5"), Decimal("2.5"), Decimal("3.25"), Decimal("9.0")),
                          (Decimal("4.0"), Decimal("4.5"), Decimal("3.5"), Decimal("4.25"), Decimal("10.0")))
        assert s.end == datetime(2024, 3, 1, 0, 30, tzinfo=UTC)
    finally:
        db.close()


def test_quick_sqlite_read_gives_the_same_replay_series_as_the_database(tmp_path: Path) -> None:
    """memory.quick (stdlib sqlite3, for the CLI's start-up) reads what Database.replay_series reads; a file it
    cannot vouch for (the other mode) is left to the real open."""
    from memory.quick import Unavailable, replay_series
    from trading.backtest.data import make_ohlcv

    path = tmp_path / "paper" / "zyn.db"
    assert replay_series(path, "paper", "BTC/USD") is None  # no file: nothing stored, nothing created
    assert not path.exists()
    db = open_database(Mode.PAPER, tmp_path)
    try:
        assert replay_series(path, "paper", "BTC/USD") is None
        t = np.array([0, 300_000, 1_200_000], dtype=np.int64) + 1_709_251_200_000
        one = np.array([1.0, 2, 3])
        for source in ("kraken OHLC", "a file", "kraken OHLC"):
            db.add_candles("BTC/USD", "5m", make_ohlcv(t, one, one + 1, one - 0.5, one + 0.25, one * 7),
                           source=source, at=AT)
        db.add_candles("BTC/USD", "1h", make_ohlcv(t, one, one, one, one, one), source="hourly", at=AT)
        expected = db.replay_series("BTC/USD")
        assert expected is not None and expected.sources == ("kraken OHLC", "a file")
        assert replay_series(path, "paper", "BTC/USD") == expected
        assert replay_series(path, "paper", "ETH/USD") is None
        with pytest.raises(Unavailable):
            replay_series(path, "live", "BTC/USD")
    finally:
        db.close()
