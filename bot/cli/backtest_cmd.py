"""`zyn backtest`: the autopilot's decision and risk code over history, with a Rich summary and a PNG chart."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.runner import CliState

if TYPE_CHECKING:
    from trading.backtest.engine import BacktestResult
    from trading.domain import Market


def _markets() -> dict[str, Market]:
    """The bundled replay's markets (BTC/USD, ETH/USD, SOL/USD) with Kraken's rules."""
    import asyncio

    from trading.clock import SystemClock
    from trading.exchange.feeds.replay import ReplayFeed

    return asyncio.run(ReplayFeed(SystemClock()).load_markets())


def _config(state: CliState, strategy: str | None) -> Any:
    """The settings in force (the file with the runtime overrides from chat), as the autopilot and a chat
    backtest use them."""
    from bot.cli.effective import effective_config
    from trading.backtest.run import config_for

    return config_for(effective_config(state.settings).cfg, strategy)


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
    """Backtest the autopilot on history: zyn backtest BTC/USD --from 2024-01-01 --to 2024-02-01.

    The indicators warm up on the candles before --from (the same source); trades and figures cover the period."""
    from trading.backtest.run import (  # here: `zyn --help` and `zyn status` need none of the backtester
        backtest_period,
        backtest_settings,
        chart_name,
        check_period,
        load_history,
        market_for,
        pair_symbol,
        parse_when,
        render_chart,
        store_set,
    )
    from trading.errors import InputError

    start, end = parse_when(start_text, "--from"), parse_when(end_text, "--to")
    if sizing not in ("risk", "all_in"):
        raise InputError(f"--sizing '{sizing}' is not one of: risk, all_in")
    check_period(start, end, None, names=("--from", "--to"))
    if candles_file is None and (start is None or end is None):
        raise InputError("give --from and --to (or --candles FILE)")
    cfg = _config(state, strategy)
    from bot.cli.data_cmd import candle_store

    settings = backtest_settings(state.settings, sizing, cfg)  # the autopilot's entry mode (taker or maker)
    with _progress_bar() as bar, candle_store(state.settings) as db:
        # The local candle store first (imported real history), then the bundled replay at its real dates.
        held = None if candles_file is not None else store_set(db, pair_symbol(pair))
        market, _ = market_for(pair, _markets(), hint="; give --candles FILE or import it (zyn data import FILE)",
                               unbundled_ok=candles_file is not None or held is not None)
        symbol = market.symbol
        now = None
        if candles_file is None and held is None:
            now = datetime.now(UTC)
            check_period(start, end, now, names=("--from", "--to"))
        loading = bar.add_task("loading candles", total=None)
        history = load_history(symbol, start, end, cfg, now=now, store=db if held is not None else None,
                               file=candles_file)
        bar.remove_task(loading)
        source = history.source
        task = bar.add_task(f"backtesting {symbol}", total=len(history.ohlcv))
        result, _ = backtest_period(history, market, cfg, settings,
                                    progress=lambda done, total: bar.update(task, completed=done, total=total))

    first = start or result.start
    last = end or result.end
    chart = Path(chart_file) if chart_file else (
        state.settings.data_dir / "backtests" / f"{chart_name(symbol, first, last)}.png")
    render_chart(result, chart, source)
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
    t.add_column(overflow="fold")  # the chart's path is folded whole at 80 columns, never cut to "…"
    color = "green" if m.total_return >= 0 else "red"
    rows = [
        ("Period (UTC)", f"{result.start:%Y-%m-%d %H:%M} → {result.end:%Y-%m-%d %H:%M}"),
        ("Candles", f"{m.bars:,} × {_bar_minutes(result)} min"),
        ("Strategy", strategy or "by regime (as the autopilot)"),
        ("Sizing", f"{result.settings.sizing}" + (", ATR stop/target" if result.settings.brackets else "")),
        ("Entries", f"maker: post-only at the close, filled only through it, cancelled after "
                    f"{result.settings.maker_timeout_bars} candles" if result.settings.entry == "maker"
         else "taker: at the next open"),
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
        n = len(result.trades)
        tt = Table(title="The trade" if n == 1 else f"Last {min(10, n)} of {n} trades", box=box.SIMPLE)
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
