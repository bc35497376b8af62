"""run_backtest through the catalogue on a real ToolContext (paper exchange, SQLite, bundled replay history)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from agent.intents.engine import parse
from agent.llm import schema_size, tool_schemas
from bot.cli.main import main
from memory import open_database
from tests.fakes import FakeFeed
from tools.backtest import BacktestToolResult, StrategyName
from tools.base import ConfirmPolicy, Permission
from tools.catalog import CATALOG, invoke
from tools.context import ToolContext
from trading.backtest.data import replay_history_async, slice_range
from trading.backtest.engine import BacktestSettings, run_backtest
from trading.clock import ManualClock, from_ms
from trading.config import IndicatorSettings, RegimeSettings, TradingConfig, with_risk_overrides
from trading.decision.strategies import STRATEGIES
from trading.domain import Mode
from trading.errors import InputError
from trading.exchange.feeds.replay import ReplayFeed
from trading.exchange.paper.exchange import PaperExchange

# Today, for the tool; the bundled history itself is real candles of 2018-01-10 04:55 → 2018-01-30 04:55 UTC.
NOW = datetime(2024, 2, 5, 14, 7, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


def make_ctx(tmp: Path, cfg: TradingConfig | None = None, **paper: D) -> ToolContext:
    clock = ManualClock(NOW)
    feed = FakeFeed(clock=clock)
    feed.set_price("BTC/USD", "42000.0", "42010.0")
    db = open_database(Mode.PAPER, tmp)
    return ToolContext(mode=Mode.PAPER, exchange=PaperExchange(feed, db, clock), journal=db, clock=clock,
                       quote_currency="USD", credentials_present=False, log_level="INFO", database="test",
                       store=db, trading_config=cfg or TradingConfig(), log_file=tmp / "logs" / "zyn.log", **paper)


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return make_ctx(tmp_path)


async def _direct(symbol: str, start: datetime, end: datetime, cfg: TradingConfig, settings: BacktestSettings):
    """The engine itself over the warm-up candles before start and the period, trading from start only."""
    warm = (cfg.warmup + 1) * timedelta(minutes=5)
    ohlcv = await replay_history_async(symbol, start - warm, end)
    market = (await ReplayFeed(ManualClock(NOW)).load_markets())[symbol]
    k = cfg.warmup + 1
    assert ohlcv.timestamps[k] == start.timestamp() * 1000
    return slice_range(ohlcv, start, end), run_backtest(ohlcv, market, cfg, settings, trade_from=k), k


def _same_figures(r: BacktestToolResult, direct, k: int) -> None:  # noqa: ANN001 - an engine BacktestResult
    """The tool's figures are the engine's over the period (its warm-up is flat at the starting balance)."""
    m = direct.metrics
    assert (r.start, r.end, r.candles) == (from_ms(int(direct.times[k])), direct.end, len(direct.equity) - k)
    assert (direct.equity[:k] == float(direct.start_equity)).all()  # nothing traded in the warm-up
    assert (r.start_equity, r.final_equity, r.fees) == (direct.start_equity, direct.final_equity, direct.fees)
    assert (r.total_return, r.trades) == (m.total_return, m.trades)
    assert r.max_drawdown == pytest.approx(m.max_drawdown, abs=1e-15)
    assert (r.win_rate, r.profit_factor) == (m.win_rate, m.profit_factor)
    assert r.first_trade is None or r.first_trade >= r.start


# The 5-minute regime stack: it trades often in four days (the default, a 1h breakout, rarely does).
FIVE_MINUTE = TradingConfig(regimes=RegimeSettings(timeframe="5m"), regime_strategies={
    "trending_up": "trend_following", "range": "mean_reversion", "volatile": "breakout", "trending_down": "none",
    "chop": "none"})


async def test_a_few_days_equal_a_direct_run_with_the_paper_fees_and_draw_a_png(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, FIVE_MINUTE, paper_starting_balance=D("2500"), paper_taker_fee=D("0.0026"),
                   paper_slippage_bps=D("0"))
    r = await invoke(ctx, "run_backtest", {"symbol": "BTC/USD", "start": "2018-01-15", "end": "2018-01-19"})
    start, end = datetime(2018, 1, 15, tzinfo=UTC), datetime(2018, 1, 19, tzinfo=UTC)
    settings = BacktestSettings(starting_balance=D("2500"), taker_fee=D("0.0026"), slippage_bps=D("0"))
    ohlcv, direct, k = await _direct("BTC/USD", start, end, FIVE_MINUTE, settings)
    _same_figures(r, direct, k)
    assert r.trades >= 5 and 0 < r.win_rate < 1 and r.fees > 0 and r.final_equity != D("2500")
    assert (r.start, r.end, r.candles) == (start, end, 4 * 288)  # [start, end): four whole days
    assert r.buy_hold_return == float(ohlcv.close[-1]) / float(ohlcv.close[0]) - 1
    assert r.path.parent == tmp_path / "backtests" and r.path.read_bytes()[:8] == PNG
    text = r.text()
    assert "offline replay" in text and "2,500.00 →" in text and f"Trades {r.trades}" in text
    assert f"{r.total_return * 100:+.2f}%" in text
    assert all(len(line) <= 45 for line in text.splitlines() if not line.startswith("Data: "))
    # Says what the candles really are, on their real dates.
    assert "ETH/BTC" in r.source and "2018-01-10 04:55" in r.source and "not real BTC/USD prices" in r.source
    assert json.dumps(r.__dict__, default=str)


async def test_defaults_lone_asset_forced_strategy_and_risk_overrides(ctx: ToolContext) -> None:
    await invoke(ctx, "set_risk", {"risk_per_trade": "0.02"})  # the autopilot's next tick would use it: so do we
    r = await invoke(ctx, "run_backtest", {"symbol": "eth", "strategy": "ma_crossover"})
    # Default period: the 14 days before the end of the bundled data (long before today).
    start, end = datetime(2018, 1, 16, tzinfo=UTC), datetime(2018, 1, 30, 4, 55, tzinfo=UTC)
    cfg = with_risk_overrides(TradingConfig(), {"risk_per_trade": "0.02"}).model_copy(update={"strategy": "ma_crossover"})
    _, direct, k = await _direct("ETH/USD", start, end, cfg, BacktestSettings())
    _same_figures(r, direct, k)
    assert (r.symbol, r.strategy, r.start, r.end) == ("ETH/USD", "ma_crossover", start, end)
    assert "strategy ma_crossover" in r.text()
    auto = await invoke(ctx, "run_backtest", {"symbol": "ETH/USD", "start": "2018-01-16", "end": "2018-01-31",
                                              "strategy": "auto"})
    assert auto.strategy == "auto" and auto.end == end and auto.path != r.path


async def test_the_event_loop_keeps_running_while_it_works(ctx: ToolContext) -> None:
    beats = 0
    job = asyncio.create_task(invoke(ctx, "run_backtest", {"start": "2018-01-13", "end": "2018-01-29"}))
    while not job.done():  # a blocking run would finish inside one step of the loop, with no beat in between
        beats += 1
        await asyncio.sleep(0)
    assert (await job).candles == 16 * 288 and beats > 3


@pytest.mark.parametrize("args, words", [
    ({"start": "2024-01-09", "end": "2024-01-05"}, "start 2024-01-09 must be before end 2024-01-05"),
    ({"start": "2024-01-05", "end": "2024-01-05"}, "must be before"),
    ({"start": "2024-02-06"}, "start 2024-02-06 is in the future"),  # tomorrow
    ({"start": "2024-02-01", "end": "2024-03-01"}, "end 2024-03-01 is in the future"),
    ({"start": "2024-03-01", "end": "2024-03-05"}, "end 2024-03-05 is in the future"),
    ({"start": "2022-02-01", "end": "2024-02-01"}, "is 730 days; at most 366"),
    ({"symbol": "DOGE/USD"}, "no bundled history for DOGE/USD (offline history has BTC/USD, ETH/USD, SOL/USD)"),
    ({"symbol": "moon!"}, "is not a pair"),
    ({"strategy": "moon"}, "strategy: Input should be 'auto'"),
    ({"start": "2024-13-01"}, "start: Input should be a valid date"),
    ({"start": "last tuesday"}, "start: Input should be a valid date"),
    ({"weeks": 3}, "unknown argument 'weeks'"),
    ({"days": 0}, "days must be greater than or equal to 1 (got 0)"),
    ({"days": 2, "start": "2018-01-20"}, "give days or start, not both"),
    # Outside the real span of the bundled candles: refused, never relabelled to the dates asked.
    ({"start": "2024-01-05", "end": "2024-01-09"}, "2024-01-05 → 2024-01-09 is outside the bundled BTC/USD "
                                                   "history, which is only ETH/BTC candles 2018-01-10 04:55"),
    ({"start": "2018-01-01", "end": "2018-01-15"}, "is outside the bundled BTC/USD history"),
    ({"start": "2018-01-25", "end": "2018-02-02"}, "is outside the bundled BTC/USD history"),
    ({"start": "2024-01-22"}, "is outside the bundled BTC/USD history"),
])
async def test_bad_input_is_one_clear_line(ctx: ToolContext, args: dict, words: str) -> None:
    with pytest.raises(InputError) as exc:
        await invoke(ctx, "run_backtest", args)
    assert words in str(exc.value) and "\n" not in str(exc.value)
    assert not (ctx.log_file.parent.parent / "backtests").exists()


async def test_too_few_candles_for_the_indicators(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, TradingConfig(indicators=IndicatorSettings(sma_trend=2000)))  # needs 2,003 candles
    with pytest.raises(InputError) as exc:
        await invoke(ctx, "run_backtest", {"start": "2018-01-15", "end": "2018-01-17"})
    assert str(exc.value) == ("the bundled BTC/USD history (ETH/BTC candles) starts 2018-01-10 04:55 UTC; a backtest "
                              "from 2018-01-15 needs 7.0 days of history before it (the indicators' warm-up): ask "
                              "from 2018-01-18")


def test_the_cli_agrees_with_the_tool(ctx: ToolContext, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    assert main(["backtest", "btcusd", "--from", "2018-01-15", "--to", "2018-01-19", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    r = asyncio.run(invoke(ctx, "run_backtest", {"start": "2018-01-15", "end": "2018-01-19"}))
    assert D(doc["final_equity"]) == r.final_equity and doc["metrics"]["trades"] == r.trades
    assert doc["candles"] == r.candles and D(doc["metrics"]["fees"]) == r.fees
    assert Path(doc["chart"]) == tmp_path / "data" / "backtests" / "BTC_USD_2018-01-15_2018-01-19.png"
    assert main(["backtest", "BTC/USD", "--from", "2024-01-09", "--to", "2024-01-05"]) == 1
    assert "--from 2024-01-09 must be before --to 2024-01-05" in capsys.readouterr().err


def test_catalogue_entry_schema_and_the_intent_engines_arguments() -> None:
    tool = CATALOG["run_backtest"]
    assert (tool.permission, tool.confirm) == (Permission.READ, ConfirmPolicy.NEVER)
    assert set(StrategyName.__args__) == {"auto", *STRATEGIES}
    (schema,) = tool_schemas(CATALOG, {"run_backtest"})
    props = schema["function"]["parameters"]["properties"]
    assert set(props) == {"symbol", "start", "end", "strategy", "days"} and "date" in json.dumps(props["start"])
    assert schema_size([schema]) < 900  # sent with every request that offers it
    for text in ("backtest btc last week", "backtest eth from 2024-01-01 to 2024-02-01", "backtest sol"):
        for call in parse(text, now=NOW).calls:
            assert tool.parse(call.args)  # what the offline engine proposes is valid here
    assert tool.parse({"start": "2024-01-01", "end": str((NOW + timedelta(days=1)).date())})
