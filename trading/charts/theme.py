"""One look for every chart: a dark palette and a Figure on its own Agg canvas (no pyplot, no global state)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@dataclass(frozen=True, slots=True)
class Palette:
    """The colours every chart uses (dark, readable on a phone)."""

    background: str = "#111418"
    panel: str = "#1c2026"  # legend and note boxes
    text: str = "#e8eaed"
    dim: str = "#9aa0a6"  # subtitles, axis labels, the data source
    grid: str = "#2a2f36"
    spine: str = "#3a3f47"
    line: str = "#42a5f5"  # an equity curve
    base: str = "#6b7280"  # the starting equity, dashed
    up: str = "#26a69a"
    down: str = "#ef5350"
    buy: str = "#42a5f5"
    sell: str = "#ffca28"


PALETTE = Palette()


def figure(width: float, height: float, dpi: int) -> Figure:
    """A dark Figure of width x height inches on its own Agg canvas: safe to draw in worker threads."""
    # No pyplot and no rcParams: a Figure of its own keeps no global state, so two charts drawn side by
    # side in worker threads (a chat's candle chart and a backtest) never mix their styles.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi, facecolor=PALETTE.background)
    FigureCanvasAgg(fig)
    return fig


def style_axes(ax: Axes, *, labelsize: float = 13, spines: tuple[str, ...] = ("left", "bottom")) -> None:
    """Dark axes: the background, light tick labels, the given spines only, and a grid below the data."""
    ax.set_facecolor(PALETTE.background)
    ax.tick_params(colors=PALETTE.text, labelsize=labelsize)
    for side, spine in ax.spines.items():
        spine.set_visible(side in spines)
        spine.set_color(PALETTE.spine)
    ax.grid(True, color=PALETTE.grid, linewidth=0.8)
    ax.set_axisbelow(True)


def save(fig: Figure, path: Path) -> Path:
    """Write the figure as a PNG on its own background (the folder is made if missing); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, facecolor=fig.get_facecolor())
    return path
