"""`zyn backtest`: the autopilot's decision and risk code over history, with a Rich summary and a PNG chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.runner import CliState

if TYPE_CHECKING:
    from trading.backtest import BacktestResult
    from trading.domain import Market

REPLAY_LABEL = "offline replay: bundled real candles replayed in a loop"


def _date(text: str | None, flag: str) -> datetime | None:
    """A YYYY-MM-DD (or ISO date-time) option as an aware UTC datetime."""
    from trading.errors import InputError

    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{flag} '{text}' is not a date; write it like 2024-01-31") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _market(symbol: str, has_file: bool) -> tuple[Market, bool]:
    """The market's rules from the bundled replay data; (market, bundled)."""
    import asyncio
    from decimal import Decimal

    from trading.clock import SystemClock
    from trading.domain import Market
    from trading.errors import UnknownPairError
    from trading.exchange.replay import ReplayFeed

    markets = asyncio.run(ReplayFeed(SystemClock()).load_markets())
    if symbol in markets:
        return markets[symbol], True
    if not has_file:
        raise UnknownPairError(f"no bundled history for {symbol} (offline history has {', '.join(sorted(markets))}); "
                               f"give --candles FILE")
    base, quote = symbol.split("/")
    # A pair the bundle does not describe: fine-grained steps and no minimums, so the file's prices rule.
    step = Decimal("0.00000001")
    return Market(symbol=symbol, exchange_id=base + quote, altname=base + quote, base=base, quote=quote,
                  price_step=step, amount_step=step, min_amount=step, min_cost=Decimal("0")), False


def _config(state: CliState, strategy: str | None) -> Any:
    from trading.config import load_trading_config
    from trading.strategies import get_strategy

    cfg = load_trading_config(state.settings.config_file)
    if strategy is None:
        return cfg
    if strategy.lower() in ("auto", "regime"):
        return cfg.model_copy(update={"strategy": None})
    return cfg.model_copy(update={"strategy": get_strategy(strategy.strip().lower()).name})


def _progress_bar():  # noqa: ANN202 - rich types load lazily
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=True)


@click.command("backtest")
@click.argument("pair")
@click.option("--from", "start_text", metavar="YYYY-MM-DD", help="first day (00:00 UTC)")
@click.option("--to", "end_text", metavar="YYYY-MM-DD", help="end day, exclusive (00:00 UTC)")
@click.option("--strategy", help="force one strategy (ma_crossover, macd, rsi, trend_following, mean_reversion, "
                                 "breakout); default: the regime picks, as the autopilot does")
@click.option("--candles", "candles_file", metavar="FILE", help="candles from a CSV or parquet file instead of "
                                                                "the bundled offline history")
@click.option("--sizing", default="risk", show_default=True,
              help="risk: ATR stop and target, risk per trade (the autopilot's sizing); all_in: all the cash")
@click.option("--chart", "chart_file", metavar="PATH", help="where to write the PNG chart "
                                                            "(default: ZYN_DATA_DIR/backtests/<pair>_<from>_<to>.png)")
@click.option("--json", "as_json", is_flag=True, help="machine-readable JSON output (metrics and trades)")
@click.pass_obj
def backtest(state: CliState, pair: str, start_text: str | None, end_text: str | None, strategy: str | None,
             candles_file: str | None, sizing: str, chart_file: str | None, as_json: bool) -> None:
    """Backtest the autopilot on history: zyn backtest BTC/USD --from 2024-01-01 --to 2024-02-01."""
    from trading.backtest import BacktestSettings, run_backtest
    from trading.backtest_chart import default_title, render_equity_chart
    from trading.backtest_data import load_candles, replay_history_async, slice_range
    from trading.errors import InputError
    from trading.pairs import normalize_pair

    symbol = normalize_pair(pair)
    start, end = _date(start_text, "--from"), _date(end_text, "--to")
    if sizing not in ("risk", "all_in"):
        raise InputError(f"--sizing '{sizing}' is not one of: risk, all_in")
    if start is not None and end is not None and start >= end:
        raise InputError(f"--from {start:%Y-%m-%d} must be before --to {end:%Y-%m-%d}")
    if candles_file is None and (start is None or end is None):
        raise InputError("give --from and --to (or --candles FILE)")
    cfg = _config(state, strategy)
    market, _ = _market(symbol, candles_file is not None)
    s = state.settings
    settings = BacktestSettings(starting_balance=s.paper_starting_balance, sizing=sizing,
                                maker_fee=s.paper_maker_fee, taker_fee=s.paper_taker_fee,
                                slippage_bps=s.paper_slippage_bps)

    with _progress_bar() as bar:
        if candles_file is not None:
            ohlcv = slice_range(load_candles(candles_file), start, end)
            source = f"file {candles_file}"
        else:
            now = datetime.now(UTC)
            if start >= now:
                raise InputError(f"--from {start:%Y-%m-%d} is in the future")
            if end > now + timedelta(days=1):
                raise InputError(f"--to {end:%Y-%m-%d} is in the future")
            import asyncio

            loading = bar.add_task("loading candles", total=None)
            ohlcv = asyncio.run(replay_history_async(symbol, start, min(end, now)))
            bar.remove_task(loading)
            source = REPLAY_LABEL
        need = cfg.indicators.warmup + 2
        if len(ohlcv) < need:
            raise InputError(f"{len(ohlcv)} candles in the period are too few: the indicators need {need} "
                             f"(about {need * 5 / 60:.0f} hours of 5-minute candles); widen the period")
        task = bar.add_task(f"backtesting {symbol}", total=len(ohlcv))
        result = run_backtest(ohlcv, market, cfg, settings,
                              progress=lambda done, total: bar.update(task, completed=done, total=total))

    first = start or result.start
    last = end or result.end
    chart = Path(chart_file) if chart_file else (
        s.data_dir / "backtests" / f"{symbol.replace('/', '_')}_{first:%Y-%m-%d}_{last:%Y-%m-%d}.png")
    try:
        render_equity_chart(result, chart, default_title(result))
    except OSError as exc:
        raise InputError(f"cannot write the chart to {chart}: {exc.strerror or exc}") from None
    if as_json:
        import json

        click.echo(json.dumps(result_json(result, source, cfg.strategy, chart), indent=2))
        return
    _render(result, source, cfg.strategy, chart)


def result_json(result: BacktestResult, source: str, strategy: str | None, chart: Path | None) -> dict[str, Any]:
    """Metrics, settings and trades as plain JSON values (Decimals as exact strings)."""
    from tools.results import jsonable

    return {
        "symbol": result.symbol, "source": source, "strategy": strategy or "by regime",
        "start": result.start.isoformat(), "end": result.end.isoformat(), "candles": len(result.equity),
        "settings": jsonable(result.settings), "start_equity": jsonable(result.start_equity),
        "final_equity": jsonable(result.final_equity), "metrics": result.metrics.as_dict(),
        "skipped_entries": result.skipped, "chart": str(chart) if chart else None,
        "trades": [{**jsonable(t), "fees": jsonable(t.fees)} for t in result.trades],
    }


def _render(result: BacktestResult, source: str, strategy: str | None, chart: Path) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from tools.results import money

    console = Console(highlight=False, soft_wrap=True)
    m, q = result.metrics, result.market.quote

    def pct(v: float | None, signed: bool = False) -> str:
        return "n/a" if v is None else f"{v * 100:{'+' if signed else ''}.2f}%"

    def num(v: float | None) -> str:
        return "n/a" if v is None else ("∞" if v == float("inf") else f"{v:.2f}")

    t = Table(title=f"Backtest {result.symbol}", show_header=False, box=box.SIMPLE_HEAVY)
    t.add_column(style="bold")
    t.add_column()
    color = "green" if m.total_return >= 0 else "red"
    rows = [
        ("Period (UTC)", f"{result.start:%Y-%m-%d %H:%M} → {result.end:%Y-%m-%d %H:%M}"),
        ("Candles", f"{m.bars:,} × {_bar_minutes(result)} min"),
        ("Strategy", strategy or "by regime (as the autopilot)"),
        ("Sizing", f"{result.settings.sizing}" + (", ATR stop/target" if result.settings.brackets else "")),
        ("Start → final equity", f"{money(result.start_equity)} → {money(result.final_equity)} {q}"),
        ("Total return", f"[{color}]{pct(m.total_return, True)}[/]"),
        ("CAGR", pct(m.cagr, True) if m.cagr is not None else "n/a (under 30 days)"),
        ("Sharpe / Sortino", f"{num(m.sharpe)} / {num(m.sortino)}"),
        ("Max drawdown", f"{pct(m.max_drawdown)} ({m.max_drawdown_bars:,} candles under water)"),
        ("Trades", f"{m.trades} (win rate {pct(m.win_rate)})"),
        ("Profit factor", num(m.profit_factor)),
        ("Expectancy", f"{money(m.expectancy)} {q} per trade" if m.expectancy is not None else "n/a"),
        ("Exposure", pct(m.exposure)),
        ("Fees paid", f"{money(m.fees)} {q}"),
    ]
    if result.skipped:
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(result.skipped.items(), key=lambda kv: -kv[1]))
        rows.append(("Signals not taken", skipped))
    rows += [("Data", source), ("Chart", str(chart)), ("Run time", f"{result.elapsed_s:.2f} s")]
    for label, value in rows:
        t.add_row(label, value)
    console.print(t)
    if result.trades:
        tt = Table(title=f"Last {min(10, len(result.trades))} of {len(result.trades)} trades", box=box.SIMPLE)
        for col in ("Entry (UTC)", "Exit (UTC)", "Why", "Entry", "Exit", f"P&L {q}"):
            tt.add_column(col, justify="left" if col in ("Entry (UTC)", "Exit (UTC)", "Why") else "right")
        for tr in result.trades[-10:]:
            style = "green" if tr.pnl > 0 else "red"
            tt.add_row(f"{tr.entry_time:%m-%d %H:%M}", f"{tr.exit_time:%m-%d %H:%M}", tr.exit_reason.value,
                       _price(tr.entry_price), _price(tr.exit_price), f"[{style}]{money(tr.pnl)}[/]")
        console.print(tt)


def _price(value: Decimal) -> str:
    """A price: cents for dollar-like prices, significant digits for small ones (BTC-quoted pairs)."""
    return f"{value:,.2f}" if abs(value) >= 100 else f"{float(value):.6g}"


def _bar_minutes(result: BacktestResult) -> str:
    import numpy as np

    step = int(np.median(np.diff(result.times))) if len(result.times) > 1 else 300_000
    return f"{step / 60_000:g}"
