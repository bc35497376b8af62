"""Realised P&L of closing fills, replaying average cost (buy fees included) from the first fill."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from trading.domain import ZERO, Fill, Side


def closing_pnls(fills: Iterable[Fill]) -> list[tuple[Fill, Decimal]]:
    """(closing fill, its realised P&L after both legs' fees), for fills given oldest first.

    A sale of coins bought outside the history has no cost basis, so no P&L is claimed for that part.
    """
    held: dict[str, tuple[Decimal, Decimal]] = {}  # symbol -> (amount, cost basis with fees)
    out: list[tuple[Fill, Decimal]] = []
    for f in fills:
        amount, cost = held.get(f.symbol, (ZERO, ZERO))
        if f.side is Side.BUY:
            held[f.symbol] = (amount + f.amount, cost + f.amount * f.price + f.fee)
            continue
        matched = min(amount, f.amount)
        if matched <= 0:
            continue
        avg = cost / amount
        fee = f.fee if matched == f.amount else f.fee * matched / f.amount
        out.append((f, (f.price - avg) * matched - fee))
        left = amount - matched
        held[f.symbol] = (left, avg * left if left else ZERO)
    return out


def pnl_of(fill: Fill, history: Iterable[Fill]) -> Decimal | None:
    """The realised P&L of one sell fill given the symbol's fills NEWEST FIRST (as exchanges return them);
    None if it closes nothing. Fills at the same instant keep the exchange's order (a buy, then its sale)."""
    ordered = sorted(reversed([f for f in history if f.symbol == fill.symbol]), key=lambda f: f.timestamp)
    for closing, pnl in closing_pnls(ordered):
        if closing.id == fill.id:
            return pnl
    return None
