"""The report's equity curve: dark like the candle charts, about 1000x600 px, large type, a UTC time axis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from trading.charts.theme import PALETTE, figure, save, style_axes

_P = PALETTE

Point = tuple[datetime, Decimal]


def render_equity_curve(points: Sequence[Point], path: Path, *, title: str, subtitle: str, start: datetime,
                        end: datetime, quote: str = "USD", note: str | None = None,
                        trades: Sequence[Point] = ()) -> Path:
    """Write a PNG of equity over [start, end]: the curve, its drawdowns shaded, start and end annotated.

    points are (UTC time, equity) oldest first (two points at one time draw a step); trades are (time, P&L)
    of closing fills, marked on the curve; note is written across an empty-looking chart (e.g. "no trades
    in this period"). Thread-safe: no pyplot, no global state.
    """
    import matplotlib.dates as mdates
    import numpy as np
    from matplotlib.ticker import FuncFormatter

    pts = sorted(((_utc(t), v) for t, v in points), key=lambda p: p[0])  # stable: same-time points keep order
    start, end = _utc(start), _utc(end)
    if end <= start:
        end = start + timedelta(minutes=1)
    fig = figure(10, 6, 100)
    ax = fig.add_axes((0.115, 0.13, 0.835, 0.655))
    fig.text(0.03, 0.955, title, color=_P.text, fontsize=22, fontweight="bold", va="top", ha="left")
    fig.text(0.03, 0.875, subtitle, color=_P.dim, fontsize=13, va="top", ha="left")

    if pts:
        if len(pts) == 1:  # one figure: a flat line across the whole period
            pts = [(start, pts[0][1]), (end, pts[0][1])]
        xs = np.array([mdates.date2num(t) for t, _ in pts])
        ys = np.array([float(v) for _, v in pts])
        first, last = pts[0][1], pts[-1][1]
        ax.axhline(float(first), color=_P.base, linewidth=1.2, linestyle=(0, (5, 4)), zorder=1)
        peak = np.maximum.accumulate(ys)
        ax.fill_between(xs, ys, peak, where=peak > ys, color=_P.down, alpha=0.18, linewidth=0, zorder=2)
        ax.plot(xs, ys, color=_P.line, linewidth=2.6, zorder=3, solid_capstyle="round")
        ax.scatter([xs[0], xs[-1]], [ys[0], ys[-1]], s=70, color=_P.line, edgecolors="white", linewidths=1.2,
                   zorder=5, clip_on=False)
        # Each closing fill marked on the curve while they stay readable; a crowd would hide the curve.
        size = 110 if len(trades) <= 20 else 45 if len(trades) <= 60 else 0
        for t, pnl in trades if size else ():
            x = mdates.date2num(_utc(t))
            if xs[0] <= x <= xs[-1]:  # only where there is a curve to put it on
                # At a step (two points at one time) interp gives the later value: the equity after the fill.
                ax.scatter([x], [float(np.interp(x, xs, ys))], marker="^" if pnl > 0 else "v", s=size,
                           color=_P.up if pnl > 0 else _P.down, edgecolors="white", linewidths=0.8, zorder=6)
        _limits(ax, ys)
        _header(fig, first, last, quote)
        _start_label(ax, first)
    else:
        ax.set_yticks([])
        note = note or "no equity data for this period"

    if note:
        ax.text(0.5, 0.5, note, transform=ax.transAxes, ha="center", va="center", color=_P.text, fontsize=19,
                zorder=8, bbox={"boxstyle": "round,pad=0.6", "facecolor": _P.panel, "edgecolor": _P.spine})
    _axes(ax, start, end, mdates, FuncFormatter)
    return save(fig, path)


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _money(v: Decimal) -> str:
    return f"{v:,.2f}"


def _start_label(ax, first: Decimal) -> None:  # noqa: ANN001 - matplotlib axes
    """"start 10,000.00" for the dashed line, as a legend where the curve leaves the most room."""
    from matplotlib.lines import Line2D

    handle = Line2D([], [], color=_P.base, linewidth=1.2, linestyle=(0, (5, 4)))
    legend = ax.legend([handle], [f"start {_money(first)}"], loc="best", fontsize=13, frameon=True,
                       facecolor=_P.background, edgecolor=_P.spine, labelcolor=_P.dim, handlelength=2.2, borderpad=0.5)
    legend.get_frame().set_alpha(0.9)
    legend.set_zorder(9)


def _limits(ax, ys) -> None:  # noqa: ANN001 - matplotlib axes, numpy array
    lo, hi = float(ys.min()), float(ys.max())
    pad = max((hi - lo) * 0.18, abs(hi) * 0.002, 1.0)
    ax.set_ylim(lo - pad, hi + pad)


def _header(fig, first: Decimal, last: Decimal, quote: str) -> None:  # noqa: ANN001 - Figure
    """End equity and the change since the start, top right, coloured by sign."""
    change = last - first
    pct = change / first * 100 if first else Decimal(0)
    color = _P.up if change > 0 else _P.down if change < 0 else _P.dim
    fig.text(0.97, 0.955, f"{_money(last)} {quote}", color=_P.text, fontsize=20, fontweight="bold", va="top",
             ha="right")
    fig.text(0.97, 0.875, f"{change:+,.2f} ({pct:+.2f}%)", color=color, fontsize=15, va="top", ha="right")


def _axes(ax, start: datetime, end: datetime, mdates, formatter) -> None:  # noqa: ANN001 - matplotlib
    span = end - start
    # A little room after the end, so the last point and a final jump are not drawn on the frame.
    ax.set_xlim(mdates.date2num(start), mdates.date2num(end + span * 0.015))
    locator = mdates.AutoDateLocator(minticks=4, maxticks=7, tz=UTC)
    ax.xaxis.set_major_locator(locator)
    within_a_day = span <= timedelta(days=1, hours=1)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M" if within_a_day else "%b %d", tz=UTC))
    lo, hi = ax.get_ylim()
    places = 0 if hi - lo >= 40 else 2  # cents only when the ticks are close together
    ax.yaxis.set_major_formatter(formatter(lambda v, _: f"{v:,.{places}f}"))
    style_axes(ax, labelsize=14)
    ax.tick_params(length=0, pad=8)
    ax.set_xlabel("UTC", color=_P.dim, fontsize=12, loc="right", labelpad=2)
