"""The backtester: a hand-worked MA crossover, real candles with exact accounting, metrics, live agreement, CLI."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pytest

from bot.cli.main import main
from trading.backtest.data import load_candles, make_ohlcv
from trading.backtest.engine import BacktestSettings, ExitReason, run_backtest
from trading.backtest.metrics import compute_metrics, drawdown
from trading.config import IndicatorSettings, RegimeSettings, TradingConfig
from trading.decision.indicators import OHLCV, compute_all
from trading.decision.orchestrator import decide_entry, decide_exit
from trading.domain import Liquidity, Market, Side
from trading.errors import InputError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "candles"
T0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC in ms
STEP = 300_000
MARKET = Market(symbol="ETH/USD", exchange_id="XETHZUSD", altname="ETHUSD", base="ETH", quote="USD",
                price_step=D("0.01"), amount_step=D("0.00000001"), min_amount=D("0.002"), min_cost=D("0.5"))


def at(bar: int) -> datetime:
    return datetime.fromtimestamp((T0 + bar * STEP) / 1000, tz=UTC)


# --- (a) the MA crossover, worked out by hand ---------------------------------------------------

def crossover_candles() -> OHLCV:
    """80 candles: flat 100, down to 90, up to 105, down to 95, flat, dip to 92, up to 106.

    Each open is the previous close + 0.25, so a fill at "the next open" is told apart from the close.
    """
    closes = ([100.0] * 20 + [100.0 - k for k in range(1, 11)] + [90.0 + k for k in range(1, 16)]
              + [105.0 - k for k in range(1, 11)] + [95.0] * 8 + [94.0, 93.0, 92.0]
              + [92.0 + k for k in range(1, 15)])
    c = np.array(closes)
    o = np.concatenate(([c[0]], c[:-1] + 0.25))
    return make_ohlcv(T0 + STEP * np.arange(c.size), o, np.maximum(o, c) + 1, np.minimum(o, c) - 1, c,
                      np.full(c.size, 10.0))


def test_ma_crossover_trades_match_the_hand_computation() -> None:
    # SMA(3) vs SMA(6) of the closes (bar: last six closes -> SMA3 / SMA6):
    #   bar 31: 93 92 91 90 91 92       -> 91.0 < 91.5
    #   bar 32: 92 91 90 91 92 93       -> 92.0 > 91.5   fast crosses above: BUY signal on bar 32's close
    #   bar 46: 102 103 104 105 104 103 -> 104.0 > 103.5
    #   bar 47: 103 104 105 104 103 102 -> 103.0 < 103.5 fast crosses below: SELL signal on bar 47's close
    #   bar 67: 95 94 93 92 93 94       -> 93.0 < 93.5
    #   bar 68: 94 93 92 93 94 95       -> 94.0 > 93.5   BUY signal on bar 68's close
    # No other strict crossing: in the flat stretches SMA3 == SMA6, which is neither below nor above.
    # Fills at the next open (close of the signal bar + 0.25), no slippage, 0.26 % taker fee per side,
    # fees rounded half up to 8 decimals, all-in amount = floor8(cash / (price * 1.0026)).
    # Trade 1: buy on bar 33 at 93.25.
    #   amount = floor8(10000 / 93.49245 = 106.960508575...) = 106.96050857
    #   cost   = 106.96050857 * 93.25 = 9974.0674241525; fee = 9974.0674241525 * 0.0026 -> 25.93257530
    #   cash   = 10000 - 9974.0674241525 - 25.93257530 = 0.0000005475
    #   sell on bar 48 at 102.25: proceeds = 106.96050857 * 102.25 = 10936.7120012825, fee -> 28.43545120
    #   pnl    = (10936.7120012825 - 28.43545120) - (9974.0674241525 + 25.93257530) = 908.27655063
    #   cash   = 0.0000005475 + 10936.7120012825 - 28.43545120 = 10908.27655063
    # Trade 2: buy on bar 69 at 95.25.
    #   amount = floor8(10908.27655063 / 95.49765 = 114.225601893...) = 114.22560189
    #   cost   = 114.22560189 * 95.25 = 10879.9885800225; fee -> 28.28797031
    #   still open after the last candle (bar 79): sold at its close 106 ("end")
    #   proceeds = 114.22560189 * 106 = 12107.91380034; fee -> 31.48057588
    #   pnl    = (12107.91380034 - 31.48057588) - (10879.9885800225 + 28.28797031) = 1168.1566741275
    # Final cash = 10000 + 908.27655063 + 1168.1566741275 = 12076.4332247575.
    cfg = TradingConfig(strategy="ma_crossover", indicators=IndicatorSettings(sma_fast=3, sma_slow=6))
    settings = BacktestSettings(sizing="all_in", brackets=False, use_filters=False, taker_fee=D("0.0026"),
                                slippage_bps=D("0"))
    result = run_backtest(crossover_candles(), MARKET, cfg, settings)

    got = [(t.signal_bar, t.entry_bar, t.entry_time, t.entry_price, t.amount, t.entry_fee,
            t.exit_bar, t.exit_time, t.exit_price, t.exit_fee, t.pnl, t.exit_reason, t.strategy)
           for t in result.trades]
    assert got == [
        (32, 33, at(33), D("93.25"), D("106.96050857"), D("25.93257530"),
         48, at(48), D("102.25"), D("28.43545120"), D("908.2765506300"), ExitReason.SIGNAL, "ma_crossover"),
        (68, 69, at(69), D("95.25"), D("114.22560189"), D("28.28797031"),
         79, at(80), D("106"), D("31.48057588"), D("1168.1566741275"), ExitReason.END, "ma_crossover"),
    ]
    assert result.final_equity == D("12076.4332247575")
    assert result.fees == D("25.93257530") + D("28.43545120") + D("28.28797031") + D("31.48057588")
    assert [(f.side, f.price) for f in result.fills] == [(Side.BUY, D("93.25")), (Side.SELL, D("102.25")),
                                                          (Side.BUY, D("95.25")), (Side.SELL, D("106"))]
    eq = result.equity
    assert eq[0] == eq[32] == 10000.0  # flat until the first fill
    assert eq[40] == pytest.approx(0.0000005475 + 106.96050857 * 101.0)  # marked at bar 40's close (101)
    assert eq[48] == pytest.approx(10908.27655063)  # sold at that bar's open: flat at its close
    assert eq[-1] == float(result.final_equity)
    assert result.metrics.trades == 2
    assert result.metrics.exposure == pytest.approx(((48 - 33 + 1) + (79 - 69 + 1)) / 80)


def test_brackets_stop_counts_first_and_gaps_fill_at_the_open() -> None:
    cfg = TradingConfig(strategy="ma_crossover", indicators=IndicatorSettings(sma_fast=3, sma_slow=6, atr_period=3))
    base = crossover_candles()
    settings = BacktestSettings(sizing="all_in", brackets=True, use_filters=False, slippage_bps=D("0"))
    # Bar 36 (in the first trade) touches both a low far below the stop and a high far above the target.
    low, high = base.low.copy(), base.high.copy()
    low[36], high[36] = 50.0, 150.0
    both = make_ohlcv(base.timestamps, base.open, high, low, base.close, base.volume)
    first = run_backtest(both, MARKET, cfg, settings).trades[0]
    assert (first.exit_bar, first.exit_reason, first.exit_price) == (36, ExitReason.STOP, first.stop)
    assert first.stop < first.entry_price < first.target
    # A gap: bar 36 opens (and trades) entirely below the stop: the fill is the open, not the stop.
    o, c = base.open.copy(), base.close.copy()
    o[36], c[36] = 60.0, 61.0
    gap = make_ohlcv(base.timestamps, o, np.maximum(o, c) + 1, np.minimum(o, c) - 1, c, base.volume)
    trade = run_backtest(gap, MARKET, cfg, settings).trades[0]
    assert (trade.exit_bar, trade.exit_reason, trade.exit_price) == (36, ExitReason.STOP, D("60"))


# --- (b) and (d) the default stack on real candles ----------------------------------------------

@pytest.fixture(scope="module")
def real() -> tuple[OHLCV, TradingConfig]:
    """Real ETH/BTC 5-minute candles, scaled to USD-like prices (x 20,000: about 2,000)."""
    raw = load_candles(FIXTURES / "ETH_BTC-5m.csv")
    k = 20_000.0
    return make_ohlcv(raw.timestamps, raw.open * k, raw.high * k, raw.low * k, raw.close * k, raw.volume), \
        TradingConfig()


# The 5-minute regime stack (the default until the out-of-sample measure replaced it): it trades often, so
# it reaches every kind of exit; the default (a 1h breakout in 1h uptrends) trades a few times in ten days.
FIVE_MINUTE = TradingConfig(regimes=RegimeSettings(timeframe="5m"), regime_strategies={
    "trending_up": "trend_following", "range": "mean_reversion", "volatile": "breakout", "trending_down": "none",
    "chop": "none"})


@pytest.mark.parametrize(("stack", "sizing", "least"), [("default", "risk", 3), ("default", "all_in", 1),
                                                         ("5m", "risk", 5), ("5m", "all_in", 5)])
def test_the_stacks_on_real_candles_book_every_cent(real, stack: str, sizing: str, least: int) -> None:
    ohlcv, cfg = real
    if stack == "5m":
        cfg = FIVE_MINUTE
    settings = BacktestSettings(sizing=sizing)
    result = run_backtest(ohlcv, MARKET, cfg, settings)
    trades = result.trades
    assert len(trades) >= least
    assert result.final_equity == settings.starting_balance + sum((t.pnl for t in trades), D(0))
    assert result.fees == sum((f.fee for f in result.fills), D(0)) == sum((t.fees for t in trades), D(0))
    assert len(result.fills) == 2 * len(trades)
    assert result.equity[-1] == pytest.approx(float(result.final_equity), rel=1e-12)
    assert len(result.equity) == len(ohlcv) and np.isfinite(result.equity).all()
    for prev, nxt in zip(trades, trades[1:], strict=False):
        assert nxt.signal_bar >= prev.exit_bar  # one position at a time; a new entry after the exit
    for t in trades:
        assert t.entry_bar == t.signal_bar + 1
        assert t.entry_price == (D(repr(float(ohlcv.open[t.entry_bar]))) * D("1.0005")).quantize(D("0.01"), "ROUND_UP")
        if t.exit_reason is ExitReason.STOP:  # a triggered stop sells at market: at or below the stop
            assert t.exit_price <= t.stop
        if t.exit_reason is ExitReason.TARGET:
            assert t.exit_price >= (t.target * D("0.9995")).quantize(D("0.01"), "ROUND_DOWN")
        if sizing == "risk":
            # size_long at the touch (the open): the loss at the stop, both fees included, is at most 1 % of
            # the equity when the entry was decided.
            touch, equity = D(repr(float(ohlcv.open[t.entry_bar]))), D(repr(float(result.equity[t.signal_bar])))
            per_unit = (touch - t.stop) + D("0.004") * (touch + t.stop)
            assert t.amount * per_unit <= D("0.01") * equity + D("0.000001")
    if sizing == "risk" and stack == "5m":
        assert {t.exit_reason for t in trades} >= {ExitReason.STOP, ExitReason.SIGNAL}


def test_backtest_entries_and_exits_are_the_live_decisions(real) -> None:
    ohlcv, cfg = real
    result = run_backtest(ohlcv, MARKET, cfg, BacktestSettings())
    ind = compute_all(ohlcv, cfg.indicators)
    assert result.trades
    for t in result.trades:
        decision = decide_entry(ind, t.signal_bar, cfg)
        assert decision.enter, (t.signal_bar, decision.reasons)
        assert decision.strategy == t.strategy
        if t.exit_reason is ExitReason.SIGNAL:
            assert decide_exit(ind, t.exit_bar - 1, cfg, t.strategy)[0]
            # ...and not earlier: the first exit signal after the entry is the one taken.
            assert not any(decide_exit(ind, k, cfg, t.strategy)[0] for k in range(t.entry_bar, t.exit_bar - 1))


# --- (c) metrics --------------------------------------------------------------------------------

class _T:
    def __init__(self, pnl: str, entry_bar: int, exit_bar: int) -> None:
        self.pnl, self.entry_bar, self.exit_bar = D(pnl), entry_bar, exit_bar


def test_metrics_against_hand_computed_values() -> None:
    equity = np.array([100.0, 110.0, 99.0, 108.9, 118.8])
    # Returns: +10 %, -10 %, +10 %, +9.0909...% ; mean 0.0477272..., sample std 0.0955...
    r = np.array([0.1, -0.1, 0.1, 118.8 / 108.9 - 1])
    mean, std = r.mean(), r.std(ddof=1)
    downside = math.sqrt((0.1 ** 2) / 4)  # only the -10 % bar is below 0, averaged over all 4 returns
    trades = [_T("10", 0, 1), _T("-11", 1, 2), _T("19.8", 3, 4)]
    m = compute_metrics(equity, None, trades, D("1.5"), bars_per_year=4)
    assert m.total_return == pytest.approx(0.188)
    assert m.sharpe == pytest.approx(mean / std * 2)  # sqrt(4 bars a year) = 2
    assert m.sortino == pytest.approx(mean / downside * 2)
    assert m.max_drawdown == pytest.approx(0.1)  # 110 -> 99
    assert m.max_drawdown_bars == 2  # bars 2 and 3 are below the 110 peak
    assert m.cagr == pytest.approx(1.188 ** (4 / 5) - 1)  # 5 bars = 1.25 years at 4 bars a year
    assert m.win_rate == pytest.approx(2 / 3)
    assert m.profit_factor == pytest.approx(29.8 / 11)
    assert m.expectancy == D("18.8") / 3
    assert m.exposure == pytest.approx(1.0)  # bars 0-2 and 3-4
    assert (m.trades, m.fees, m.best_trade, m.worst_trade) == (3, D("1.5"), D("19.8"), D("-11"))
    assert drawdown(equity).tolist() == pytest.approx([0, 0, -0.1, -0.01, 0])
    flat = compute_metrics(np.full(10, 100.0), None, [], D(0), bars_per_year=10)
    assert (flat.sharpe, flat.sortino, flat.win_rate, flat.profit_factor, flat.expectancy) == (None,) * 5
    assert flat.as_dict()["fees"] == "0"


# --- candle files -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "timestamp,open,high,low,close,volume\n1704067200000,1,2,0.5,1.5,10\n1704067500000,1.5,2,1,1.8,11\n",
    "Date,Open,High,Low,Close,Volume\n2024-01-01 00:00:00,1,2,0.5,1.5,10\n2024-01-01T00:05:00Z,1.5,2,1,1.8,11\n",
    "time,open,high,low,close,volume\n1704067500,1.5,2,1,1.8,11\n1704067200,1,2,0.5,1.5,10\n",  # seconds, unsorted
    "1704067200,1,2,0.5,1.5,1.2,10,5\n1704067500,1.5,2,1,1.8,1.6,11,6\n",  # Kraken's headerless export
])
def test_load_candles_accepts_common_layouts(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text(text)
    o = load_candles(path)
    assert o.timestamps.tolist() == [1704067200000, 1704067500000]
    assert o.close.tolist() == [1.5, 1.8] and o.volume.tolist() == [10.0, 11.0]


def test_load_candles_refuses_clearly(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such candle file"):
        load_candles(tmp_path / "missing.csv")
    (tmp_path / "bad.csv").write_text("timestamp,open,high,low\n1,2,3,1\n")
    with pytest.raises(InputError, match="no 'close' column"):
        load_candles(tmp_path / "bad.csv")
    (tmp_path / "c.parquet").write_bytes(b"PAR1")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(InputError, match="parquet needs pyarrow: pip install pyarrow"):
            load_candles(tmp_path / "c.parquet")


# --- (e) the CLI --------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _backtest_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """`zyn backtest` as bot/cli/main.py registers it (a no-op once it does)."""
    from bot.cli.backtest_cmd import backtest
    from bot.cli.main import cli

    if "backtest" not in cli.commands:
        monkeypatch.setitem(cli.commands, "backtest", backtest)


def test_cli_backtest_offline_writes_the_chart(capsys: pytest.CaptureFixture[str], monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    code = main(["backtest", "BTC/USD", "--from", "2018-01-13", "--to", "2018-01-18"])
    out, err = capsys.readouterr()
    assert code == 0, err
    chart = tmp_path / "data" / "backtests" / "BTC_USD_2018-01-13_2018-01-18.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Total return" in out and "offline replay" in out and "ETH/BTC" in out and "2018-01-13 00:00" in out
    assert "the 52 h before the start warm the indicators up" in " ".join(out.split())

    code = main(["backtest", "xbtusd", "--from", "2018-01-11", "--to", "2018-01-13", "--strategy", "ma_crossover",
                 "--sizing", "all_in", "--chart", str(tmp_path / "x.png"), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert doc["symbol"] == "BTC/USD" and doc["candles"] == 576 and doc["strategy"] == "ma_crossover"
    assert isinstance(doc["final_equity"], str) and doc["metrics"]["trades"] == len(doc["trades"])
    assert D(doc["final_equity"]) == D(doc["settings"]["starting_balance"]) + sum(D(t["pnl"]) for t in doc["trades"])
    assert (tmp_path / "x.png").is_file()


@pytest.mark.parametrize("argv, words", [
    (["--from", "2024-01-01", "--to", "2024-01-08", "--strategy", "moon"], "unknown strategy"),
    (["--from", "2024-01-08", "--to", "2024-01-01"], "must be before"),
    (["--from", "2024-01-01", "--to", "2024-01-01"], "must be before"),
    (["--from", "yesterday", "--to", "2024-01-01"], "not a date"),
    (["--from", "2018-01-20T00:00", "--to", "2018-01-20T00:05"], "too few"),
    (["--from", "2018-01-11", "--to", "2018-01-14"], "needs 52 h of history before it (the indicators' warm-up): "
                                                     "ask from 2018-01-13"),
    (["--from", "2024-01-01", "--to", "2024-01-08"], "outside the bundled BTC/USD history"),
    (["--candles", "/nonexistent/candles.csv"], "no such candle file"),
    (["--from", "2024-01-01", "--to", "2024-01-08", "--sizing", "yolo"], "--sizing"),
    (["--from", "2024-01-01"], "--to"),
])
def test_cli_backtest_bad_input_is_one_line_and_exit_1(capsys, monkeypatch, argv, words) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    code = main(["backtest", "BTC/USD", *argv])
    out, err = capsys.readouterr()
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and words in err, err


def test_cli_backtest_unreadable_file_and_unbundled_pair(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\xff\xfe\x00garbage\x00\n\x01")
    assert main(["backtest", "BTC/USD", "--candles", str(junk)]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert main(["backtest", "DOGE/USD", "--from", "2024-01-01", "--to", "2024-01-08"]) == 1
    assert "--candles" in capsys.readouterr().err


def test_a_maker_entry_fills_only_when_the_price_trades_through_its_limit() -> None:
    """A post-only buy at the decision's close (93.00, bar 32) rests 3 bars; a touch is not a fill."""
    cfg = TradingConfig(strategy="ma_crossover", indicators=IndicatorSettings(sma_fast=3, sma_slow=6, atr_period=3))
    settings = BacktestSettings(sizing="all_in", brackets=False, use_filters=False, slippage_bps=D("0"),
                                entry="maker")
    base = crossover_candles()

    def with_lows(**lows: float) -> OHLCV:
        low = base.low.copy()
        for bar, value in lows.items():
            low[int(bar[1:])] = value
        return make_ohlcv(base.timestamps, base.open, base.high, low, base.close, base.volume)

    # Bar 33 trades down to 92.25, through 93.00: filled there, at the limit, with the maker fee.
    r = run_backtest(base, MARKET, cfg, settings)
    first, fill = r.trades[0], r.fills[0]
    assert (first.signal_bar, first.entry_bar, first.entry_price) == (32, 33, D("93.00"))
    assert fill.liquidity is Liquidity.MAKER and fill.fee == (fill.amount * fill.price * D("0.0025")).quantize(
        D("0.00000001"), "ROUND_HALF_UP")
    assert r.fills[1].liquidity is Liquidity.TAKER  # exits are always takers
    assert (r.equity[:33] == 10_000).all()  # flat while the order rested
    # Bar 33 only touches 93.00 and bars 34-35 stay above: cancelled unfilled after its 3 bars.
    r = run_backtest(with_lows(b33=93.0), MARKET, cfg, settings)
    assert r.skipped == {"maker_unfilled": 1} and r.trades[0].signal_bar == 68
    # ...unless bar 35, the last one it rests, trades through (92.99).
    r = run_backtest(with_lows(b33=93.0, b35=92.99), MARKET, cfg, settings)
    assert (r.trades[0].entry_bar, r.trades[0].entry_price) == (35, D("93.00"))
    assert r.final_equity == settings.starting_balance + sum((t.pnl for t in r.trades), D(0))


def test_cli_backtest_follows_the_autopilots_maker_entries(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    config = tmp_path / "maker.toml"
    config.write_text('[trading]\nentry = "maker"\nmaker_timeout_bars = 2\n')
    monkeypatch.setenv("ZYN_CONFIG_FILE", str(config))
    argv = ["backtest", "BTC/USD", "--from", "2018-01-11", "--to", "2018-01-13", "--strategy", "ma_crossover"]
    assert main([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["settings"]["entry"], doc["settings"]["maker_timeout_bars"]) == ("maker", 2)
    maker, taker = D(doc["settings"]["maker_fee"]), D(doc["settings"]["taker_fee"])
    for t in doc["trades"]:  # the entries pay the maker fee at their limit, the exits the taker fee
        assert D(t["entry_fee"]) == (D(t["amount"]) * D(t["entry_price"]) * maker).quantize(D("1E-8"))
        assert D(t["exit_fee"]) == (D(t["amount"]) * D(t["exit_price"]) * taker).quantize(D("1E-8"))
    assert doc["trades"]
    assert main(argv) == 0
    assert "maker: post-only" in " ".join(capsys.readouterr().out.split())
