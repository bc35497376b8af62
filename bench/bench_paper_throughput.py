"""Paper exchange throughput with persistence on a temp SQLite file; prints orders per second.

    python bench/bench_paper_throughput.py [N]          # N operations of each kind (default 2000)
    python bench/bench_paper_throughput.py --stored     # market orders/s with 1k, 10k and 100k orders stored
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as `python bench/paper_throughput.py`

from loguru import logger  # noqa: E402

from memory import open_database  # noqa: E402
from tests.fakes import FakeFeed  # noqa: E402
from trading.clock import ManualClock  # noqa: E402
from trading.domain import BracketRequest, Mode, Order, OrderRequest, OrderStatus, OrderType, Side  # noqa: E402
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


async def stored(sizes: tuple[int, ...] = (1_000, 10_000, 100_000), n: int = 1000) -> None:
    """Market orders per second on a ledger already holding `size` closed orders (bulk-inserted)."""
    logger.remove()
    print(f"paper market orders per second by orders already stored ({n} orders timed each)")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            clock = ManualClock(datetime(2025, 1, 1, tzinfo=UTC))
            feed = FakeFeed(clock=clock)
            feed.set_price("BTC/USD", "65000", "65010")
            db = open_database(Mode.PAPER, Path(tmp))
            ex = PaperExchange(feed, db, clock, starting_balance=D("100000000"))
            await ex.fetch_balances()
            at = clock.now()
            for start in range(0, size, 5000):
                db.commit_paper(PaperChange(orders=[
                    Order(id=f"OLD{i}", client_id=f"old{i}", symbol="BTC/USD", side=Side.BUY,
                          type=OrderType.LIMIT, amount=D("0.001"), status=OrderStatus.CANCELED, created_at=at,
                          updated_at=at, price=D("60000")) for i in range(start, min(size, start + 5000))]))
            started = time.perf_counter()
            for i in range(n):
                clock.advance(1)
                side = Side.BUY if i % 2 == 0 else Side.SELL
                await ex.create_order(OrderRequest("BTC/USD", side, OrderType.MARKET, D("0.001")))
            elapsed = time.perf_counter() - started
            print(f"  {size:>7,} stored: {n / elapsed:6.0f} market orders per second ({elapsed * 1000 / n:.2f} ms each)")
            db.close()


if __name__ == "__main__":
    if sys.argv[1:] == ["--stored"]:
        asyncio.run(stored())
    else:
        asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else N))
