"""report: P&L, trades, win rate, best and worst, positions and the equity curve of a UTC day, week or month.

A trade is a closing fill: a sell that reduces a long position. Its realised P&L is (sell price - average
cost) x amount - the sell's fee, where the average cost includes the buy fees (the paper ledger's own
accounting, and performance_report's). Fees are every fee paid in the period, buys included (a buy fee of a
still-open position is in its unrealised P&L, not in the realised figure).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from loguru import logger
from pydantic import Field

from tools.account import PortfolioArgs, get_portfolio
from tools.base import Args
from tools.breakdown import attributed_trades, average_r_text, parts, profit_factor_text
from tools.context import ToolContext
from tools.pictures import picture_folder
from tools.ports import EquityHistory, ToolStore
from tools.results import PositionLine, amount_str, money
from tools.window import Window
from trading.attribution import Breakdown, breakdown
from trading.domain import ZERO, Fill, Mode
from trading.errors import InputError, ZynError
from trading.pnl import closing_pnls, read_window

_log = logger.bind(component="report")
ANCHOR_MAX_AGE = timedelta(hours=1)  # a snapshot this close before the start stands for the start's equity
Point = tuple[datetime, Decimal]


class ReportArgs(Args):
    period: Literal["today", "day", "week", "month"] = "today"
    date: dt.date | None = Field(None, description="YYYY-MM-DD, a UTC day: the day reported (period day; "
                                                   "default yesterday), or the last day of the week or month")
    chart: bool = Field(True, description="also draw the equity-curve PNG")
    until: datetime | None = Field(None, description="period day only: report the 24 hours ending at this "
                                                     "UTC time instead of a calendar day (the daily report)")
    since: datetime | None = Field(None, description="an exact window instead of a period: from this time to "
                                                     "'until' (default now)")


@dataclass(frozen=True)
class TradeLine:
    """One closing fill and its realised P&L (after both legs' fees)."""

    symbol: str
    pnl: Decimal
    at: datetime


@dataclass(frozen=True)
class ReportResult:
    period: str  # today | day | week | month
    label: str  # "2024-05-06, so far", "7 days to 2024-05-06"
    start: datetime  # UTC, inclusive
    end: datetime  # UTC: the period's end, or now while it runs
    complete: bool  # the period is over
    mode: Mode
    source: str  # where prices come from ("kraken", "offline replay")
    quote: str
    realized_pnl: Decimal  # sum of the closing fills' P&L, fees included
    fees: Decimal  # every fee paid in the period
    trades: int  # closing fills in the period
    wins: int  # closing fills with P&L > 0
    best: TradeLine | None
    worst: TradeLine | None
    positions: list[PositionLine]  # open now, with marks and unrealised P&L
    unrealized_pnl: Decimal  # of the open positions, now
    equity_now: Decimal | None
    equity_start: Decimal | None
    equity_start_at: datetime | None  # when equity_start was measured (the period start, or later)
    equity_end: Decimal | None  # at the period's end (now while it runs)
    curve: list[Point] = field(default_factory=list)
    curve_source: str = "none"  # "snapshots" | "fills" | "fills+snapshots" (fills before the first) | "none"
    snapshots_from: datetime | None = None  # the first equity snapshot drawn
    kill_switch_tripped: bool | None = None
    kill_switch_at: datetime | None = None
    autopilot_on: bool | None = None
    chart: Path | None = None
    generated_at: datetime | None = None
    # Who opened the period's trades (trading.attribution): the parts add up to realized_pnl exactly.
    by_source: dict[str, Decimal] = field(default_factory=dict)
    by_strategy: dict[str, Decimal] = field(default_factory=dict)
    gross_win: Decimal = ZERO
    gross_loss: Decimal = ZERO  # positive
    profit_factor: Decimal | None = None  # None without a losing trade
    average_r: Decimal | None = None  # over the trades whose stop at entry is known
    r_trades: int = 0
    zone: str = "UTC"  # the owner's time zone (ZYN_TIMEZONE), shown beside UTC
    _json_extra = ("win_rate",)

    @property
    def win_rate(self) -> Decimal | None:
        return Decimal(self.wins) / self.trades if self.trades else None

    @property
    def change(self) -> Decimal | None:
        if self.equity_start is None or self.equity_end is None:
            return None
        return self.equity_end - self.equity_start

    def text(self) -> str:
        """A compact report for a phone: short lines, thousands separators."""
        q = self.quote
        lines = [f"Report {self.label}", self._span(), f"{self.mode.value.upper()} · {self.source}",
                 f"P&L {signed(self.realized_pnl)} {q} after fees", f"Fees {money(self.fees)} {q}"]
        if not self.trades:
            lines.append("No trades in this period")
        else:
            lines.append(f"Trades {self.trades} · won {self.wins} ({self.win_rate:.0%})")
            b = Breakdown(self.realized_pnl, self.trades, self.wins, self.gross_win, self.gross_loss,
                          r_total=(self.average_r or ZERO) * self.r_trades, r_trades=self.r_trades)
            lines.append(f"PF {profit_factor_text(b)} · avg R {average_r_text(b, short=True)}")
            lines += [f"Source {k} {v}" for k, v in parts(self.by_source)]
            lines += [f"Strategy {k} {v}" for k, v in parts(self.by_strategy)]
            if self.trades == 1 and self.best is not None:
                lines.append(f"Trade {self._trade(self.best)}")
            else:
                lines += [f"Best {self._trade(self.best)}", f"Worst {self._trade(self.worst)}"]
        lines += self._equity_lines()
        open_lines = [p for p in self.positions if p.position.amount > 0]
        lines.append("Open: none" if not open_lines else "Open:")
        for p in open_lines:
            upnl = signed(p.unrealized_pnl) if p.unrealized_pnl is not None else "no mark"
            lines.append(f" {p.position.symbol} {amount_str(p.position.amount)} {upnl}")
        lines.append(f"Autopilot {_on_off(self.autopilot_on)}"
                     + ("" if self.kill_switch_tripped else " · kill switch armed"))
        if self.kill_switch_tripped:
            at = f" at {self.kill_switch_at:%H:%M} UTC" if self.kill_switch_at else ""
            lines.append(f"Kill switch TRIPPED{at}")
        if self.curve_source == "fills":
            lines.append("Curve: from fills (no snapshots)")
        elif self.curve_source == "fills+snapshots":
            lines.append(f"Curve: from fills until {self._when(self.snapshots_from)}")
        return "\n".join(lines)

    def _span(self) -> str:
        if self.start.date() == self.end.date() or (self.end - self.start <= timedelta(days=1)
                                                    and self.end.time() == self.start.time() == time(0)):
            utc = f"{self.start:%H:%M}–{self.end:%H:%M} UTC"
        else:
            utc = f"{self.start:%m-%d %H:%M} – {self.end:%m-%d %H:%M} UTC"
        if self.zone in ("", "UTC"):
            return utc
        zone = ZoneInfo(self.zone)
        return f"{utc} ({self.start.astimezone(zone):%a %H:%M} – {self.end.astimezone(zone):%a %H:%M} {self.zone})"

    def _trade(self, t: TradeLine | None) -> str:
        if t is None:
            return "-"
        return f"{t.symbol} {signed(t.pnl)} {self._when(t.at)}"

    def _when(self, at: datetime | None) -> str:
        """A time in this period: HH:MM within a day, else MM-DD HH:MM."""
        if at is None:
            return "-"
        short = self.period in ("today", "day") or (self.period == "window" and self.start.date() == self.end.date())
        return f"{at:%H:%M}" if short else f"{at:%m-%d %H:%M}"

    def _equity_lines(self) -> list[str]:
        if self.equity_end is None:
            return ["Equity unknown (no prices)"]
        if self.equity_start is None:
            return [f"Equity {money(self.equity_end)} {self.quote}"]
        late = self.equity_start_at is not None and self.equity_start_at > self.start
        head = f"Equity{f' (from {self._when(self.equity_start_at)})' if late else ''}"
        change = self.change or ZERO
        pct = f" ({change / self.equity_start * 100:+.2f}%)" if self.equity_start else ""
        out = [f"{head} {money(self.equity_start)} → {money(self.equity_end)}",
               f"Change {signed(change)} {self.quote}{pct}"]
        if self.complete and self.equity_now is not None:
            out.append(f"Equity now {money(self.equity_now)} {self.quote}")
        return out


def signed(value: Decimal | None) -> str:
    """+1,234.56 / -1,234.56 (a zero has no minus sign)."""
    if value is None:
        return "-"
    return f"{(value if value != 0 else ZERO):+,.2f}"


def _on_off(value: bool | None) -> str:
    return "?" if value is None else "ON" if value else "OFF"


def period_bounds(period: str, day: dt.date | None, now: datetime, until: datetime | None = None,
                  since: datetime | None = None) -> tuple[datetime, datetime, str]:
    """(start, end of the range, label): UTC days; a week is 7 and a month 30 days ending with `day`.

    With `until` (period day), the 24 hours ending then: consecutive daily reports then cover every trade
    exactly once, whatever the report time.
    With `since`, exactly the window from then to `until` (or now).
    """
    if since is not None:
        return _window_bounds(since, until, now)
    if until is not None:
        if period != "day" or day is not None:
            raise InputError("'until' goes with period 'day' and no date")
        stop = until.replace(tzinfo=UTC) if until.tzinfo is None else until.astimezone(UTC)
        if stop - timedelta(days=1) > now:
            raise InputError(f"the 24 hours to {stop:%Y-%m-%d %H:%M} UTC have not started yet")
        return stop - timedelta(days=1), stop, f"24 h to {stop:%m-%d %H:%M}" + (", so far" if stop > now else "")
    today = now.astimezone(UTC).date()
    if period == "today":
        if day is not None and day != today:
            raise InputError("'today' takes no date; ask for period 'day' with that date")
        day = today
    elif period == "day":
        day = day or today - timedelta(days=1)  # the last complete UTC day
    else:
        day = day or today
    if day > today:
        raise InputError(f"{day.isoformat()} has not started yet (it is {today.isoformat()} UTC)")
    last = datetime(day.year, day.month, day.day, tzinfo=UTC)
    days = {"week": 7, "month": 30}.get(period, 1)
    start, stop = last - timedelta(days=days - 1), last + timedelta(days=1)
    label = day.isoformat() if days == 1 else f"{days} days to {day.isoformat()}"
    if stop > now:
        label += ", so far" if days == 1 else ""
    return start, stop, label


def _window_bounds(since: datetime, until: datetime | None, now: datetime) -> tuple[datetime, datetime, str]:
    start = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
    stop = now if until is None else until.replace(tzinfo=UTC) if until.tzinfo is None else until.astimezone(UTC)
    Window(start, stop)  # refuses an empty or reversed window
    if start >= now:
        raise InputError(f"the window from {start:%Y-%m-%d %H:%M} UTC has not started yet")
    label = f"{start:%m-%d %H:%M} to {stop:%m-%d %H:%M} UTC" + (", so far" if stop > now else "")
    return start, stop, label


def closing_trades(fills: list[Fill]) -> list[TradeLine]:
    """Every closing fill's realised P&L, replaying average cost (buy fees included) from the first fill."""
    return [TradeLine(f.symbol, pnl, f.timestamp) for f, pnl in closing_pnls(fills)]


async def report(ctx: ToolContext, args: ReportArgs) -> ReportResult:
    """The report of a UTC day (so far), or the 7 or 30 days ending with one, with an equity-curve PNG."""
    now = ctx.clock.now()
    start, stop, label = period_bounds(args.period, args.date, now, args.until, args.since)
    end = min(stop, now)
    # Only the period's fills, with the average-cost P&L the database keeps per fill (trading/pnl.py).
    window = await read_window(ctx.exchange, start, stop)
    trades = [TradeLine(f.symbol, pnl, f.timestamp) for f, pnl in window.closing()]
    parts = breakdown(attributed_trades(ctx, window))
    fees = sum((w.fill.fee for w in window.fills), ZERO)
    positions, unrealized, equity_now = await _portfolio(ctx)
    curve, curve_source, snaps_from = _curve(ctx.store, trades, window.realized_since_start, start, stop, now,
                                             equity_now, unrealized)
    kill_tripped, kill_at, autopilot_on = _states(ctx.store, now)
    result = ReportResult(
        period="window" if args.since is not None else args.period, label=label, zone=ctx.timezone, start=start, end=end, complete=stop <= now, mode=ctx.mode,
        source=ctx.source, quote=ctx.quote_currency, realized_pnl=sum((t.pnl for t in trades), ZERO),
        fees=fees,
        trades=len(trades), wins=sum(1 for t in trades if t.pnl > 0),
        best=max(trades, key=lambda t: t.pnl) if trades else None,
        worst=min(trades, key=lambda t: t.pnl) if trades else None,
        positions=[p for p in positions if p.position.amount > 0], unrealized_pnl=unrealized,
        equity_now=equity_now, equity_start=curve[0][1] if curve else None,
        equity_start_at=curve[0][0] if curve else None, equity_end=curve[-1][1] if curve else None,
        curve=curve, curve_source=curve_source, snapshots_from=snaps_from, kill_switch_tripped=kill_tripped,
        kill_switch_at=kill_at, autopilot_on=autopilot_on, generated_at=now, by_source=parts.by_source,
        by_strategy=parts.by_strategy, gross_win=parts.gross_win, gross_loss=parts.gross_loss,
        profit_factor=parts.profit_factor, average_r=parts.average_r, r_trades=parts.r_trades)
    if not args.chart:
        return result
    path = await _draw(ctx, result, [(t.at, t.pnl) for t in trades])
    return replace(result, chart=path)


async def _portfolio(ctx: ToolContext) -> tuple[list[PositionLine], Decimal, Decimal | None]:
    """Open positions, their unrealised P&L and the equity now; without prices, none of them."""
    try:
        folio = await get_portfolio(ctx, PortfolioArgs())
    except ZynError as exc:
        _log.warning("report without current prices: {}", exc.message)
        return [], ZERO, None
    return folio.positions, folio.unrealized_pnl, folio.equity


def _curve(store: EquityHistory | None, trades: list[TradeLine], later: Decimal, start: datetime, stop: datetime,
           now: datetime, equity_now: Decimal | None,
           unrealized: Decimal) -> tuple[list[Point], str, datetime | None]:
    """Equity over the period, what it was drawn from (snapshots, fills, or both), and the first snapshot.

    trades: the period's closing fills; later: the P&L realised from the period's start up to now."""
    end = min(stop, now)
    snaps = store.equity_points(start, end) if store is not None else []
    base = equity_now - unrealized if equity_now is not None else None
    if snaps:
        points: list[Point] = []
        source = "snapshots"
        anchor = store.equity_before(start)
        if anchor is not None and anchor[0] < snaps[0][0] and start - anchor[0] <= ANCHOR_MAX_AGE:
            points.append((start, anchor[1]))
        elif snaps[0][0] - start > ANCHOR_MAX_AGE and base is not None:
            # The snapshots begin late (the service was not running): the fills tell the part before.
            points = _rebuilt(trades, later, start, snaps[0][0], base)
            points.append((snaps[0][0], points[-1][1]))
            source = "fills+snapshots"
        points += snaps
        if stop > now and equity_now is not None:  # the live figure ends it (and beats a snapshot of now)
            points = [p for p in points if p[0] < now] + [(now, equity_now)]
        return points, source, snaps[0][0]
    if base is None:
        return [], "none", None
    points = _rebuilt(trades, later, start, stop, base)
    last = points[-1][1]
    if stop > now:  # today's unrealised P&L shows as a last step, now
        return points + [(now, last)] + ([(now, equity_now)] if equity_now != last else []), "fills", None
    return points + [(stop, last)], "fills", None


def _rebuilt(trades: list[TradeLine], later: Decimal, start: datetime, until: datetime,
             base: Decimal) -> list[Point]:
    """Equity from the fills alone, a step at each closing fill in [start, until).

    Equity at t = equity now - unrealised now - P&L realised after t (`later`: realised since start): past
    unrealised swings are unknown, so all of today's unrealised P&L shows at the end.
    """
    points = [(start, base - later)]
    for t in trades:
        if t.at >= until:
            break
        if t.at >= start:
            points.append((t.at, base - later))
            later -= t.pnl
            points.append((t.at, base - later))
    return points


def _states(store: ToolStore | None, now: datetime) -> tuple[bool | None, datetime | None, bool | None]:
    """(kill switch tripped now, when it tripped, autopilot on); None where there is no store."""
    if store is None:
        return None, None, None
    ks = store.get_kill_switch()
    tripped = bool(ks.tripped and ks.day is not None and ks.day >= now.astimezone(UTC).date())
    return tripped, ks.tripped_at if tripped else None, bool(store.get_autopilot_state().enabled)


async def _draw(ctx: ToolContext, r: ReportResult, trades: list[Point]) -> Path:
    """Render the curve in a worker thread (the figure is thread-local), so the event loop stays free."""
    from trading.charts.equity import render_equity_curve

    folder = picture_folder(ctx, "charts")
    stamp = r.generated_at or ctx.clock.now()
    path = folder / f"equity_{r.period}_{r.start:%Y%m%d}_{stamp:%Y%m%d_%H%M%S}.png"
    how = {"snapshots": "equity snapshots", "fills": "realised P&L + unrealised now (no snapshots)",
           "fills+snapshots": "fills, then equity snapshots"}.get(r.curve_source, "no equity data")
    await asyncio.to_thread(
        render_equity_curve, r.curve, path, title=f"Equity · {r.label}",
        subtitle=f"{r.mode.value.upper()} · {r.source} · {how}", start=r.start, end=r.end, quote=r.quote,
        note=None if r.trades else "no trades in this period", trades=trades)
    return path
