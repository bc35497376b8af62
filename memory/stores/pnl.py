"""The fills' average-cost P&L, kept per fill in the fills' own transaction, and read by window.

`advance_costs` runs inside every transaction that inserts fills (memory/stores/ledger.py): a fill later than
its symbol's last one costs only itself; a fill recorded out of time order (a late Kraken trade) re-costs
that symbol's fills from its place on. `rebuild_costs` recomputes every row from the fills and then checks
the stored chain against a replay from scratch (`check_costs`), so it can repair any database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from loguru import logger
from sqlalchemy import and_, delete, func, insert, or_, select, update

from memory.convert import FILL_COLUMNS, FILL_WIDTH, fill_from_columns
from memory.tables.autopilot import EvaluationRow
from memory.tables.ledger import FillRow
from memory.tables.pnl import CostBookRow, FillCostRow
from trading.decision.evaluation import Decision
from trading.domain import Fill, Side
from trading.pnl import Cost, FillWindow, WindowFill, realized_between

if TYPE_CHECKING:
    from sqlmodel import Session

_log = logger.bind(component="pnl")
_CHUNK = 5000  # rows per bulk insert and per streamed page
_COSTS, _BOOKS = FillCostRow.__table__, CostBookRow.__table__  # Core inserts: one executemany per chunk
_FILLS = [FillRow.__table__.c[name] for name in FILL_COLUMNS]  # Core reads: no ORM object per fill


@dataclass(frozen=True, slots=True)
class CostCheck:
    """What check_costs found: fills, stored cost rows, and the rows (or heads) that differ from a replay."""

    fills: int
    rows: int
    wrong: int

    @property
    def ok(self) -> bool:
        return self.wrong == 0 and self.rows == self.fills


class CostStoreMixin:
    """fill_window / costed_fill / rebuild_costs / check_costs on top of Database.session()."""

    if TYPE_CHECKING:
        def session(self, *, write: bool = False) -> Session: ...

    def fill_window(self, start: datetime | None, stop: datetime | None) -> FillWindow:
        """The fills with start <= time < stop (all when None), oldest first, with their stored P&L; the P&L
        realised since start; and the buys of each position open at start. Reads only the window."""
        query = _costed_select()
        if start is not None:
            query = query.where(FillRow.timestamp >= start)
        if stop is not None:
            query = query.where(FillRow.timestamp < stop)
        query = query.order_by(FillRow.timestamp, FillRow.seq)
        with self.session() as s:
            rows = list(s.execute(query))
            broken = any(r.fill_id is None for r in rows)
            books = list(s.execute(select(CostBookRow).order_by(CostBookRow.symbol)).scalars())
            at_start: dict[str, Decimal] = {}
            open_buys: dict[str, list[Fill]] = {}
            for book in books if not broken else []:
                before = _last_before(s, book.symbol, start) if start is not None else None
                if start is None or book.last_timestamp >= start:
                    at_start[book.symbol] = before.realized if before is not None else Decimal(0)
                if before is not None and before.amount > 0:
                    open_buys[book.symbol] = _position_buys(s, book.symbol, start)
        if broken:  # a fill written without its cost row (never by Zyn itself): repair, then read again
            _log.warning("fills without their cost rows: rebuilding the P&L chain")
            self.rebuild_costs()
            return self.fill_window(start, stop)
        fills = [_window_fill(r) for r in rows]
        return FillWindow(fills, realized_between(at_start, {b.symbol: b.realized for b in books}), open_buys)

    def costed_fill(self, fill_id: str) -> WindowFill | None:
        """One recorded fill with its stored P&L; None if no such fill is recorded."""
        with self.session() as s:
            row = s.execute(_costed_select().where(FillRow.id == fill_id)).first()
        if row is not None and row.fill_id is None:
            self.rebuild_costs()
            return self.costed_fill(fill_id)
        return _window_fill(row) if row is not None else None

    def entry_strategies(self, order_ids: Iterable[str]) -> dict[str, str]:
        """Order id -> the strategy whose autopilot entry placed it, for these orders only."""
        ids = sorted(set(order_ids))
        out: dict[str, str] = {}
        t = EvaluationRow
        with self.session() as s:
            for start in range(0, len(ids), 500):  # under SQLite's bound-parameter limit
                query = select(t.order_id, t.strategy).where(t.order_id.in_(ids[start:start + 500]),
                                                             t.decision == Decision.ENTER.value)
                out.update((oid, strategy or "autopilot") for oid, strategy in s.execute(query))
        return out

    def ensure_costs(self) -> None:
        """At open: a database with fills but no cost chain (made before the chain existed) gets it built."""
        with self.session() as s:
            if s.execute(select(CostBookRow.symbol).limit(1)).first() is not None:
                return
            if s.execute(select(FillRow.id).limit(1)).first() is None:
                return
        _log.info("building the P&L chain of the recorded fills (once)")
        self.rebuild_costs()

    def rebuild_costs(self) -> CostCheck:
        """Recompute every cost row and head from the fills in one transaction, then check them; raises if the
        check finds a difference (it never should: the rule is trading/pnl.py's, replayed the same way)."""
        with self.session(write=True) as s:
            s.execute(delete(FillCostRow))
            s.execute(delete(CostBookRow))
            heads: dict[str, tuple[Cost, int, datetime, int]] = {}
            batch: list[dict[str, Any]] = []
            for f, seq in _stream(s):
                cost, n, _, _ = heads.get(f.symbol, (Cost(), 0, f.timestamp, seq))
                cost, pnl = cost.apply(f)
                heads[f.symbol] = (cost, n + 1, f.timestamp, seq)
                batch.append(_cost_values(f, seq, cost, pnl))
                if len(batch) >= _CHUNK:
                    s.execute(insert(_COSTS), batch)
                    batch = []
            if batch:
                s.execute(insert(_COSTS), batch)
            if heads:
                s.execute(insert(_BOOKS), [_book_values(sym, *h) for sym, h in heads.items()])
            s.commit()
        check = self.check_costs()
        if not check.ok:
            raise RuntimeError(f"the rebuilt P&L chain disagrees with its replay: {check}")
        _log.info("P&L chain rebuilt: {} fills over {} symbols", check.fills, len(heads))
        return check

    def check_costs(self) -> CostCheck:
        """Replay every fill from scratch and compare with the stored rows and heads (read only)."""
        with self.session() as s:
            heads: dict[str, tuple[Cost, int]] = {}
            fills = rows = wrong = 0
            c = _COSTS.c
            query = (select(*_FILLS, c.fill_id, c.amount, c.cost, c.realized, c.pnl)
                     .select_from(FillRow.__table__.outerjoin(_COSTS, c.fill_id == FillRow.id))
                     .order_by(FillRow.timestamp, FillRow.seq).execution_options(yield_per=_CHUNK))
            for row in s.execute(query):
                f, cost_row = fill_from_columns(row), row[FILL_WIDTH:]
                cost, n = heads.get(f.symbol, (Cost(), 0))
                cost, pnl = cost.apply(f)
                heads[f.symbol] = (cost, n + 1)
                fills += 1
                if cost_row[0] is None:
                    wrong += 1
                    continue
                if tuple(cost_row[1:]) != (cost.amount, cost.cost, cost.realized, pnl):
                    wrong += 1
            rows = s.execute(select(func.count()).select_from(FillCostRow)).scalar_one()
            books = {b.symbol: b for b in s.execute(select(CostBookRow)).scalars()}
        for symbol, (cost, n) in heads.items():
            book = books.pop(symbol, None)
            if book is None or (book.amount, book.cost, book.realized, book.fills) != \
                    (cost.amount, cost.cost, cost.realized, n):
                wrong += 1
        return CostCheck(fills=fills, rows=rows, wrong=wrong + len(books))


def advance_costs(s: Session, new: Iterable[tuple[Fill, int]]) -> None:
    """Cost the fills just inserted in this session (each with its seq), in the same transaction."""
    by_symbol: dict[str, list[tuple[Fill, int]]] = defaultdict(list)
    for f, seq in new:
        by_symbol[f.symbol].append((f, seq))
    if not by_symbol:
        return
    # Core reads and writes of the heads: no ORM object, no unit-of-work flush per fill (a paper order's commit).
    books = {b.symbol: b for b in s.execute(select(_BOOKS).where(_BOOKS.c.symbol.in_(list(by_symbol))))}
    rows: list[dict[str, Any]] = []
    for symbol, items in by_symbol.items():
        items.sort(key=lambda x: (x[0].timestamp, x[1]))
        book = books.get(symbol)
        first_ts, first_seq = items[0][0].timestamp, items[0][1]
        if book is None or (first_ts, first_seq) > (book.last_timestamp, book.last_seq):
            cost = Cost(book.amount, book.cost, book.realized) if book is not None else Cost()
            count = book.fills if book is not None else 0
        else:  # recorded out of time order: re-cost this symbol from the new fill's place on
            s.flush()
            before = _last_before(s, symbol, first_ts, first_seq)
            cost = Cost(before.amount, before.cost, before.realized) if before is not None else Cost()
            later = _after_key(FillCostRow, symbol, first_ts, first_seq)
            redone = s.execute(select(func.count()).select_from(FillCostRow).where(later)).scalar_one()
            s.execute(delete(FillCostRow).where(later))
            count = book.fills - redone
            query = (select(*_FILLS, FillRow.seq).where(_after_key(FillRow, symbol, first_ts, first_seq))
                     .order_by(FillRow.timestamp, FillRow.seq))
            items = [(fill_from_columns(r), r.seq) for r in s.execute(query)]
            _log.info("a fill of {} recorded out of time order: {} fills re-costed", symbol, len(items))
        for f, seq in items:
            cost, pnl = cost.apply(f)
            rows.append(_cost_values(f, seq, cost, pnl))
        last, last_seq = items[-1]
        values = _book_values(symbol, cost, count + len(items), last.timestamp, last_seq)
        if book is None:
            s.execute(insert(_BOOKS), [values])
        else:
            s.execute(update(_BOOKS).where(_BOOKS.c.symbol == symbol).values(values))
    for start in range(0, len(rows), _CHUNK):
        s.execute(insert(_COSTS), rows[start:start + _CHUNK])


def _costed_select() -> Any:
    c = _COSTS.c
    return (select(*_FILLS, c.fill_id, c.pnl, c.amount.label("held"))
            .select_from(FillRow.__table__.outerjoin(_COSTS, c.fill_id == FillRow.id)))


def _window_fill(row: Any) -> WindowFill:
    f = fill_from_columns(row)
    return WindowFill(f, row.pnl, opening=f.side is Side.BUY and row.held == f.amount)


def _after_key(table: Any, symbol: str, ts: datetime, seq: int) -> Any:
    """Rows of `symbol` at or after (ts, seq) in replay order."""
    return and_(table.symbol == symbol, or_(table.timestamp > ts, and_(table.timestamp == ts, table.seq >= seq)))


def _last_before(s: Session, symbol: str, ts: datetime, seq: int | None = None) -> FillCostRow | None:
    """The symbol's cost row just before time ts (or before (ts, seq) in replay order)."""
    t = FillCostRow
    earlier = t.timestamp < ts if seq is None else or_(t.timestamp < ts, and_(t.timestamp == ts, t.seq < seq))
    query = select(t).where(t.symbol == symbol, earlier).order_by(t.timestamp.desc(), t.seq.desc()).limit(1)
    return s.execute(query).scalars().first()


def _position_buys(s: Session, symbol: str, before: datetime) -> list[Fill]:
    """The buys of the position open at `before`, oldest first, from the one that opened it (when flat)."""
    query = (select(*_FILLS, _COSTS.c.amount).select_from(FillRow.__table__.join(_COSTS, _COSTS.c.fill_id == FillRow.id))
             .where(FillRow.symbol == symbol, FillRow.timestamp < before, FillRow.side == Side.BUY.value)
             .order_by(FillRow.timestamp.desc(), FillRow.seq.desc()).execution_options(yield_per=200))
    out: list[Fill] = []
    for row in s.execute(query):
        f, held = fill_from_columns(row), row[FILL_WIDTH]
        out.append(f)
        if held == f.amount:  # bought when flat: the position's opening buy
            break
    return out[::-1]


def _stream(s: Session) -> Iterator[tuple[Fill, int]]:
    query = select(*_FILLS, FillRow.seq).order_by(FillRow.timestamp, FillRow.seq).execution_options(yield_per=_CHUNK)
    for row in s.execute(query):
        yield fill_from_columns(row), row.seq


def _cost_values(f: Fill, seq: int, cost: Cost, pnl: Decimal | None) -> dict[str, Any]:
    return {"fill_id": f.id, "symbol": f.symbol, "timestamp": f.timestamp, "seq": seq, "amount": cost.amount,
            "cost": cost.cost, "realized": cost.realized, "pnl": pnl}


def _book_values(symbol: str, cost: Cost, fills: int, last: datetime, last_seq: int) -> dict[str, Any]:
    return {"symbol": symbol, "amount": cost.amount, "cost": cost.cost, "realized": cost.realized,
            "fills": fills, "last_timestamp": last, "last_seq": last_seq}
