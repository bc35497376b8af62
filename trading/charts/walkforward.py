"""The walk-forward picture: each policy's out-of-sample equity, test windows chained, window edges marked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from trading.charts.theme import PALETTE, figure, save, style_axes

if TYPE_CHECKING:
    from trading.backtest.walkforward import WalkForward

_COLOURS = {"static": PALETTE.down, "adaptive": PALETTE.line, "cash": PALETTE.base, "buy_hold": PALETTE.sell}


def render_walkforward(wf: WalkForward, path: Path, title: str, source: str = "") -> Path:
    """Write the chained out-of-sample equity of every policy (percent of the start) as a PNG."""
    import numpy as np

    fig = figure(12, 7, 100)
    ax = fig.subplots()
    style_axes(ax, labelsize=12)
    for name, total in wf.totals.items():
        eq = (np.asarray(total.equity, dtype=float) - 1.0) * 100.0
        x = np.linspace(0, len(wf.windows), eq.size) if eq.size > 1 else np.array([0.0, len(wf.windows)])
        y = eq if eq.size > 1 else np.zeros(2)
        ax.plot(x, y, color=_COLOURS.get(name, PALETTE.text), linewidth=1.8,
                label=f"{name} {total.return_pct:+.2f}% · {total.trades} trades")
    for k in range(1, len(wf.windows)):
        ax.axvline(k, color=PALETTE.grid, linewidth=0.8)
    ax.set_xlabel("test window (each one day unless told)", color=PALETTE.dim, fontsize=12)
    ax.set_ylabel("out-of-sample return, chained (%)", color=PALETTE.dim, fontsize=12)
    legend = ax.legend(loc="upper left", facecolor=PALETTE.panel, edgecolor=PALETTE.spine, fontsize=11)
    for text in legend.get_texts():
        text.set_color(PALETTE.text)
    fig.text(0.08, 0.965, title, fontsize=17, fontweight="bold", color=PALETTE.text, va="top", ha="left")
    if source:
        fig.text(0.08, 0.925, f"data: {source}", fontsize=10, color=PALETTE.dim, va="top", ha="left")
    fig.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.1)
    return save(fig, path)
