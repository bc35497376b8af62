"""run_backtest: the autopilot's decision and risk code over history, with an equity PNG.

The data is the local candle store when it holds the pair and the period (`zyn data import/fetch`; its
provenance and span are the 'Data' line), else the bundled replay at its real dates (ETH/BTC, LTC/BTC, ADA/BTC
of January 2018, rescaled, as BTC/USD, ETH/USD, SOL/USD: see trading/exchange/feeds/provenance.py), whatever
the mode: Kraken's public OHLC endpoint returns only the last 720 candles. A period outside the real span of
its data is refused, never relabelled. The period is [start, end) in UTC days, as `zyn backtest --from --to`;
by default the last 14 days of data. The indicators warm up on the candles before start (the same source;
refused, saying what is missing, when it has none): trades, figures and the chart cover the period only.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from tools.base import Args
from tools.context import ToolContext
from tools.pictures import picture_folder
from tools.results import money
from trading.backtest.run import (
    CandleSource,
    backtest_period,
    backtest_settings,
    chart_name,
    check_period,
    config_for,
    earliest_start,
    load_history,
    market_for,
    render_chart,
    store_set,
)
from trading.errors import InputError
from trading.exchange.feeds.provenance import replay_origins
from trading.exchange.feeds.replay import ReplayFeed

if TYPE_CHECKING:
    from trading.backtest.engine import BacktestResult, BacktestSettings
    from trading.config import TradingConfig
    from trading.domain import Market

MAX_DAYS = 366
DEFAULT_DAYS = 14
# The names of trading.decision.strategies.STRATEGIES (importing it here would load numpy at start-up; a test
# keeps the two lists equal).
StrategyName = Literal["auto", "trend_following", "mean_reversion", "breakout", "ma_crossover", "macd", "rsi",
                       "htf_trend", "htf_breakout"]


class BacktestArgs(Args):
    symbol: str = Field("BTC/USD", min_length=1, max_length=30)
    start: date | None = Field(None, description="first UTC day, YYYY-MM-DD (default: 14 days before end)")
    end: date | None = Field(None, description="UTC day to stop at (exclusive), YYYY-MM-DD (default: now)")
    strategy: StrategyName | None = Field(None, description="default auto: the regime picks, as the autopilot")
    days: int | None = Field(None, ge=1, le=MAX_DAYS, description="the last N days of the data, instead of start")


@dataclass(frozen=True)
class BacktestToolResult:
    symbol: str
    start: datetime  # the first candle's open, UTC
    end: datetime  # the last candle's close, UTC
    candles: int
    strategy: str  # a strategy's name, or "auto"
    quote: str
    start_equity: Decimal
    final_equity: Decimal
    total_return: float  # fractions, as trading.backtest.metrics.Metrics: 0.012 = 1.2 %
    max_drawdown: float
    trades: int
    win_rate: float | None  # None without trades
    profit_factor: float | None  # inf with no losing trade
    fees: Decimal
    buy_hold_return: float | None  # the pair itself, first close to last close
    source: str  # what the candles are: the candle store's provenance and span, or the bundled replay's label
    path: Path  # the equity and drawdown PNG
    entry: str = "taker"  # the autopilot's entry mode the backtest used ("taker" or "maker")
    first_trade: datetime | None = None  # the first entry's time (inside the period: the warm-up never trades)

    @property
    def pnl(self) -> Decimal:
        return self.final_equity - self.start_equity

    def text(self) -> str:
        """A compact summary for a phone: short lines, thousands separators."""
        q = self.quote
        pnl = money(self.pnl)
        lines = [f"Backtest {self.symbol}", f"Data: {self.source}",
                 f"{self.start:%Y-%m-%d %H:%M} → {self.end:%Y-%m-%d %H:%M} UTC",
                 f"{self.candles:,} candles · strategy {self.strategy}"
                 + (" · maker entries (post-only)" if self.entry == "maker" else ""),
                 f"Return {_pct(self.total_return, signed=True)} ({'' if pnl.startswith('-') else '+'}{pnl} {q})",
                 f"Equity {money(self.start_equity)} → {money(self.final_equity)} {q}",
                 f"Max drawdown {_pct(self.max_drawdown)}"]
        if self.trades:
            lines.append(f"Trades {self.trades} · win rate {_pct(self.win_rate, places=0)}")
            pf = self.profit_factor
            lines.append("Profit factor " + ("n/a" if pf is None else "∞ (no loss)" if pf == float("inf")
                                             else f"{pf:.2f}"))
        else:
            lines.append("No trades in this period")
        lines.append(f"Fees {money(self.fees)} {q}")
        if self.buy_hold_return is not None:
            lines.append(f"Buy & hold {_pct(self.buy_hold_return, signed=True)}")
        return "\n".join(lines)


def _pct(value: float | None, *, signed: bool = False, places: int = 2) -> str:
    """A fraction as a percentage; never "-0.00%"."""
    if value is None:
        return "n/a"
    text = f"{value * 100:{'+' if signed else ''}.{places}f}"
    if not text.strip("+-0."):
        text = ("+" if signed else "") + text.lstrip("+-")
    return f"{text}%"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def period(args: BacktestArgs, now: datetime, data_end: datetime | None = None,
           earliest: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) in UTC from the arguments and the clock; InputError if backwards, future or too long.

    With neither start nor end: the DEFAULT_DAYS (or days) ending at the end of the data (data_end) or now, if
    earlier, from the midnight that many days before the end's day.
    Without a start, it is no earlier than `earliest` (the first day the data's warm-up allows).
    """
    if args.days is not None and args.start is not None:
        raise InputError("give days or start, not both")
    end = _midnight(args.end) if args.end is not None else now if args.start is not None else min(now, data_end or now)
    start = _midnight(args.start) if args.start is not None else (
        _midnight(end.date()) - timedelta(days=args.days or DEFAULT_DAYS))
    if args.start is None and earliest is not None and earliest < end:
        start = max(start, earliest)
    check_period(start, end, now, max_days=MAX_DAYS)
    return start, end


async def run_backtest(ctx: ToolContext, args: BacktestArgs) -> BacktestToolResult:
    """Backtest the autopilot over [start, end): the candle store when it holds the pair, else the bundled
    history; the warm-up candles come from before start; the work runs off the event loop."""
    now = ctx.clock.now()
    cfg = config_for(_trading_config(ctx), args.strategy)
    store = ctx.store if isinstance(ctx.store, CandleSource) else None
    symbol = _symbol(args.symbol, ctx.quote_currency)
    held = await asyncio.to_thread(store_set, store, symbol) if symbol else None
    markets = await ReplayFeed(ctx.clock).load_markets()
    market, _ = market_for(args.symbol, markets, quote=ctx.quote_currency, unbundled_ok=held is not None,
                           hint="; import its candles (zyn data import FILE) or fetch them (zyn data fetch PAIR)")
    if held is not None:
        first, data_end = held.first, held.end
    else:
        origin = replay_origins()[market.symbol]
        first, data_end = origin.first_open, origin.end
    start, end = period(args, now, data_end, earliest_start(first, cfg))
    settings = backtest_settings(ctx, cfg=cfg)  # the autopilot's entry mode (taker or maker)
    folder = picture_folder(ctx, "backtests")
    path = folder / f"{chart_name(market.symbol, start, end)}_{args.strategy or 'auto'}_{now:%Y%m%d_%H%M%S}.png"
    # Loading up to a year of candles, the simulation and the chart take a second or so of CPU: in a worker
    # thread, so Telegram, Discord and the scheduler keep running meanwhile.
    result, buy_hold, source = await asyncio.to_thread(_work, market, start, end, now, cfg, settings, path,
                                                       store if held is not None else None)
    m = result.metrics
    return BacktestToolResult(
        symbol=market.symbol, start=result.start, end=result.end, candles=m.bars, strategy=args.strategy or "auto",
        quote=market.quote, start_equity=result.start_equity, final_equity=result.final_equity,
        total_return=m.total_return, max_drawdown=m.max_drawdown, trades=m.trades, win_rate=m.win_rate,
        profit_factor=m.profit_factor, fees=result.fees, buy_hold_return=buy_hold, source=source, path=path, entry=settings.entry,
        first_trade=result.trades[0].entry_time if result.trades else None)


def _symbol(text: str, quote: str) -> str | None:
    """The pair a spelling means ("eth" -> ETH/USD), or None (market_for then says why, in one line)."""
    from trading.backtest.run import pair_symbol as spell
    from trading.errors import UnknownPairError

    try:
        return spell(text, quote)
    except UnknownPairError:
        return None


def _trading_config(ctx: ToolContext) -> TradingConfig:
    """The autopilot's config with the risk settings changed by set_risk, as its next tick would use."""
    from tools.settings import effective_config

    return effective_config(ctx)


def _work(market: Market, start: datetime, end: datetime, now: datetime, cfg: TradingConfig,
          settings: BacktestSettings, path: Path, store: CandleSource | None) -> tuple[BacktestResult, float | None, str]:
    """Candles (with the warm-up before start), simulation and chart (blocking: for a worker thread)."""
    history = load_history(market.symbol, start, end, cfg, now=now, store=store)
    result, buy_hold = backtest_period(history, market, cfg, settings)
    render_chart(result, path, history.source)  # no pyplot: safe beside other charts drawn in other threads
    return result, buy_hold, history.source
