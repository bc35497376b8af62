"""Backtests warm up on the candles before the asked start, from the same source, and trade only inside the period;
the chat backtest reads the candle store when it holds the pair, and says so."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pytest

from agent.intents.engine import parse
from bot.cli.main import main
from tests.tools.test_backtest_tool import FIVE_MINUTE, NOW, PNG, make_ctx
from tools.catalog import invoke
from trading.backtest.data import load_candles, make_ohlcv, replay_history_async
from trading.backtest.engine import BacktestSettings, run_backtest
from trading.clock import ManualClock, from_ms
from trading.config import TradingConfig
from trading.decision.indicators import compute_all
from trading.errors import InputError
from trading.exchange.feeds.replay import ReplayFeed

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "candles" / "ETH_BTC-5m.csv"
M5 = timedelta(minutes=5)
SOURCE = "Kraken OHLCVT file XBTUSD_5.csv"


def _store(ctx, first: datetime, n: int = 3000) -> datetime:  # noqa: ANN001 - a ToolContext
    """n real 5-minute candles (the fixture's ETH/BTC, x400,000 to look like BTC/USD) stored as BTC/USD from first."""
    src = load_candles(FIXTURE)
    t = int(first.timestamp() * 1000) + np.arange(n, dtype=np.int64) * 300_000
    k = 400_000.0
    ohlcv = make_ohlcv(t, src.open[:n] * k, src.high[:n] * k, src.low[:n] * k, src.close[:n] * k, src.volume[:n])
    ctx.store.add_candles("BTC/USD", "5m", ohlcv, source=SOURCE, at=NOW)
    return first + n * M5  # the close of the last candle


async def test_a_two_day_backtest_warms_up_before_its_start_and_trades_only_inside_it(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, FIVE_MINUTE)
    start, end = datetime(2018, 1, 15, tzinfo=UTC), datetime(2018, 1, 17, tzinfo=UTC)
    r = await invoke(ctx, "run_backtest", {"symbol": "BTC/USD", "start": "2018-01-15", "end": "2018-01-17"})
    assert (r.start, r.end, r.candles) == (start, end, 2 * 288)
    assert r.start_equity == D("10000") and r.trades > 0 and r.first_trade >= start
    assert "warm the indicators up (no trades)" in r.source and r.path.read_bytes()[:8] == PNG
    # The indicators were warm at the start: the first 5-minute bar of the period already has every value.
    warm = (FIVE_MINUTE.warmup + 1) * M5
    ohlcv = await replay_history_async("BTC/USD", start - warm, end)
    assert not np.isnan(compute_all(ohlcv, FIVE_MINUTE.indicators).row(FIVE_MINUTE.warmup + 1)["sma_trend"])


async def test_the_default_stack_backtests_two_days_on_its_1h_warm_up(tmp_path: Path) -> None:
    """The 1h stack needs 613 candles of warm-up (it was refused: "needs 614"): from before the start now."""
    ctx = make_ctx(tmp_path)
    assert TradingConfig().warmup + 1 == 613
    r = await invoke(ctx, "run_backtest", {"start": "2018-01-20", "end": "2018-01-22"})
    assert (r.start, r.candles, r.start_equity) == (datetime(2018, 1, 20, tzinfo=UTC), 576, D("10000"))
    assert r.first_trade is None or r.first_trade >= r.start


async def test_the_last_two_days_from_the_candle_store_say_what_the_candles_are(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, FIVE_MINUTE)
    first = datetime(2024, 2, 5, 14, 5, tzinfo=UTC) - 3000 * M5  # the last stored candle closes at 14:05
    last = _store(ctx, first)
    (call,) = parse("backtest BTC for the last 2 days", now=NOW).calls
    r = await invoke(ctx, call.name, call.args)
    start = datetime(2024, 2, 3, tzinfo=UTC)
    assert (r.symbol, r.start, r.end) == ("BTC/USD", start, last)
    assert r.source == (f"candle store: BTC/USD 5m candles {first:%Y-%m-%d %H:%M} → 2024-02-05 14:05 UTC from "
                        f"{SOURCE}; the 9 h before the start warm the indicators up (no trades)")
    assert f"Data: {r.source}" in r.text() and "offline replay" not in r.text()
    assert r.start_equity == D("10000") and r.trades > 0 and r.first_trade >= start
    assert r.path.read_bytes()[:8] == PNG
    # The figures are the engine's over the stored candles, the warm-up before start included but not traded.
    warm = (FIVE_MINUTE.warmup + 1) * M5
    ohlcv = ctx.store.load_candles("BTC/USD", "5m", start - warm, NOW)
    market = (await ReplayFeed(ManualClock(NOW)).load_markets())["BTC/USD"]
    direct = run_backtest(ohlcv, market, FIVE_MINUTE, BacktestSettings(), trade_from=FIVE_MINUTE.warmup + 1)
    assert (r.final_equity, r.trades, r.fees) == (direct.final_equity, direct.metrics.trades, direct.fees)
    assert from_ms(int(direct.times[FIVE_MINUTE.warmup + 1])) == start


async def test_a_store_without_warm_up_history_is_refused_saying_what_is_missing(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    _store(ctx, datetime(2019, 3, 1, tzinfo=UTC), n=2000)  # 2019-03-01 00:00 → 2019-03-07 22:40
    with pytest.raises(InputError) as exc:
        await invoke(ctx, "run_backtest", {"start": "2019-03-01", "end": "2019-03-04"})
    assert str(exc.value) == ("the candle store's BTC/USD 5m history starts 2019-03-01 00:00 UTC; a backtest from "
                              "2019-03-01 needs 52 h of history before it (the indicators' warm-up): ask from "
                              "2019-03-04")
    # Outside the stored span: refused, never relabelled or filled from the bundled replay.
    with pytest.raises(InputError, match="is outside the stored BTC/USD candles"):
        await invoke(ctx, "run_backtest", {"start": "2019-03-04", "end": "2019-03-20"})
    assert not (tmp_path / "backtests").exists() or not list((tmp_path / "backtests").iterdir())
    # Without a start, the default period begins on the first day the warm-up allows.
    r = await invoke(ctx, "run_backtest", {"symbol": "btc"})
    assert r.start == datetime(2019, 3, 4, tzinfo=UTC) and r.source.startswith("candle store: BTC/USD")


def test_zyn_backtest_reads_the_same_store_with_the_same_warm_up(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    ctx = make_ctx(tmp_path / "data", FIVE_MINUTE)  # the CLI's database (ZYN_DATA_DIR, PAPER)
    first = datetime(2024, 1, 20, tzinfo=UTC)
    _store(ctx, first)
    (tmp_path / "zyn.toml").write_text('[trading.regimes]\ntimeframe = "5m"\n[trading.regime_strategies]\n'
                                       'trending_up = "trend_following"\nrange = "mean_reversion"\n'
                                       'volatile = "breakout"\ntrending_down = "none"\nchop = "none"\n')
    assert main(["backtest", "BTC/USD", "--from", "2024-01-20", "--to", "2024-01-24"]) == 1
    assert "ask from 2024-01-21" in capsys.readouterr().err
    assert main(["backtest", "BTC/USD", "--from", "2024-01-25", "--to", "2024-01-27", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["source"].startswith("candle store: BTC/USD 5m candles 2024-01-20 00:00 → 2024-01-30 10:00 UTC from "
                                    + SOURCE)
    assert doc["start"] == "2024-01-25T00:00:00+00:00" and doc["candles"] == 576
    assert doc["trades"] and min(t["entry_time"] for t in doc["trades"]) >= "2024-01-25T00:00:00+00:00"
    chat = asyncio.run(invoke(ctx, "run_backtest", {"start": "2024-01-25", "end": "2024-01-27"}))
    assert D(doc["final_equity"]) == chat.final_equity and doc["source"] == chat.source


async def test_the_last_days_of_the_data_begin_where_the_warm_up_allows(tmp_path: Path) -> None:
    """/backtest PAIR DAYS: the last DAYS of the data the tool reads (the bundled replay here, the store there)."""
    ctx = make_ctx(tmp_path)
    week = await invoke(ctx, "run_backtest", {"symbol": "BTC/USD", "days": 7})
    assert (week.start, week.end) == (datetime(2018, 1, 23, tzinfo=UTC), datetime(2018, 1, 30, 4, 55, tzinfo=UTC))
    month = await invoke(ctx, "run_backtest", {"symbol": "BTC/USD", "days": 30})  # clipped to the warm-up
    assert month.start == datetime(2018, 1, 13, tzinfo=UTC)
    last = _store(ctx, datetime(2024, 1, 20, tzinfo=UTC))
    stored = await invoke(ctx, "run_backtest", {"symbol": "BTC/USD", "days": 2})
    assert (stored.start, stored.end) == (datetime(2024, 1, 28, tzinfo=UTC), last)
    assert stored.source.startswith("candle store: BTC/USD")
    with pytest.raises(InputError, match="give days or start, not both"):
        await invoke(ctx, "run_backtest", {"days": 2, "start": "2024-01-25"})
