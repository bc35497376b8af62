"""Paper exchange throughput with persistence on a temp SQLite file; prints orders per second.

    python bench/bench_paper_throughput.py [N]          # N operations of each kind (default 2000)
    python bench/bench_paper_throughput.py --stored     # market orders/s with 1k, 10k and 100k orders stored
    python bench/bench_paper_throughput.py --stored 1000,100000 [cancelled]  # those sizes; the older history
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as `python bench/paper_throughput.py`

from loguru import logger  # noqa: E402

from memory import open_database  # noqa: E402
from tests.fakes import FakeFeed  # noqa: E402
from trading.clock import ManualClock  # noqa: E402
from trading.domain import (  # noqa: E402
    Bracket,
    BracketRequest,
    BracketStatus,
    Fill,
    Liquidity,
    Mode,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from trading.exchange.paper.exchange import PaperExchange  # noqa: E402
from trading.exchange.paper.ledger import PaperChange  # noqa: E402

N = 2000


async def run(n: int) -> None:
    logger.remove()  # measure the simulator and the database, not the log sink
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock(datetime(2025, 1, 1, tzinfo=UTC))
        feed = FakeFeed(clock=clock)
        feed.set_price("BTC/USD", "65000", "65010")
        db = open_database(Mode.PAPER, Path(tmp))
        ex = PaperExchange(feed, db, clock, starting_balance=D("100000000"))
        await ex.fetch_balances()

        async def market(i: int) -> None:
            side = Side.BUY if i % 2 == 0 else Side.SELL
            await ex.create_order(OrderRequest("BTC/USD", side, OrderType.MARKET, D("0.001")))

        async def place_cancel(i: int) -> None:
            order = await ex.create_order(OrderRequest("BTC/USD", Side.BUY, OrderType.LIMIT, D("0.001"),
                                                       price=D("60000")))
            await ex.cancel_order(order.id)

        async def bracket(i: int) -> None:
            b = await ex.create_bracket(BracketRequest("BTC/USD", Side.BUY, D("0.001"), stop_price=D("60000"),
                                                       take_profit_price=D("70000"), entry_price=D("62000")))
            await ex.cancel_order(b.entry_order_id)

        print(f"paper exchange throughput, {n} operations each, SQLite WAL at {db.path}")
        for label, fn, ops_per_call in (("market orders", market, 1), ("limit place + cancel", place_cancel, 2),
                                        ("limit-entry bracket place + cancel", bracket, 2)):
            started = time.perf_counter()
            for i in range(n):
                clock.advance(1)
                await fn(i)
            elapsed = time.perf_counter() - started
            print(f"  {label:<36} {n / elapsed:8.0f} per second  ({elapsed * 1000 / n:.2f} ms each, "
                  f"{ops_per_call} commit{'s' if ops_per_call > 1 else ''})")
        resting = 200
        for _ in range(resting):
            await ex.create_order(OrderRequest("BTC/USD", Side.BUY, OrderType.LIMIT, D("0.001"), price=D("50000")))
        started = time.perf_counter()
        for _ in range(n):
            await ex.sync()
        elapsed = time.perf_counter() - started
        print(f"  {'price check, ' + str(resting) + ' resting orders':<36} {n / elapsed:8.0f} per second")
        trades = len(db.list_fills())
        db.close()
        print(f"  fills stored: {trades}")


async def stored(sizes: tuple[int, ...] = (1_000, 10_000, 100_000), rounds: int = 7, batch: int = 100,
                 history: str = "trades") -> None:
    """Market orders per second on a ledger already holding `size` orders of history.

    history "trades": what trading leaves, closed market orders with their fills (so the fills' P&L chain holds
    `size` rows), every other one the entry of a closed bracket; "cancelled": cancelled limit orders only (the
    earlier form of this bench). Built through commit_paper in batches. The
    ledgers of every size are built first, then timed in interleaved rounds (`batch` orders on each per round),
    so a change in the machine's load hits every size alike; medians of the rounds. Wall rate, CPU rate (this
    process's CPU time, steadier on a busy machine) and SQL statements per order.
    """
    from sqlalchemy import event

    logger.remove()
    tmp = tempfile.TemporaryDirectory()
    ledgers = []
    for size in sizes:
        clock = ManualClock(datetime(2025, 1, 1, tzinfo=UTC))
        feed = FakeFeed(clock=clock)
        feed.set_price("BTC/USD", "65000", "65010")
        db = open_database(Mode.PAPER, Path(tmp.name) / str(size))
        ex = PaperExchange(feed, db, clock, starting_balance=D("100000000"))
        await ex.fetch_balances()
        started = time.perf_counter()
        for first in range(0, size, 5000):
            numbers = range(first, min(size, first + 5000))
            db.commit_paper(_history(numbers) if history == "trades" else _cancelled(numbers))
        statements = [0]
        event.listen(db.engine, "before_cursor_execute", lambda *_, n=statements: n.__setitem__(0, n[0] + 1))
        print(f"  built {size:>7,} stored orders ({history}) in {time.perf_counter() - started:.1f} s")
        ledgers.append((size, clock, ex, db, statements))
    walls: dict[int, list[float]] = {size: [] for size in sizes}
    cpus: dict[int, list[float]] = {size: [] for size in sizes}
    k = 0
    for _ in range(rounds):
        for size, clock, ex, _db, _ in ledgers:
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(batch):
                clock.advance(1)
                k += 1
                side = Side.BUY if k % 2 else Side.SELL
                await ex.create_order(OrderRequest("BTC/USD", side, OrderType.MARKET, D("0.001")))
            walls[size].append(batch / (time.perf_counter() - wall))
            cpus[size].append(batch / (time.process_time() - cpu))
    print(f"paper market orders per second by orders already stored ({history}; medians of {rounds} interleaved "
          f"rounds of {batch})")
    for size, _, _, db, statements in ledgers:
        print(f"  {size:>7,} stored: {statistics.median(walls[size]):6.0f} orders/s wall, "
              f"{statistics.median(cpus[size]):6.0f} orders/s CPU, {statements[0] / (rounds * batch):.1f} SQL "
              "statements per order")
        db.close()
    tmp.cleanup()


def _cancelled(numbers: range) -> PaperChange:
    """Cancelled limit orders OLD<i>, no fills."""
    at = datetime(2025, 1, 1, tzinfo=UTC)
    return PaperChange(orders=[Order(id=f"OLD{i}", client_id=f"old{i}", symbol="BTC/USD", side=Side.BUY,
                                     type=OrderType.LIMIT, amount=D("0.001"), status=OrderStatus.CANCELED,
                                     created_at=at, updated_at=at, price=D("60000")) for i in numbers])


def _history(numbers: range) -> PaperChange:
    """Closed market orders OLD<i> with their fills, every other one the entry of a closed bracket."""
    base = datetime(2024, 1, 1, tzinfo=UTC)
    orders, fills, brackets = [], [], []
    for i in numbers:
        at, side = base + timedelta(seconds=i), Side.BUY if i % 2 == 0 else Side.SELL
        orders.append(Order(id=f"OLD{i}", client_id=f"old{i}", symbol="BTC/USD", side=side, type=OrderType.MARKET,
                            amount=D("0.001"), status=OrderStatus.CLOSED, created_at=at, updated_at=at,
                            filled=D("0.001"), average=D("65000"), fee=D("0.26"), fee_currency="USD"))
        fills.append(Fill(id=f"OLDF{i}", order_id=f"OLD{i}", client_id=f"old{i}", symbol="BTC/USD", side=side,
                          amount=D("0.001"), price=D("65000"), fee=D("0.26"), fee_currency="USD",
                          liquidity=Liquidity.TAKER, timestamp=at))
        if i % 2 == 0:
            brackets.append(Bracket(f"OLDB{i}", "BTC/USD", Side.BUY, f"OLD{i}", None, None, BracketStatus.CLOSED, at,
                                    D("60000"), D("70000"), source="autopilot", strategy="ma_crossover"))
    return PaperChange(orders=orders, fills=fills, brackets=brackets)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--stored"]:
        sizes = tuple(int(x) for x in sys.argv[2].split(",")) if len(sys.argv) > 2 else (1_000, 10_000, 100_000)
        asyncio.run(stored(sizes, history=sys.argv[3] if len(sys.argv) > 3 else "trades"))
    else:
        asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else N))
