"""Candlestick charts with the autopilot's entries and exits marked, rendered headless for phones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from trading.charts.theme import PALETTE, figure, save, style_axes
from trading.domain import Candle, Fill, Side


def render_candles(candles: Sequence[Candle], fills: Sequence[Fill], path: Path, *, title: str,
                   source: str) -> Path:
    """A PNG of the candles (green up, red down) with buys (^) and sells (v) at their prices and times."""
    import matplotlib.dates as mdates
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import StrMethodFormatter

    if not candles:
        raise ValueError("no candles to draw")
    times = [c.timestamp for c in candles]
    width = (times[1] - times[0]).total_seconds() / 86400 * 0.7 if len(times) > 1 else 0.002
    p = PALETTE
    fig = figure(10, 6.4, 120)
    ax = fig.add_subplot()
    style_axes(ax, labelsize=11, spines=("left", "bottom", "top", "right"))
    for c in candles:
        up = c.close >= c.open
        color = p.up if up else p.down
        x = mdates.date2num(c.timestamp)
        ax.vlines(x, float(c.low), float(c.high), color=color, linewidth=1)
        lo, hi = sorted((float(c.open), float(c.close)))
        ax.add_patch(Rectangle((x - width / 2, lo), width, max(hi - lo, float(c.close) * 1e-5),
                                   facecolor=color, edgecolor=color))
    first, last = times[0], times[-1]
    step = times[1] - times[0] if len(times) > 1 else timedelta(minutes=5)
    shown = [f for f in fills if first <= f.timestamp < last + step]  # the last candle's fills count too
    for side, marker, color, label in ((Side.BUY, "^", p.buy, "buy"), (Side.SELL, "v", p.sell, "sell")):
        pts = [f for f in shown if f.side is side]
        if pts:
            ax.scatter([mdates.date2num(f.timestamp) for f in pts], [float(f.price) for f in pts], marker=marker,
                       s=140, color=color, edgecolors="white", linewidths=0.8, zorder=5, label=label)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M\n%b %d"))
    places = 0 if float(candles[-1].close) >= 1000 else 2 if float(candles[-1].close) >= 1 else 5
    ax.yaxis.set_major_formatter(StrMethodFormatter(f"{{x:,.{places}f}}"))
    ax.set_title(title, color=p.text, fontsize=16, loc="left", pad=12)
    ax.text(1.0, 1.02, f"{source} · UTC", transform=ax.transAxes, ha="right", color=p.dim, fontsize=10)
    right = max([last, *(f.timestamp for f in shown)])  # a fill in the forming candle must not be cut off
    ax.set_xlim(mdates.date2num(first) - width, mdates.date2num(right) + 2 * width)
    if shown:
        ax.legend(loc="upper left", facecolor=p.panel, edgecolor=p.spine, labelcolor=p.text, fontsize=11)
    fig.tight_layout()
    return save(fig, path)
