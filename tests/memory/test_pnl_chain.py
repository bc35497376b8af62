"""The fills' stored average-cost chain equals a replay from scratch (trading/pnl.py), on both backends.

Random histories over three symbols: partial sales, sales of coins bought outside the history, fills recorded
out of time order (a late Kraken trade), same-instant fills; every window read from the store must equal the
same window replayed from all the fills.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from memory import Database
from tests.memory.conftest import Backend
from trading.domain import Fill, Liquidity, Side
from trading.pnl import pnl_of, window_of

T0 = datetime(2024, 3, 1, tzinfo=UTC)
SYMBOLS = ("BTC/USD", "ETH/USD", "SOL/USD")


def fill(n: int, symbol: str, side: Side, amount: str, price: str, fee: str, at: datetime) -> Fill:
    return Fill(id=f"F{n}", order_id=f"O{n}", client_id=f"c{n}", symbol=symbol, side=side, amount=Decimal(amount),
                price=Decimal(price), fee=Decimal(fee), fee_currency="USD", liquidity=Liquidity.TAKER, timestamp=at)


def history(rng: random.Random, n: int) -> list[Fill]:
    out = []
    for i in range(n):
        side = Side.BUY if rng.random() < 0.55 else Side.SELL
        at = T0 + timedelta(minutes=rng.randrange(0, 60 * 24 * 5)) if i % 7 == 0 else T0 + timedelta(minutes=i * 9)
        out.append(fill(i, rng.choice(SYMBOLS), side, f"{rng.randrange(1, 400) / 100}",
                        f"{rng.randrange(9000, 11000) / 7:.6f}", f"{rng.randrange(0, 300) / 1000}", at))
    return out


def same_window(db: Database, start: datetime | None, stop: datetime | None) -> None:
    stored = db.fill_window(start, stop)
    replayed = window_of(db.list_fills(), start, stop)
    assert [(w.fill.id, w.pnl, w.opening) for w in stored.fills] == \
        [(w.fill.id, w.pnl, w.opening) for w in replayed.fills]
    assert stored.realized_since_start == replayed.realized_since_start
    assert {s: [f.id for f in b] for s, b in stored.open_buys.items()} == \
        {s: [f.id for f in b] for s, b in replayed.open_buys.items()}


def test_the_stored_chain_equals_a_replay_from_scratch(backend: Backend) -> None:
    db = backend.open()
    rng = random.Random(12)
    fills = history(rng, 900)
    # In batches, each batch sorted the way record_fills numbers them; some land before earlier batches' fills.
    for start in range(0, len(fills), 60):
        assert len(db.record_fills(fills[start:start + 60])) == len(fills[start:start + 60])
    db.record_fills(fills[:30])  # already recorded: nothing changes
    check = db.check_costs()
    assert check.ok and check.fills == check.rows == 900
    closing = [w for w in db.fill_window(None, None).fills if w.pnl is not None]
    assert len(closing) > 200 and any(w.pnl < 0 for w in closing) and any(w.pnl > 0 for w in closing)
    for start, stop in ((None, None), (T0 + timedelta(hours=30), T0 + timedelta(hours=54)),
                        (T0 + timedelta(days=2), None), (None, T0 + timedelta(days=1)),
                        (T0 + timedelta(days=9), None)):
        same_window(db, start, stop)
    for f in fills[::37]:  # the autopilot's P&L per sale: one lookup, the replay's figure
        assert db.costed_fill(f.id).pnl == pnl_of(f, db.list_fills(f.symbol))
    assert db.costed_fill("nope") is None
    db.close()


def test_a_late_fill_re_costs_the_later_sales(backend: Backend) -> None:
    db = backend.open()
    db.record_fills([fill(1, "BTC/USD", Side.BUY, "1", "100", "0", T0),
                     fill(2, "BTC/USD", Side.SELL, "1", "150", "0", T0 + timedelta(hours=2))])
    assert db.costed_fill("F2").pnl == Decimal(50)
    # A buy booked between them arrives later (Kraken's late trade): the sale now closes 1 of 2 at avg 150.
    db.record_fills([fill(3, "BTC/USD", Side.BUY, "1", "200", "0", T0 + timedelta(hours=1))])
    assert db.costed_fill("F2").pnl == Decimal(0)
    assert db.fill_window(None, None).realized_since_start == Decimal(0)
    assert db.check_costs().ok
    db.close()


def test_an_older_database_gets_its_chain_built_at_open_and_a_broken_one_is_repaired(backend: Backend) -> None:
    db = backend.open()
    rng = random.Random(3)
    db.record_fills(history(rng, 200))
    expected = window_of(db.list_fills(), T0 + timedelta(days=1), None)
    db.close()
    backend.sql("DELETE FROM fill_costs")  # as a file made before the chain existed
    backend.sql("DELETE FROM cost_books")
    db = backend.open()
    assert db.check_costs().ok
    assert db.fill_window(T0 + timedelta(days=1), None).realized_since_start == expected.realized_since_start
    backend.sql("DELETE FROM fill_costs WHERE fill_id IN ('F181', 'F190')")  # rows lost: the read repairs them
    assert db.check_costs().wrong == 2
    window = db.fill_window(T0 + timedelta(days=1), None)
    assert [w.pnl for w in window.fills] == [w.pnl for w in expected.fills]
    assert db.check_costs().ok
    backend.sql("DELETE FROM fill_costs WHERE fill_id = 'F12'")  # and so does the lookup of one sale
    assert db.costed_fill("F12") is not None and db.check_costs().ok
    db.close()
