"""The backtest chart: equity above, drawdown below, dark like the others, readable on a phone (1200x800 px)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trading.backtest.metrics import drawdown
from trading.charts.theme import PALETTE, figure, save, style_axes

if TYPE_CHECKING:
    from trading.backtest.engine import BacktestResult

_P = PALETTE


def render_equity_chart(result: BacktestResult, path: Path, title: str, source: str = "") -> Path:
    """Write the equity and drawdown chart of a backtest as a PNG (source: where its candles came from)."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    times = np.asarray(result.times, dtype="datetime64[ms]")
    equity = np.asarray(result.equity, dtype=float)
    dd = drawdown(equity) * 100.0
    start = float(result.start_equity)
    m = result.metrics

    fig = figure(12, 8, 100)
    ax_eq, ax_dd = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.2], "hspace": 0.08})
    for ax in (ax_eq, ax_dd):
        style_axes(ax, labelsize=13)
    ax_eq.plot(times, equity, color=_P.line, linewidth=1.8, label="equity")
    ax_eq.axhline(start, color=_P.base, linewidth=1.2, linestyle=(0, (5, 4)), label="start")
    ax_eq.fill_between(times, start, equity, where=equity >= start, color=_P.up, alpha=0.16, linewidth=0)
    ax_eq.fill_between(times, start, equity, where=equity < start, color=_P.down, alpha=0.16, linewidth=0)
    ax_eq.set_ylabel(f"Equity ({result.market.quote})", fontsize=15, color=_P.dim)
    ax_eq.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    # Title and figures above the plot, never over the curve (which often starts at the top left).
    sharpe = "n/a" if m.sharpe is None else f"{m.sharpe:.2f}"
    fig.text(0.11, 0.965, title, fontsize=19, fontweight="bold", color=_P.text, va="top", ha="left")
    fig.text(0.11, 0.915, f"{m.trades} trade{'' if m.trades == 1 else 's'} · win {_pct(m.win_rate)} · Sharpe {sharpe} · "
                          f"max drawdown {m.max_drawdown * 100:.1f}% · fees {float(m.fees):,.2f} "
                          f"{result.market.quote}", fontsize=14, color=_P.dim, va="top", ha="left")
    if source:  # under the plot, across its width: a long provenance never runs into the title
        fig.text(0.11, 0.012, f"data: {source}", fontsize=10, color=_P.dim, va="bottom", ha="left", wrap=True)
    ax_eq.margins(y=0.08)

    ax_dd.fill_between(times, dd, 0, color=_P.down, alpha=0.30, linewidth=0)
    ax_dd.plot(times, dd, color=_P.down, linewidth=1.0)
    ax_dd.set_ylabel("Drawdown", fontsize=15, color=_P.dim)
    ax_dd.yaxis.set_major_formatter(PercentFormatter(decimals=0 if dd.min() < -3 else 1))
    ax_dd.set_ylim(min(float(dd.min()) * 1.15, -0.5), 0.0)

    locator = mdates.AutoDateLocator(minticks=4, maxticks=7)
    # A few days is too long for 12-hourly ticks and too short for weekly ones: allow a tick a day or two.
    locator.intervald[mdates.HOURLY] = [1, 2, 3, 4, 6, 12, 24, 48]
    ax_dd.xaxis.set_major_locator(locator)
    dates = mdates.ConciseDateFormatter(locator)
    # The corner label names the year, not "2024-Feb" (which reads as if the chart ended then).
    dates.offset_formats = ["", "%Y", "%Y", "%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M"]
    ax_dd.xaxis.set_major_formatter(dates)
    ax_dd.xaxis.get_offset_text().set_color(_P.dim)
    ax_dd.set_xlim(times[0], times[-1])
    fig.subplots_adjust(left=0.11, right=0.98, top=0.86, bottom=0.12 if source else 0.08)
    return save(fig, path)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def default_title(result: BacktestResult) -> str:
    """'BTC/USD · 2024-01-01 → 2024-02-01 · +3.2%'."""
    return (f"{result.symbol} · {result.start:%Y-%m-%d} → {result.end:%Y-%m-%d} · "
            f"{result.metrics.total_return * 100:+.1f}%")
