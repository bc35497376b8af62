"""Realised P&L of closing fills by average cost (buy fees included), one fill at a time.

`Cost.apply` is the one rule. The database keeps its result per fill (memory/stores/pnl.py), so a report
reads only its window; `closing_pnls` replays it from the first fill (the reference, and the path for an
exchange that keeps no such record). Every step runs in one fixed decimal context, so a stored chain and a
replay from scratch give identical Decimals whatever context the caller is in (the paper simulator's is
wider).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Context, Decimal, localcontext
from typing import Protocol, runtime_checkable

from trading.domain import ZERO, Fill, Side

PNL_CONTEXT = Context(prec=28)  # Python's default context, pinned


@dataclass(frozen=True, slots=True)
class Cost:
    """One symbol's average-cost position after some fills: amount held, its cost basis with buy fees, and
    the P&L realised so far."""

    amount: Decimal = ZERO
    cost: Decimal = ZERO
    realized: Decimal = ZERO

    def apply(self, f: Fill) -> tuple[Cost, Decimal | None]:
        """The position after fill `f`, and f's realised P&L after both legs' fees (None: it closes nothing).

        A sale of coins bought outside the history has no cost basis, so no P&L is claimed for that part.
        """
        with localcontext(PNL_CONTEXT):
            if f.side is Side.BUY:
                return Cost(self.amount + f.amount, self.cost + f.amount * f.price + f.fee, self.realized), None
            matched = min(self.amount, f.amount)
            if matched <= 0:
                return self, None
            avg = self.cost / self.amount
            fee = f.fee if matched == f.amount else f.fee * matched / f.amount
            pnl = (f.price - avg) * matched - fee
            left = self.amount - matched
            return Cost(left, avg * left if left else ZERO, self.realized + pnl), pnl

    @property
    def flat(self) -> bool:
        return self.amount <= 0


def sort_key(f: Fill) -> datetime:
    """Fills replay by time; a stable sort keeps same-instant fills in their recorded order."""
    return f.timestamp


def costed(fills: Iterable[Fill]) -> list[tuple[Fill, Decimal | None]]:
    """Every fill (given oldest first) with its realised P&L (None for buys and sales that close nothing)."""
    held: dict[str, Cost] = {}
    out: list[tuple[Fill, Decimal | None]] = []
    for f in fills:
        held[f.symbol], pnl = held.get(f.symbol, Cost()).apply(f)
        out.append((f, pnl))
    return out


def closing_pnls(fills: Iterable[Fill]) -> list[tuple[Fill, Decimal]]:
    """(closing fill, its realised P&L after both legs' fees), for fills given oldest first."""
    return [(f, pnl) for f, pnl in costed(fills) if pnl is not None]


def pnl_of(fill: Fill, history: Iterable[Fill]) -> Decimal | None:
    """The realised P&L of one sell fill given the symbol's fills NEWEST FIRST (as exchanges return them);
    None if it closes nothing. Fills at the same instant keep the exchange's order (a buy, then its sale)."""
    ordered = sorted(reversed([f for f in history if f.symbol == fill.symbol]), key=sort_key)
    for closing, pnl in closing_pnls(ordered):
        if closing.id == fill.id:
            return pnl
    return None


@dataclass(frozen=True, slots=True)
class WindowFill:
    """A fill with its realised P&L (None: a buy, or a sale closing nothing)."""

    fill: Fill
    pnl: Decimal | None
    opening: bool = False  # a buy made while flat: it opened a position


@dataclass(frozen=True, slots=True)
class FillWindow:
    """The fills with start <= time < stop, oldest first, with their P&L; the P&L realised from start up to
    now (the window and everything after it, what an equity curve rebuilt from fills needs); and, per symbol
    held at start, the buys of that position oldest first (its opening buy first)."""

    fills: list[WindowFill]
    realized_since_start: Decimal
    open_buys: dict[str, list[Fill]] = field(default_factory=dict)

    def closing(self) -> list[tuple[Fill, Decimal]]:
        """The window's closing fills and their P&L."""
        return [(w.fill, w.pnl) for w in self.fills if w.pnl is not None]


def window_of(history: Iterable[Fill], start: datetime | None, stop: datetime | None) -> FillWindow:
    """The window from a full history given NEWEST FIRST (the replay path: every fill is read)."""
    held: dict[str, Cost] = {}
    buys: dict[str, list[Fill]] = {}
    at_start: dict[str, Decimal] = {}  # each symbol's realised P&L just before start
    inside: list[WindowFill] = []
    open_buys: dict[str, list[Fill]] | None = None if start is not None else {}
    for f in sorted(reversed(list(history)), key=sort_key):
        before = held.get(f.symbol, Cost())
        if start is not None and f.timestamp < start:
            held[f.symbol], _ = before.apply(f)
            if f.side is Side.BUY:
                buys[f.symbol] = [*buys.get(f.symbol, []), f] if not before.flat else [f]
            continue
        if open_buys is None:  # the first fill at or after start: the positions held at start
            open_buys = {s: buys[s] for s, c in held.items() if not c.flat}
        at_start.setdefault(f.symbol, before.realized)
        held[f.symbol], pnl = before.apply(f)
        if stop is None or f.timestamp < stop:
            inside.append(WindowFill(f, pnl, opening=f.side is Side.BUY and before.flat))
    if open_buys is None:
        open_buys = {s: buys[s] for s, c in held.items() if not c.flat}
    return FillWindow(inside, realized_between(at_start, {s: c.realized for s, c in held.items()}), open_buys)


def realized_between(at_start: dict[str, Decimal], now: dict[str, Decimal]) -> Decimal:
    """The P&L realised since start: per symbol, its running total now minus its total at start."""
    with localcontext(PNL_CONTEXT):
        return sum((now[s] - at_start[s] for s in sorted(at_start)), ZERO)


@runtime_checkable
class CostedHistory(Protocol):
    """An exchange whose fills carry their stored average-cost P&L, read by window (the paper simulator and
    journaled Kraken on Zyn's database). Without it, callers replay `fetch_my_trades` from the first fill."""

    async def fill_window(self, start: datetime | None, stop: datetime | None) -> FillWindow:
        """The fills with start <= time < stop (all when None), brought up to date first."""
        ...

    async def fill_pnl(self, fill: Fill) -> Decimal | None:
        """The realised P&L of one recorded fill (None: a buy, or a sale that closes nothing)."""
        ...


async def read_window(exchange: object, start: datetime | None, stop: datetime | None) -> FillWindow:
    """The exchange's fills in [start, stop) with their P&L: its stored window when it keeps one, else a
    replay of its whole history (no cap: a shortened history would give a wrong average cost)."""
    if isinstance(exchange, CostedHistory):
        return await exchange.fill_window(start, stop)
    return window_of(await exchange.fetch_my_trades(limit=None), start, stop)  # type: ignore[attr-defined]


@runtime_checkable
class CostLedger(Protocol):
    """A fill store that keeps each fill's P&L (memory's Database): what the exchanges above read."""

    def fill_window(self, start: datetime | None, stop: datetime | None) -> FillWindow: ...

    def costed_fill(self, fill_id: str) -> WindowFill | None: ...


class FillLedger(Protocol):
    def list_fills(self, symbol: str | None = None, limit: int | None = None) -> list[Fill]: ...


def ledger_window(ledger: FillLedger, start: datetime | None, stop: datetime | None) -> FillWindow:
    """A ledger's window: stored when it keeps costs, else replayed from all its fills."""
    if isinstance(ledger, CostLedger):
        return ledger.fill_window(start, stop)
    return window_of(ledger.list_fills(), start, stop)


def ledger_fill_pnl(ledger: FillLedger, fill: Fill) -> Decimal | None:
    """A recorded fill's P&L: one lookup when the ledger keeps costs, else a replay of its symbol."""
    found = ledger.costed_fill(fill.id) if isinstance(ledger, CostLedger) else None
    if found is not None:
        return found.pnl
    return pnl_of(fill, ledger.list_fills(fill.symbol))
