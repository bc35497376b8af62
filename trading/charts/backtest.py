"""The backtest chart: equity above, drawdown below, readable on a phone (1200x800 px, large type)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trading.backtest.metrics import drawdown

if TYPE_CHECKING:
    from trading.backtest.engine import BacktestResult

_EQUITY, _DRAWDOWN, _GRID = "#1f6feb", "#d1242f", "#d0d7de"
_WIN, _LOSS = "#1a7f37", "#d1242f"


def render_equity_chart(result: BacktestResult, path: Path, title: str) -> Path:
    """Write the equity and drawdown chart of a backtest as a PNG; returns its path."""
    # No pyplot and no rcParams: a Figure of its own keeps no global state, so charts can be drawn in
    # worker threads side by side (a chat's candle chart and a backtest) without mixing their styles.
    import matplotlib.dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    times = np.asarray(result.times, dtype="datetime64[ms]")
    equity = np.asarray(result.equity, dtype=float)
    dd = drawdown(equity) * 100.0
    start = float(result.start_equity)
    m = result.metrics

    fig = Figure(figsize=(12, 8), dpi=100)
    FigureCanvasAgg(fig)
    ax_eq, ax_dd = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.2], "hspace": 0.08})
    for ax in (ax_eq, ax_dd):
        ax.spines["top"].set_visible(False)
        ax.spines["right"].set_visible(False)
        ax.tick_params(labelsize=13)
    ax_eq.plot(times, equity, color=_EQUITY, linewidth=1.8, label="equity")
    ax_eq.axhline(start, color="#57606a", linewidth=1, linestyle="--", label="start")
    ax_eq.fill_between(times, start, equity, where=equity >= start, color=_WIN, alpha=0.10, linewidth=0)
    ax_eq.fill_between(times, start, equity, where=equity < start, color=_LOSS, alpha=0.10, linewidth=0)
    ax_eq.set_ylabel(f"Equity ({result.market.quote})", fontsize=15)
    ax_eq.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax_eq.grid(True, color=_GRID, linewidth=0.8)
    # Title and figures above the plot, never over the curve (which often starts at the top left).
    sharpe = "n/a" if m.sharpe is None else f"{m.sharpe:.2f}"
    fig.text(0.11, 0.965, title, fontsize=19, fontweight="bold", va="top", ha="left")
    fig.text(0.11, 0.915, f"{m.trades} trades · win {_pct(m.win_rate)} · Sharpe {sharpe} · "
                          f"max drawdown {m.max_drawdown * 100:.1f}% · fees {float(m.fees):,.2f} "
                          f"{result.market.quote}", fontsize=14, color="#57606a", va="top", ha="left")
    ax_eq.margins(y=0.08)

    ax_dd.fill_between(times, dd, 0, color=_DRAWDOWN, alpha=0.35, linewidth=0)
    ax_dd.plot(times, dd, color=_DRAWDOWN, linewidth=1.0)
    ax_dd.set_ylabel("Drawdown", fontsize=15)
    ax_dd.yaxis.set_major_formatter(PercentFormatter(decimals=0 if dd.min() < -3 else 1))
    ax_dd.set_ylim(min(float(dd.min()) * 1.15, -0.5), 0.0)
    ax_dd.grid(True, color=_GRID, linewidth=0.8)

    locator = mdates.AutoDateLocator(minticks=4, maxticks=7)
    # A few days is too long for 12-hourly ticks and too short for weekly ones: allow a tick a day or two.
    locator.intervald[mdates.HOURLY] = [1, 2, 3, 4, 6, 12, 24, 48]
    ax_dd.xaxis.set_major_locator(locator)
    dates = mdates.ConciseDateFormatter(locator)
    # The corner label names the year, not "2024-Feb" (which reads as if the chart ended then).
    dates.offset_formats = ["", "%Y", "%Y", "%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M"]
    ax_dd.xaxis.set_major_formatter(dates)
    ax_dd.set_xlim(times[0], times[-1])
    fig.subplots_adjust(left=0.11, right=0.98, top=0.86, bottom=0.08)
    fig.savefig(path, dpi=100)
    return path


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def default_title(result: BacktestResult) -> str:
    """'BTC/USD · 2024-01-01 → 2024-02-01 · +3.2%'."""
    return (f"{result.symbol} · {result.start:%Y-%m-%d} → {result.end:%Y-%m-%d} · "
            f"{result.metrics.total_return * 100:+.1f}%")
