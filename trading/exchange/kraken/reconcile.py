"""The LIVE journal made complete: Kraken's trade and order history over a window, compared with the journal.

The routine sync (JournaledKraken.sync_fills) reads only from the newest journaled fill on, so a trade that
reached Kraken's history late, or while a newer one was already journaled, would never be copied. The
reconciler reads the whole window (TradesHistory and ClosedOrders, paged, plus the open orders) and:

- imports every trade the journal lacks (by trade id: a second run imports nothing), with its order's source,
  or "reconciler" when Zyn has no record of the order, and every closed order the journal lacks;
- brings journaled orders up to what Kraken says (status, filled amount), reporting each change;
- reports, without touching them, fills whose amount, price, fee or side differ from Kraken's, journaled
  fills Kraken does not list, and journaled orders Kraken does not know.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loguru import logger

from trading.attribution import RECONCILER
from trading.clock import to_ms
from trading.domain import Fill, Order
from trading.errors import OrderNotFoundError
from trading.exchange.kraken import convert as conv

if TYPE_CHECKING:
    from trading.exchange.kraken.journal import JournaledKraken

_log = logger.bind(component="reconcile")
PAGE = 50  # Kraken's TradesHistory and ClosedOrders pages
MAX_PAGES = 200  # per list and run: 10,000 trades; beyond that the report says the window was too long
MAX_LOOKUPS = 50  # journaled orders missing from both lists that are asked for one by one (QueryOrders)


@dataclass(frozen=True)
class Difference:
    """One thing the journal and Kraken disagree on."""

    kind: str  # fill-differs | fill-not-on-kraken | order-updated | order-unknown-to-kraken | truncated
    ref: str  # the trade or order id
    detail: str


@dataclass(frozen=True)
class ReconcileReport:
    since: datetime
    until: datetime
    kraken_trades: int
    kraken_orders: int  # closed in the window, and open now
    imported: list[Fill] = field(default_factory=list)
    orders_imported: list[Order] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Nothing was missing and nothing differs."""
        return not (self.imported or self.orders_imported or self.differences)


async def reconcile(ex: JournaledKraken, since: datetime) -> ReconcileReport:
    """Compare Kraken's history since `since` with the journal; import what is missing, report the rest."""
    journal: Any = ex.journal
    until = ex._clock.now()
    async with ex._sync_lock:  # not at the same time as a routine sync: both write the same fills
        trade_rows, trades_cut = await _pages(ex, "fetch_my_trades", since)
        order_rows, orders_cut = await _pages(ex, "fetch_closed_orders", since)
        open_rows = await ex._call("fetch_open_orders", None)
        differences = [Difference("truncated", what, f"more than {MAX_PAGES * PAGE} {what} in the window: "
                                                     "the oldest were not compared; reconcile a shorter window")
                       for what, cut in (("trades", trades_cut), ("orders", orders_cut)) if cut]
        closed = [o for o in map(ex._order, order_rows) if o.id and max(o.created_at, o.updated_at) >= since]
        kraken_orders = {o.id: o for o in [*closed, *map(ex._order, open_rows)] if o.id}
        mine = {o.id: o for o in journal.list_orders()}
        orders_imported = _orders(journal, kraken_orders, mine, differences)
        await _unknown_orders(ex, journal, kraken_orders, mine, since, differences)
        kraken_fills = {f.id: f for f in (conv.fill_from_ccxt(r, client_id=ex._client_ids.get(r.get("order") or "", ""))
                                          for r in trade_rows) if f.id and f.timestamp >= since}
        known = {f.id: f for f in journal.list_fills()}
        missing = [f for fid, f in kraken_fills.items() if fid not in known]
        imported = journal.record_fills(missing, fallback_source=RECONCILER)
        for fid, fill in kraken_fills.items():
            if fid in known and (text := _fill_difference(known[fid], fill)):
                differences.append(Difference("fill-differs", fid, text))
        for fid, fill in known.items():
            if fill.timestamp >= since and fid not in kraken_fills and not trades_cut:
                differences.append(Difference("fill-not-on-kraken", fid, f"journaled {_fill_text(fill)}; Kraken's "
                                                                         "trade history has no such trade"))
    report = ReconcileReport(since, until, len(kraken_fills), len(kraken_orders), imported, orders_imported,
                             differences)
    _log.info("reconciled since {}: {} trade(s) and {} order(s) imported, {} difference(s)", since,
              len(imported), len(orders_imported), len(differences))
    return report


async def _pages(ex: JournaledKraken, method: str, since: datetime) -> tuple[list[dict[str, Any]], bool]:
    """Every row of a paged history since `since` (newest first), and whether MAX_PAGES cut it short."""
    rows: list[dict[str, Any]] = []
    for page in range(MAX_PAGES):
        params = {"ofs": page * PAGE} if page else {}
        got = await ex._call(method, None, to_ms(since), None, params)
        rows.extend(got)
        if len(got) < PAGE:
            return rows, False
    return rows, True


def _orders(journal: Any, kraken: dict[str, Order], mine: dict[str, Order],
            differences: list[Difference]) -> list[Order]:
    """Journal Kraken's orders the journal lacks (by id) and bring journaled ones up to Kraken's state."""
    missing = [order for oid, order in kraken.items() if oid not in mine]
    journal.record_orders(missing, fallback_source=RECONCILER)  # one transaction; a known bracket's keep its source
    for oid, order in kraken.items():
        known = mine.get(oid)
        if known is None:
            continue
        changes = [f"{name} {old} -> {new}" for name, old, new in (
            ("status", known.status.value, order.status.value), ("filled", known.filled, order.filled)) if old != new]
        if changes:
            journal.record_order(order)
            differences.append(Difference("order-updated", oid, f"{order.side.value} {order.amount} {order.symbol}: "
                                                                + ", ".join(changes) + " (now as Kraken says)"))
    if not missing:
        return []
    stored = {o.id: o for o in journal.list_orders()}  # as recorded: with the source each one was given
    return [stored.get(o.id, o) for o in missing]


async def _unknown_orders(ex: JournaledKraken, journal: Any, kraken: dict[str, Order], mine: dict[str, Order],
                          since: datetime, differences: list[Difference]) -> None:
    """Journaled orders of the window in neither of Kraken's lists: asked for one by one; unknown ones reported."""
    absent = [o for o in mine.values() if o.created_at >= since and o.id and o.id not in kraken]
    for order in absent[:MAX_LOOKUPS]:
        try:
            found = await ex.fetch_order(order.id)
        except OrderNotFoundError:
            differences.append(Difference("order-unknown-to-kraken", order.id,
                                          f"journaled {order.side.value} {order.amount} {order.symbol} "
                                          f"({order.status.value}, {order.created_at:%Y-%m-%d %H:%M} UTC); Kraken "
                                          "does not know this order"))
            continue
        kraken[found.id] = found
        _orders(journal, {found.id: found}, mine, differences)
    if len(absent) > MAX_LOOKUPS:
        differences.append(Difference("truncated", "orders", f"{len(absent) - MAX_LOOKUPS} more journaled orders "
                                                             "missing from Kraken's lists were not looked up"))


def _fill_difference(mine: Fill, kraken: Fill) -> str:
    diffs = [f"{name} {a} (journal) vs {b} (Kraken)" for name, a, b in (
        ("side", mine.side.value, kraken.side.value), ("amount", mine.amount, kraken.amount),
        ("price", mine.price, kraken.price), ("fee", mine.fee, kraken.fee)) if a != b]
    return f"{kraken.symbol} {kraken.timestamp:%Y-%m-%d %H:%M}: " + ", ".join(diffs) if diffs else ""


def _fill_text(f: Fill) -> str:
    return f"{f.side.value} {f.amount} {f.symbol} @ {f.price} at {f.timestamp:%Y-%m-%d %H:%M} UTC"
