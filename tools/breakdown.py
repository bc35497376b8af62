"""The closed trades of the ledger with who opened them and their initial risk, for the report tools.

The rule (trading.attribution): a trade belongs to the source and strategy of the buy that opened its position;
its R is its net P&L over amount x (entry price - the bracket's stop at entry). The parts by source and by
strategy add up to the total exactly (Decimal sums of the same trades).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tools.context import ToolContext
from tools.results import money
from trading.attribution import Breakdown, ClosedTrade, window_trades
from trading.domain import Fill, Side
from trading.pnl import FillWindow


def attributed_trades(ctx: ToolContext, window: FillWindow) -> list[ClosedTrade]:
    """Every closing sell of a stored window (trading.pnl.read_window) with its source, strategy and initial
    risk; only the window's own buys (and those of the positions it starts with) are looked up."""
    store: Any = ctx.store
    buys = [f for f in _buys(window) if f.side is Side.BUY]
    stops: dict[str, Decimal] = {}
    if store is not None and hasattr(store, "list_brackets") and buys:
        wanted = {f.order_id for f in buys}
        stops = {b.entry_order_id: b.stop_price for b in store.list_brackets()
                 if b.entry_order_id in wanted and b.stop_price is not None}
    legacy: dict[str, str] = {}
    unnamed = [f.order_id for f in buys if f.strategy is None]
    if store is not None and unnamed and hasattr(store, "entry_strategies"):
        # Rows from before attribution: the strategy of an autopilot entry is in the evaluation log.
        legacy = store.entry_strategies(unnamed)
    return window_trades(window, stops, legacy)


def _buys(window: FillWindow) -> list[Fill]:
    return [f for fs in window.open_buys.values() for f in fs] + [w.fill for w in window.fills]


def profit_factor_text(b: Breakdown) -> str:
    if not b.trades:
        return "n/a"
    pf = b.profit_factor
    return f"{pf:.2f}" if pf is not None else ("∞ (no loss)" if b.gross_win else "n/a")


def average_r_text(b: Breakdown, *, short: bool = False) -> str:
    """e.g. "+0.42 R (3 of 5 trades had a known stop)", or "n/a (no trade had a known stop at entry)";
    short (a phone line): "+0.42 (3/5)", "n/a"."""
    r = b.average_r
    if r is None:
        return "n/a (no trade had a known stop at entry)" if b.trades and not short else "n/a"
    if short:
        return f"{r:+.2f}" + ("" if b.r_trades == b.trades else f" ({b.r_trades}/{b.trades})")
    part = "" if b.r_trades == b.trades else f" ({b.r_trades} of {b.trades} trades had a known stop)"
    return f"{r:+.2f} R{part}"


def parts(values: dict[str, Decimal]) -> list[tuple[str, str]]:
    """(name, signed amount) of each part, largest first."""
    return [(k, _signed(v)) for k, v in sorted(values.items(), key=lambda kv: (-abs(kv[1]), kv[0]))]


def parts_text(values: dict[str, Decimal]) -> str:
    """ "autopilot +12.00, chat -3.50", largest first."""
    return ", ".join(f"{k} {v}" for k, v in parts(values))


def _signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + money(value)
