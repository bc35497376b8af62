"""Who placed each order, and how a closed trade's realised P&L splits by source and by strategy.

An order's source is set where it is placed and copied to its fills (and to a bracket's legs). Its first
part is the kind, which the reports group by; the rest says who:

  "autopilot"           the autopilot (its strategy is in the strategy column)
  "chat:telegram:42"    a chat turn (the language model or the offline engine): front end and person
  "command:discord:7"   a slash command or a button
  "web:owner"           the web dashboard
  "cli"                 the terminal (`zyn order ...`)
  "reconciler"          a fill `zyn reconcile` imported whose order Zyn has no record of
  "kill-switch"         the daily-loss kill switch's flatten
  "self-test"           `zyn self-test`'s order

None means not recorded: rows written before attribution existed, or an order placed outside Zyn (kraken.com)
whose fills the sync copied. The reports say "unrecorded" rather than guess.

A closed trade belongs to the source and strategy of the buy that opened the position it closes (an autopilot
trade closed by its stop, or by the owner's sale, is the autopilot's). Its R is its net P&L (both legs' fees)
over its initial risk: the amount closed times (entry price - the stop at entry), where the entry had a stop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from trading.domain import ZERO, Fill, Side
from trading.pnl import FillWindow, closing_pnls

AUTOPILOT = "autopilot"
RECONCILER = "reconciler"
KILL_SWITCH = "kill-switch"
SELF_TEST = "self-test"
CLI = "cli"
UNRECORDED = "unrecorded"  # the report's label for a trade whose opening order recorded no source
NO_STRATEGY = "no strategy"  # the report's label for a trade no strategy opened (a person's, or unrecorded)


def source_kind(source: str | None) -> str:
    """The group a source is reported under: its first part ("chat:telegram:42" -> "chat")."""
    return source.split(":", 1)[0] if source else UNRECORDED


@dataclass(frozen=True)
class ClosedTrade:
    """One closing sell: its realised P&L, who opened the position it closes, and its initial risk."""

    fill: Fill
    pnl: Decimal
    source: str  # the opening buy's source, in full ("chat:telegram:42"), or UNRECORDED
    strategy: str  # the opening buy's strategy, or NO_STRATEGY
    risk: Decimal | None  # amount closed x (entry price - stop at entry); None where no stop was known

    @property
    def kind(self) -> str:
        return source_kind(None if self.source == UNRECORDED else self.source)

    @property
    def r(self) -> Decimal | None:
        """Net P&L in units of the initial risk; None without a known stop."""
        return self.pnl / self.risk if self.risk else None


@dataclass
class _Open:
    """The position being built: who opened it, how much is held, and its total initial risk (None: unknown)."""

    source: str
    strategy: str
    held: Decimal = ZERO
    risk: Decimal | None = ZERO


def closed_trades(fills: Iterable[Fill], stops: Mapping[str, Decimal] | None = None,
                  strategies: Mapping[str, str] | None = None) -> list[ClosedTrade]:
    """Every closing sell of `fills` (oldest first), attributed to the buy that opened its position.

    stops: order id -> the protective stop its entry had (a bracket's stop), for the initial risk.
    strategies: order id -> strategy, for rows that recorded none (the evaluation log of older databases).
    """
    ordered = list(fills)
    pnl_of = {f.id: pnl for f, pnl in closing_pnls(ordered)}
    return _attribute([(f, pnl_of.get(f.id)) for f in ordered], stops or {}, strategies or {})


def window_trades(window: FillWindow, stops: Mapping[str, Decimal] | None = None,
                  strategies: Mapping[str, str] | None = None) -> list[ClosedTrade]:
    """The closing sells of a stored window (trading.pnl.read_window: each fill with the P&L the database keeps),
    attributed like closed_trades: a position held at the window's start belongs to the buy that opened it
    (the window carries that position's buys), so no fill before the window has to be replayed.

    A position partly sold before the window counts its buys in full for the initial risk's share, so the R of
    such a trade is approximate; its P&L is the stored, exact one.
    """
    seeds = [(f, None) for buys in window.open_buys.values() for f in buys]
    return _attribute(seeds + [(w.fill, w.pnl) for w in window.fills], stops or {}, strategies or {})


def _attribute(fills: list[tuple[Fill, Decimal | None]], stops: Mapping[str, Decimal],
               strategies: Mapping[str, str]) -> list[ClosedTrade]:
    book: dict[str, _Open] = {}
    out: list[ClosedTrade] = []
    for f, pnl in fills:
        pos = book.get(f.symbol)
        if f.side is Side.BUY:
            if pos is None or pos.held <= 0:
                strategy = f.strategy or strategies.get(f.order_id) or NO_STRATEGY
                pos = book[f.symbol] = _Open(f.source or UNRECORDED, strategy)
            stop = stops.get(f.order_id)
            if pos.risk is not None and stop is not None and stop < f.price:
                pos.risk += f.amount * (f.price - stop)
            else:
                pos.risk = None  # one part without a known stop: the trade's risk is unknown
            pos.held += f.amount
            continue
        if pos is None or pos.held <= 0:
            continue  # a sale of coins bought outside the history: no P&L is claimed (trading.pnl)
        matched = min(pos.held, f.amount)
        share = None if pos.risk is None else pos.risk * matched / pos.held
        if pnl is not None:
            out.append(ClosedTrade(f, pnl, pos.source, pos.strategy, share))
        if pos.risk is not None and share is not None:
            pos.risk -= share
        pos.held -= matched
    return out


@dataclass(frozen=True)
class Breakdown:
    """Closed trades summed: the total, its parts by source kind and by strategy (they add up to the total
    exactly: each trade is in one part of each), wins, profit factor and average R."""

    total: Decimal = ZERO
    trades: int = 0
    wins: int = 0
    gross_win: Decimal = ZERO
    gross_loss: Decimal = ZERO  # positive: the losing trades' losses
    by_source: dict[str, Decimal] = field(default_factory=dict)
    by_strategy: dict[str, Decimal] = field(default_factory=dict)
    r_total: Decimal = ZERO
    r_trades: int = 0  # trades whose initial risk is known

    @property
    def win_rate(self) -> Decimal | None:
        return Decimal(self.wins) / self.trades if self.trades else None

    @property
    def profit_factor(self) -> Decimal | None:
        """Gross wins / gross losses; None without a losing trade (see profit_factor_text)."""
        return self.gross_win / self.gross_loss if self.gross_loss else None

    @property
    def average_r(self) -> Decimal | None:
        """The mean R of the trades with a known stop at entry; None when none had one."""
        return self.r_total / self.r_trades if self.r_trades else None


def breakdown(trades: Iterable[ClosedTrade]) -> Breakdown:
    """Sum closed trades into a Breakdown."""
    total = gross_win = gross_loss = r_total = ZERO
    n = wins = r_n = 0
    by_source: dict[str, Decimal] = {}
    by_strategy: dict[str, Decimal] = {}
    for t in trades:
        n += 1
        total += t.pnl
        if t.pnl > 0:
            wins += 1
            gross_win += t.pnl
        elif t.pnl < 0:
            gross_loss -= t.pnl
        by_source[t.kind] = by_source.get(t.kind, ZERO) + t.pnl
        by_strategy[t.strategy] = by_strategy.get(t.strategy, ZERO) + t.pnl
        r = t.r
        if r is not None:
            r_total += r
            r_n += 1
    return Breakdown(total, n, wins, gross_win, gross_loss, by_source, by_strategy, r_total, r_n)
