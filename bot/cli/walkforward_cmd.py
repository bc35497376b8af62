"""`zyn walkforward PAIR`: rolling train/test windows, policies compared out of sample (static, cash, buy_hold)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click

from bot.cli.backtest_cmd import _config, _markets, _progress_bar
from bot.cli.runner import CliState


def _fee(text: str | None, label: str, default: Decimal) -> Decimal:
    from trading.errors import InputError

    if text is None:
        return default
    try:
        value = Decimal(text.strip().rstrip("%")) / (100 if text.strip().endswith("%") else 1)
    except InvalidOperation:
        raise InputError(f"{label} '{text}' is not a number; write it like 0.0026 or 0.26%") from None
    if not (value.is_finite() and 0 <= value < Decimal("0.1")):
        raise InputError(f"{label} {text} must be between 0 and 10%")
    return value


def _bps(text: str | None, default: Decimal) -> Decimal:
    from trading.errors import InputError

    if text is None:
        return default
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InputError(f"--slippage-bps '{text}' is not a number") from None
    if not (value.is_finite() and 0 <= value <= 500):
        raise InputError(f"--slippage-bps {text} must be between 0 and 500")
    return value


def history(state: CliState, pair: str, candles_file: str | None) -> tuple[Any, Any, str]:
    """(OHLCV, market, source): a file, else the candle store, else the bundled replay's real span."""
    from bot.cli.data_cmd import stored_candles
    from trading.backtest.data import load_candles
    from trading.backtest.run import market_for, replay_candles, replay_label
    from trading.exchange.feeds.provenance import replay_origins
    from trading.pairs import normalize_pair

    if candles_file is not None:
        market, _ = market_for(pair, {}, unbundled_ok=True)
        return load_candles(candles_file), market, f"file {candles_file}"
    stored = stored_candles(state.settings, normalize_pair(pair))
    if stored is not None:
        market, _ = market_for(pair, _markets(), unbundled_ok=True)
        return stored[0], market, stored[1]
    market, _ = market_for(pair, _markets(), hint="; give --candles FILE or import it (zyn data import FILE)")
    origin = replay_origins()[market.symbol]
    return replay_candles(market.symbol, origin.first_open, origin.end, origin.end), market, \
        replay_label(market.symbol)


@click.command("walkforward")
@click.argument("pair")
@click.option("--candles", "candles_file", metavar="FILE", help="candles from a CSV/parquet file (default: the "
                                                                "candle store, else the bundled replay)")
@click.option("--train", "train_text", default="4d", show_default=True, help="train span before each test window")
@click.option("--test", "test_text", default="1d", show_default=True, help="test window span")
@click.option("--taker-fee", "taker_text", metavar="FEE", help="e.g. 0.0026 or 0.26%% (default: the paper fee)")
@click.option("--slippage-bps", "slip_text", metavar="BPS", help="default: the paper slippage")
@click.option("--entry", "entry", type=click.Choice(["taker", "maker"]), default="taker", show_default=True,
              help="maker: post-only limit entries at the touch, filled only when the price trades through "
                   "within 3 candles")
@click.option("--maker-fee", "maker_text", metavar="FEE", help="e.g. 0.25%% (default: the paper maker fee)")
@click.option("--chart", "chart_file", metavar="PATH", help="PNG path (default: ZYN_DATA_DIR/walkforward/...)")
@click.option("--json", "as_json", is_flag=True, help="machine-readable JSON: policies and windows")
@click.pass_obj
def walkforward(state: CliState, pair: str, candles_file: str | None, train_text: str, test_text: str,
                taker_text: str | None, slip_text: str | None, entry: str, maker_text: str | None,
                chart_file: str | None, as_json: bool) -> None:
    """Walk forward: zyn walkforward ETH/BTC --candles FILE --train 4d --test 1d."""
    from trading.backtest.run import backtest_settings
    from trading.backtest.walkforward import parse_span, walk_forward
    from trading.charts.walkforward import render_walkforward

    train, test = parse_span(train_text, "--train"), parse_span(test_text, "--test")
    settings = backtest_settings(state.settings)
    taker = _fee(taker_text, "--taker-fee", settings.taker_fee)
    maker = _fee(maker_text, "--maker-fee", settings.maker_fee)
    slip = _bps(slip_text, settings.slippage_bps)
    from dataclasses import replace

    settings = replace(settings, taker_fee=taker, maker_fee=maker, slippage_bps=slip, entry=entry)
    cfg = _config(state, None)
    with _progress_bar() as bar:
        loading = bar.add_task("loading candles", total=None)
        ohlcv, market, source = history(state, pair, candles_file)
        bar.remove_task(loading)
        task = bar.add_task(f"walk-forward {market.symbol}", total=None)
        wf = walk_forward(ohlcv, market, cfg, settings, train=train, test=test,
                          progress=lambda done, total: bar.update(task, completed=done, total=total))
    first, last = wf.windows[0].start, wf.windows[-1].end
    chart = Path(chart_file) if chart_file else (
        state.settings.data_dir / "walkforward" /
        f"{market.symbol.replace('/', '_')}_{first:%Y-%m-%d}_{last:%Y-%m-%d}_{train_text}_{test_text}.png")
    render_walkforward(wf, chart, f"Walk-forward {market.symbol} · train {train_text} / test {test_text} · "
                                  f"taker {taker * 100:.2f}%", source)
    if as_json:
        import json

        click.echo(json.dumps({**wf.as_dict(), "symbol": market.symbol, "source": source,
                               "train": train_text, "test": test_text, "taker_fee": str(taker),
                               "maker_fee": str(maker), "entry": entry, "slippage_bps": str(slip),
                               "chart": str(chart)}, indent=2))
        return
    _render(wf, source, chart, taker)


def _render(wf: Any, source: str, chart: Path, taker: Decimal) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True)
    names = list(wf.totals)
    t = Table(title=f"Walk-forward {wf.symbol}: out-of-sample return per test window (taker {taker * 100:.2f}%)",
              box=box.SIMPLE, pad_edge=False)
    # One line per window at 80 columns: the year goes to the header when every window shares it.
    years = {w.start.year for w in wf.windows} | {w.end.year for w in wf.windows}
    start_fmt = "%m-%d %H:%M" if len(years) == 1 else "%Y-%m-%d %H:%M"
    t.add_column(f"Test window ({years.pop()}, UTC)" if len(years) == 1 else "Test window (UTC)", no_wrap=True)
    for n in names:
        t.add_column(n, justify="right", no_wrap=True)
    for w in wf.windows:
        t.add_row(f"{w.start.strftime(start_fmt)} → {w.end:%m-%d %H:%M}",
                  *(f"{w.policies[n].return_pct:+.2f}% ({w.policies[n].trades})" for n in names))
    console.print(t)
    tot = Table(title="Totals (return: sum of the windows; drawdown: the windows chained)", box=box.SIMPLE_HEAVY)
    for col in ("Policy", "Return", "Trades", "Profit factor", "Fees", "Max drawdown"):
        tot.add_column(col, justify="left" if col == "Policy" else "right")
    for n in names:
        f = wf.totals[n]
        pf = "n/a" if f.profit_factor is None else ("∞" if f.profit_factor == float("inf") else f"{f.profit_factor:.2f}")
        tot.add_row(n, f"{f.return_pct:+.2f}%", str(f.trades), pf, f"{f.fees:,.2f}", f"{f.max_drawdown_pct:.2f}%")
    console.print(tot)
    if wf.skipped:
        console.print(f"The first {wf.skipped} test window{'s' if wf.skipped > 1 else ''} left out: the indicators' "
                      f"warm-up needs more history before {'them' if wf.skipped > 1 else 'it'}")
    console.print(f"Data: {source}\nChart: {chart}")
