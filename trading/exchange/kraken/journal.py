"""LIVE Kraken with a journal: brackets and fills are kept in the mode's database, the reports' source.

KrakenExchange stays the thin adapter; this subclass adds what LIVE needs beyond Kraken's own memory:

- create_bracket records the bracket before its entry is sent (write-ahead, keyed by the entry's client
  id), so a crash between Kraken's answer and our bookkeeping leaves no bracket unmanaged;
- fetch_my_trades copies Kraken's new trades into the journal and answers from the journal, as the paper
  simulator answers from its ledger (Kraken's history pages hold 50 trades; the journal keeps them all);
- open_orders_with_parents exposes Kraken's refid, which links a conditional close to its entry;
- bracket_reconciler gives the LiveBrackets that keep its brackets whole (ReconciledBrackets in base).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from loguru import logger

from trading.clock import Clock, to_ms
from trading.domain import Bracket, BracketRequest, BracketStatus, Fill, Order, OrderRequest, OrderType
from trading.errors import TransientError, ZynError
from trading.exchange.kraken import convert as conv
from trading.exchange.kraken.brackets import LiveBrackets
from trading.exchange.kraken.client import KrakenExchange, _check_bracket, _check_order
from trading.exchange.kraken.reconcile import ReconcileReport, reconcile
from trading.pnl import FillWindow, ledger_fill_pnl, ledger_window

_log = logger.bind(component="kraken")
PAGE = 50  # Kraken's TradesHistory page
MAX_PAGES = 20  # per sync: a first sync of a long history imports its newest 1,000 trades
OVERLAP = timedelta(minutes=5)  # re-read this much before the newest journaled fill (late trades)


class LiveJournal(Protocol):
    """Where LIVE orders, fills and brackets are kept (memory's Database implements it)."""

    def record_order(self, order: Order) -> None: ...

    def get_order(self, order_id: str) -> Order | None: ...

    def record_orders(self, orders: Iterable[Order], fallback_source: str | None = None) -> None: ...

    def list_orders(self) -> list[Order]: ...

    def record_fills(self, fills: Iterable[Fill], fallback_source: str | None = None) -> list[Fill]: ...

    def list_fills(self, symbol: str | None = None, limit: int | None = None) -> list[Fill]: ...

    def save_bracket(self, bracket: Bracket) -> None: ...

    def get_bracket(self, bracket_id: str) -> Bracket | None: ...

    def list_brackets(self, symbol: str | None = None, active_only: bool = False) -> list[Bracket]: ...


class JournaledKraken(KrakenExchange):
    """The LIVE Kraken account whose brackets and fills are journaled (see the module docstring)."""

    def __init__(self, api_key: str | None, api_secret: str | None, *, journal: LiveJournal, **kwargs: Any) -> None:
        super().__init__(api_key, api_secret, **kwargs)
        self.journal = journal
        self._sync_lock = asyncio.Lock()

    def bracket_reconciler(self, clock: Clock) -> LiveBrackets:
        """The reconciler that places, adopts and cancels this account's bracket legs."""
        return LiveBrackets(self, clock)

    async def create_bracket(self, request: BracketRequest) -> Bracket:
        """Journal the bracket, then place its entry (with the conditional stop); the reconciler does the rest."""
        market = await self.market(request.symbol)
        entry = OrderRequest(symbol=market.symbol, side=request.side, amount=request.amount,
                             client_id=request.client_id, price=request.entry_price, post_only=request.post_only,
                             type=OrderType.LIMIT if request.entry_price is not None else OrderType.MARKET)
        _check_order(entry, market)  # local refusals first: they must leave no journal row behind
        _check_bracket(request, market)
        now = self._clock.now()
        pending = Bracket(id=request.client_id, symbol=market.symbol, side=request.side, entry_order_id="",
                          stop_order_id=None, take_profit_order_id=None, status=BracketStatus.PENDING_ENTRY,
                          created_at=now, stop_price=request.stop_price,
                          take_profit_price=request.take_profit_price, note="entry being sent", updated_at=now,
                          source=request.source, strategy=request.strategy)  # who placed it: kept from here on
        self.journal.save_bracket(pending)  # if this fails, nothing is sent
        try:
            bracket = await super().create_bracket(request)
        except TransientError as exc:  # the outcome is unknown: the reconciler finds the entry by client id
            self.journal.save_bracket(pending.evolve(note=f"entry outcome unknown: {exc.message}"[:500]))
            raise
        except ZynError as exc:
            self.journal.save_bracket(pending.evolve(status=BracketStatus.CANCELED, exit_kind="entry-refused",
                                                     note=exc.message[:500], updated_at=self._clock.now()))
            raise
        bracket = bracket.evolve(source=request.source, strategy=request.strategy)
        self.journal.save_bracket(bracket.evolve(note="entry placed", updated_at=self._clock.now()))
        _log.bind(component="brackets").info("bracket {} journaled: entry {} {} {}, stop {}, target {}", bracket.id,
                                             bracket.entry_order_id, request.amount, bracket.symbol,
                                             bracket.stop_price, bracket.take_profit_price)
        return bracket

    async def create_order(self, request: OrderRequest) -> Order:
        """Place an order and journal it at once with who placed it (Kraken's own record says nothing of that)."""
        order = await super().create_order(request)
        if request.validate_only or not order.id:
            return order
        order = order.evolve(source=request.source, strategy=request.strategy)
        self.journal.record_order(order)
        return order

    async def fetch_my_trades(self, symbol: str | None = None, limit: int | None = None) -> list[Fill]:
        """Our fills, newest first, from the journal once Kraken's new trades are copied into it."""
        sym = (await self.market(symbol)).symbol if symbol else None
        await self.sync_fills()
        return self.journal.list_fills(sym, limit)

    async def fill_window(self, start: datetime | None, stop: datetime | None) -> FillWindow:
        """Journaled fills in [start, stop) with their P&L (trading.pnl.CostedHistory), Kraken's new ones first."""
        await self.sync_fills()
        return ledger_window(self.journal, start, stop)

    async def fill_pnl(self, fill: Fill) -> Decimal | None:
        """A journaled fill's realised P&L, from the journal alone (no Kraken call)."""
        return ledger_fill_pnl(self.journal, fill)

    async def sync_fills(self) -> list[Fill]:
        """Copy the trades Kraken reports since the newest journaled fill into the journal; the new ones."""
        async with self._sync_lock:
            newest = self.journal.list_fills(limit=1)
            since = to_ms(newest[0].timestamp - OVERLAP) if newest else None
            found: dict[str, Fill] = {}
            for page in range(MAX_PAGES):
                params = {"ofs": page * PAGE} if page else {}
                rows = await self._call("fetch_my_trades", None, since, None, params)
                for row in rows:
                    fill = conv.fill_from_ccxt(row, client_id=self._client_ids.get(row.get("order") or "", ""))
                    found[fill.id] = fill
                if len(rows) < PAGE:
                    break
            else:
                _log.warning("more than {} new trades on Kraken: older ones are not journaled", MAX_PAGES * PAGE)
            new = self.journal.record_fills(found.values())
            if new:
                _log.info("journaled {} new fill(s)", len(new))
            return new

    async def open_orders_with_parents(self) -> list[tuple[Order, str | None]]:
        """Every open order with the txid of the order that opened it (Kraken's refid), if any."""
        out = []
        for row in await self._call("fetch_open_orders", None):
            parent = (row.get("info") or {}).get("refid")
            out.append((self._order(row), str(parent) if parent else None))
        return out

    async def reconcile(self, since: datetime) -> ReconcileReport:
        """Kraken's trades and orders since `since` against the journal: the missing imported, the rest reported
        (trading.exchange.kraken.reconcile); a second run imports nothing."""
        return await reconcile(self, since)
