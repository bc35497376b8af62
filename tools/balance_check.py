"""Balances that check themselves (LIVE): Kraken's answer is compared with what Zyn knows before it is shown.

An empty answer while Zyn's journal has fills or its last good read had money is a contradiction: Zyn says so
and shows the last good figures with their age, never "Equity 0.00" as if it were true. A balance that moved
since the last good read with no fill of that asset recorded is pointed out (a deposit, a withdrawal, or a trade
made outside Zyn). Every consistent read is kept as the next "last good figures".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tools.context import ToolContext
from tools.results import amount_str, asset_amount
from trading.domain import ZERO, Balance, Mode

SOURCE = "balances-read"  # the snapshot source of a consistent read


@dataclass(frozen=True)
class Checked:
    balances: dict[str, Balance]  # what to show: Kraken's answer, or the last good figures when it contradicts
    warning: str = ""  # said above the figures, when there is something to say
    as_of: datetime | None = None  # set when the figures shown are the last good ones, not this read's
    equity: Decimal | None = None  # the last good equity, with as_of


async def checked_balances(ctx: ToolContext) -> Checked:
    """Kraken's balances, checked against the journal and the last good read (PAPER: taken as they are)."""
    balances = await ctx.exchange.fetch_balances()
    if ctx.mode is not Mode.LIVE or ctx.store is None:
        return Checked(balances)
    history = ctx.store
    now = ctx.clock.now()
    last = next((s for s in history.list_balance_snapshots(limit=20)
                 if any(b.total > 0 for b in s.balances.values())), None)
    if not any(b.total > 0 for b in balances.values()):
        fills = history.list_fills(limit=1)
        if last is None and not fills:
            return Checked(balances)  # a new, empty account: nothing contradicts it
        seen = (f"at {last.timestamp:%Y-%m-%d %H:%M} UTC Kraken reported "
                + ", ".join(f"{a} {asset_amount(a, b.total)}" for a, b in sorted(last.balances.items()) if b.total > 0)
                if last is not None else f"Zyn's journal has fills (the newest {fills[0].timestamp:%Y-%m-%d %H:%M} UTC)")
        if last is None:
            return Checked(balances, warning=f"Kraken returned EMPTY balances, but {seen}: this looks like a Kraken "
                                             "error, not your account; no earlier figures to show. Try again shortly.")
        age = _age(now, last.timestamp)
        return Checked(last.balances, as_of=last.timestamp, equity=last.equity_quote,
                       warning=f"Kraken returned EMPTY balances, but {seen}: this looks like a Kraken error, not your "
                               f"account. Showing the last good figures ({age} old); try again shortly.")
    return Checked(balances, warning=_moved(ctx, balances, last) if last is not None else "")


def remember(ctx: ToolContext, checked: Checked, equity: Decimal | None) -> None:
    """Keep a consistent LIVE read (with its equity, when known) as the next "last good figures"."""
    if ctx.mode is Mode.LIVE and ctx.store is not None and checked.as_of is None and \
            any(b.total > 0 for b in checked.balances.values()):
        ctx.store.record_balance_snapshot(checked.balances, ctx.clock.now(), equity, SOURCE)


def _moved(ctx: ToolContext, balances: dict[str, Balance], last: object) -> str:
    """Assets whose balance changed since the last good read with no fill of theirs recorded since."""
    fills = [f for f in ctx.store.list_fills(limit=500) if f.timestamp >= last.timestamp]
    traded = {part for f in fills for part in f.symbol.split("/")}
    moved = []
    for asset in sorted(set(balances) | set(last.balances)):
        now_total = balances[asset].total if asset in balances else ZERO
        before = last.balances[asset].total if asset in last.balances else ZERO
        if now_total != before and asset not in traded:
            moved.append(f"{asset} {amount_str(before)} -> {amount_str(now_total)}")
    if not moved:
        return ""
    return (f"Balance changed with no fill recorded since {last.timestamp:%H:%M} UTC: {', '.join(moved)} "
            "(a deposit, a withdrawal, or a trade made outside Zyn?).")


def _age(now: datetime, at: datetime) -> str:
    seconds = max(0, int((now - at).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    return f"{seconds // 60} min" if seconds < 7200 else f"{seconds // 3600} h"

