"""The Database: the paper ledger and the LIVE journal, each call one short session."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, or_
from sqlmodel import Session, SQLModel, select

from memory.convert import (
    BalanceSnapshot,
    bracket_from_row,
    bracket_values,
    fill_from_row,
    fill_values,
    order_from_row,
    order_values,
    position_from_row,
    position_values,
)
from memory.stores.attribution import fill_sources, keep_bracket_sources, keep_order_sources
from memory.stores.pnl import advance_costs
from memory.tables.ledger import (
    BalanceSnapshotRow,
    BracketRow,
    FillRow,
    OrderRow,
    PaperBalanceRow,
    PositionRow,
)
from trading.domain import Balance, Bracket, BracketStatus, Fill, Mode, Order, OrderStatus, Position
from trading.exchange.paper.ledger import PaperChange, PaperSnapshot

_ACTIVE_ORDERS = (OrderStatus.PENDING.value, OrderStatus.OPEN.value)
_ACTIVE_BRACKETS = (BracketStatus.PENDING_ENTRY.value, BracketStatus.ACTIVE.value)


class Database:
    """One mode's database. Implements trading.exchange.paper.ledger.PaperLedger and the tools' Journal."""

    def __init__(self, engine: Engine, mode: Mode) -> None:
        self._engine = engine
        self._writer = engine.execution_options(zyn_write=True)
        self._mode = mode

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def url(self) -> str:
        """The database URL with any password masked (safe to show and log)."""
        return self._engine.url.render_as_string(hide_password=True)

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None for an in-memory or non-SQLite database."""
        url = self._engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database)
        return None

    @property
    def engine(self) -> Engine:
        """For other memory modules that add their own tables."""
        return self._engine

    def session(self, *, write: bool = False) -> Session:
        """A short session; write=True takes the write lock at BEGIN (SQLite)."""
        return Session(self._writer if write else self._engine, expire_on_commit=False)

    def close(self) -> None:
        """Close every pooled connection (SQLite then checkpoints and removes its WAL file)."""
        self._engine.dispose()

    # ---- the paper ledger -------------------------------------------------------------------------

    def load_paper(self) -> PaperSnapshot | None:
        """The persisted paper account, or None if it was never funded."""
        with self.session() as s:
            balances = {r.asset: r.total for r in s.exec(select(PaperBalanceRow))}
            if not balances:
                return None
            orders = s.exec(select(OrderRow).where(OrderRow.status.in_(_ACTIVE_ORDERS))
                            .order_by(OrderRow.created_at, OrderRow.seq))
            positions = s.exec(select(PositionRow))
            brackets = s.exec(select(BracketRow).where(BracketRow.status.in_(_ACTIVE_BRACKETS))
                              .order_by(BracketRow.created_at))
            return PaperSnapshot(
                balances=balances,
                active_orders=[order_from_row(r) for r in orders],
                positions={r.symbol: position_from_row(r) for r in positions},
                active_brackets=[bracket_from_row(r) for r in brackets],
            )

    def commit_paper(self, change: PaperChange) -> None:
        """Apply one simulator step in a single transaction (all or nothing)."""
        if change.empty():
            return
        with self.session(write=True) as s, s.no_autoflush:
            _upsert_many(s, PaperBalanceRow, PaperBalanceRow.asset,
                         {a: {"asset": a, "total": t} for a, t in change.balances.items()})
            written = self._put_orders(s, change.orders) if change.orders else {}
            if change.fills:
                _insert_fills(s, fill_sources(s, change.fills, written=written))
            _upsert_many(s, PositionRow, PositionRow.symbol, {p.symbol: position_values(p) for p in change.positions})
            _upsert_many(s, BracketRow, BracketRow.id, _kept(s, {b.id: bracket_values(b) for b in change.brackets}))
            s.commit()

    def list_orders(
        self, symbol: str | None = None, statuses: tuple[OrderStatus, ...] | None = None, limit: int | None = None
    ) -> list[Order]:
        """Orders newest first, filtered by symbol and status."""
        query = select(OrderRow)
        if symbol is not None:
            query = query.where(OrderRow.symbol == symbol)
        if statuses is not None:
            query = query.where(OrderRow.status.in_([OrderStatus(st).value for st in statuses]))
        query = query.order_by(OrderRow.created_at.desc(), OrderRow.seq.desc())
        if limit is not None:
            query = query.limit(limit)
        with self.session() as s:
            return [order_from_row(r) for r in s.exec(query)]

    def get_order(self, order_id: str) -> Order | None:
        """One order by id or client id."""
        with self.session() as s:
            found = list(s.exec(select(OrderRow).where(or_(OrderRow.id == order_id, OrderRow.client_id == order_id))))
        if not found:
            return None
        row = next((r for r in found if r.id == order_id), found[0])  # an id beats a client id
        return order_from_row(row)

    def list_fills(self, symbol: str | None = None, limit: int | None = None) -> list[Fill]:
        """Fills newest first."""
        query = select(FillRow)
        if symbol is not None:
            query = query.where(FillRow.symbol == symbol)
        query = query.order_by(FillRow.timestamp.desc(), FillRow.seq.desc())
        if limit is not None:
            query = query.limit(limit)
        with self.session() as s:
            return [fill_from_row(r) for r in s.exec(query)]

    def list_positions(self) -> dict[str, Position]:
        """Every position row (flat ones keep their realised P&L)."""
        with self.session() as s:
            return {r.symbol: position_from_row(r) for r in s.exec(select(PositionRow))}

    def list_brackets(self, symbol: str | None = None, active_only: bool = False) -> list[Bracket]:
        """Brackets newest first."""
        query = select(BracketRow)
        if symbol is not None:
            query = query.where(BracketRow.symbol == symbol)
        if active_only:
            query = query.where(BracketRow.status.in_(_ACTIVE_BRACKETS))
        with self.session() as s:
            return [bracket_from_row(r) for r in s.exec(query.order_by(BracketRow.created_at.desc()))]

    def get_bracket(self, bracket_id: str) -> Bracket | None:
        """One bracket by id."""
        with self.session() as s:
            row = s.get(BracketRow, bracket_id)
            return bracket_from_row(row) if row is not None else None

    # ---- the LIVE journal -------------------------------------------------------------------------

    def record_order(self, order: Order) -> None:
        """Insert or update an order by its id; an update without a bracket link keeps the known one."""
        with self.session(write=True) as s:
            row = s.get(OrderRow, order.id)
            if order.bracket_id is None and row is not None and row.bracket_id:
                order = replace(order, bracket_id=row.bracket_id)  # Kraken knows nothing of our brackets
            if not order.client_id:
                # Orders placed outside Zyn (Kraken's conditional closes, kraken.com) have no client id,
                # and the column is unique: such an order is journaled under its exchange id.
                order = replace(order, client_id=order.id)
            self._put_orders(s, [order])
            s.commit()

    def record_orders(self, orders: Iterable[Order], fallback_source: str | None = None) -> None:
        """Insert or update orders in one transaction (the reconciler's import); an order without a source keeps
        its recorded one or its bracket's (memory.stores.attribution), else takes `fallback_source`."""
        orders = [o if o.client_id else replace(o, client_id=o.id) for o in orders]  # as record_order does
        if orders:
            with self.session(write=True) as s:
                self._put_orders(s, orders, fallback_source)
                s.commit()

    def record_fill(self, fill: Fill) -> bool:
        """Insert a fill unless one with its id exists; True when it was new (idempotent)."""
        return bool(self.record_fills([fill]))

    def record_fills(self, fills: Iterable[Fill], fallback_source: str | None = None) -> list[Fill]:
        """Insert, in one transaction, the fills whose ids are not journaled yet; returns those, oldest first.

        A fill without a source takes its order's (memory.stores.attribution), else `fallback_source`."""
        unique = {f.id: f for f in fills if f.id}
        if not unique:
            return []
        with self.session(write=True) as s:
            ids = list(unique)
            known: set[str] = set()
            for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
                known.update(s.exec(select(FillRow.id).where(FillRow.id.in_(ids[start:start + 500]))))
            new = sorted((f for f in unique.values() if f.id not in known), key=lambda f: f.timestamp)
            anonymous = {f.order_id for f in new if not f.client_id}
            if anonymous:  # Kraken's trades carry no client id: take the journaled order's, when there is one
                rows = s.exec(select(OrderRow.id, OrderRow.client_id).where(OrderRow.id.in_(list(anonymous))))
                ids_of = {oid: cid for oid, cid in rows if cid != oid}  # not the stand-in id of record_order
                new = [replace(f, client_id=ids_of.get(f.order_id, "")) if not f.client_id else f for f in new]
            new = fill_sources(s, new, fallback_source)
            if new:
                _insert_fills(s, new)
            s.commit()
        return new

    def save_bracket(self, bracket: Bracket) -> None:
        """Insert or update a bracket by its id (the LIVE bracket journal)."""
        with self.session(write=True) as s:
            _upsert_many(s, BracketRow, BracketRow.id, _kept(s, {bracket.id: bracket_values(bracket)}))
            s.commit()

    def record_balance_snapshot(
        self, balances: dict[str, Balance], timestamp: datetime, equity_quote: Decimal | None, source: str
    ) -> None:
        """Store every asset's balance at one moment (one row per asset)."""
        with self.session(write=True) as s:
            for asset in sorted(balances):
                bal = balances[asset]
                s.add(BalanceSnapshotRow(timestamp=timestamp, asset=asset, total=bal.total, used=bal.used,
                                         equity_quote=equity_quote, source=source))
            s.commit()

    def list_balance_snapshots(self, limit: int | None = None) -> list[BalanceSnapshot]:
        """Snapshots newest first (limit counts snapshots, not rows)."""
        with self.session() as s:
            stamps = select(BalanceSnapshotRow.timestamp, BalanceSnapshotRow.source).distinct() \
                .order_by(BalanceSnapshotRow.timestamp.desc())
            if limit is not None:
                stamps = stamps.limit(limit)
            keys = list(s.exec(stamps))
            if not keys:
                return []
            oldest = min(ts for ts, _ in keys)
            rows = s.exec(select(BalanceSnapshotRow).where(BalanceSnapshotRow.timestamp >= oldest)
                          .order_by(BalanceSnapshotRow.id))
            grouped: dict[tuple[datetime, str], BalanceSnapshot] = {}
            wanted = set(keys)
            for r in rows:
                key = (r.timestamp, r.source)
                if key not in wanted:
                    continue
                snap = grouped.get(key)
                if snap is None:
                    snap = grouped[key] = BalanceSnapshot(r.timestamp, r.source, r.equity_quote, {})
                snap.balances[r.asset] = Balance(asset=r.asset, total=r.total, used=r.used)
            return [grouped[k] for k in keys if k in grouped]

    # ---- helpers ----------------------------------------------------------------------------------

    def _put_orders(self, s: Session, orders: Iterable[Order],
                    fallback_source: str | None = None) -> dict[str, dict[str, Any]]:
        """Write the orders; returns the rows written, by id (with the source and strategy they keep)."""
        latest = {o.id: order_values(o) for o in orders}  # the last version of each order wins
        stored = _rows(s, OrderRow, OrderRow.id, latest)  # one read: the rows to update, and who placed them
        recorded = {oid: (r.source, r.strategy) for oid, r in stored.items()}
        keep_order_sources(s, latest, fallback_source, recorded)  # a write without its source keeps who placed it
        new = _upsert_many(s, OrderRow, OrderRow.id, latest, insert=False, existing=stored)
        if new:
            seq = _next_seq(s, OrderRow)
            s.add_all(OrderRow(seq=seq + i, **latest[key]) for i, key in enumerate(new))
        return latest


def _insert_fills(s: Session, fills: list[Fill]) -> None:
    """Insert new fills (bulk, numbered in this order) and their average-cost P&L, in the caller's transaction."""
    seq = _next_seq(s, FillRow)
    numbered = [(f, seq + i) for i, f in enumerate(fills)]
    for start in range(0, len(numbered), 5000):
        s.execute(insert(FillRow.__table__), [{"seq": n, **fill_values(f)} for f, n in numbered[start:start + 5000]])
    advance_costs(s, numbered)


def _kept(s: Session, values: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    keep_bracket_sources(s, values)  # a bracket saved without its source keeps the recorded one
    return values


def _next_seq(s: Session, table: type[OrderRow] | type[FillRow]) -> int:
    """One past the highest sequence number (portable; writers are serialised by the write lock)."""
    return (s.exec(select(func.max(table.seq))).one() or 0) + 1


def _rows(s: Session, table: type[SQLModel], key: Any, keys: Iterable[Any]) -> dict[Any, Any]:
    """The stored rows with these keys, by key."""
    keys = list(keys)
    return {getattr(r, key.key): r for r in s.exec(select(table).where(key.in_(keys)))} if keys else {}


def _upsert_many(s: Session, table: type[SQLModel], key: Any, rows: dict[Any, dict[str, Any]],
                 insert: bool = True, existing: dict[Any, Any] | None = None) -> list[Any]:
    """Update the rows with these keys and add the missing ones (portable: no ON CONFLICT); returns new keys.
    existing: those rows already read in this session (_rows), else they are read here."""
    if not rows:
        return []
    if existing is None:
        existing = _rows(s, table, key, rows)
    new = []
    for k, values in rows.items():
        row = existing.get(k)
        if row is None:
            new.append(k)
            if insert:
                s.add(table(**values))
            continue
        for name, value in values.items():
            setattr(row, name, value)
    return new
