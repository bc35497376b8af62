"""A paper exchange on a temp SQLite file with a fake feed and a manual clock, for the paper tests."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from memory import Database, open_database
from tests.fakes import FakeFeed, sequential_ids
from trading.clock import ManualClock
from trading.domain import Mode
from trading.exchange.paper.exchange import PaperExchange
from trading.exchange.paper.ledger import PaperChange

START = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class PaperEnv:
    tmp: Path
    clock: ManualClock
    feed: FakeFeed
    db: Database
    ex: PaperExchange
    options: dict[str, Any] = field(default_factory=dict)

    def price(self, bid: str | int, ask: str | int | None = None, symbol: str = "BTC/USD") -> None:
        """Move the market (a step of the clock too, so events have distinct times)."""
        self.clock.advance(1)
        self.feed.set_price(symbol, bid, ask)

    def reopen(self, **options: Any) -> PaperExchange:
        """Close the database and start a fresh exchange on the same file (a restart)."""
        self.db.close()
        self.db = open_database(Mode.PAPER, self.tmp)
        self.ex = PaperExchange(self.feed, self.db, self.clock, **{**self.options, **options})
        return self.ex

    def rows(self) -> dict[str, list[str]]:
        """Every table's rows, read with plain sqlite3."""
        con = sqlite3.connect(self.db.path)
        try:
            names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
            return {n: sorted(map(repr, con.execute(f'SELECT * FROM "{n}"'))) for n in names}
        finally:
            con.close()


def make_env(tmp: Path, **options: Any) -> PaperEnv:
    """BTC/USD at 65000/65010 and ETH/USD at 3000/3001, a 10,000 USD account, default fees."""
    clock = ManualClock(START)
    feed = FakeFeed(clock=clock)
    feed.set_price("BTC/USD", "65000", "65010")
    feed.set_price("ETH/USD", "3000", "3001")
    db = open_database(Mode.PAPER, tmp)
    options.setdefault("id_factory", sequential_ids())
    ex = PaperExchange(feed, db, clock, **options)
    return PaperEnv(tmp, clock, feed, db, ex, options)


class FlakyLedger:
    """A ledger whose next commit fails (a full disk, a lost connection), delegating all else."""

    def __init__(self, inner: Database) -> None:
        self.inner = inner
        self.fail_next = False

    def commit_paper(self, change: PaperChange) -> None:
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk full")
        self.inner.commit_paper(change)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def usd(value: str) -> D:
    return D(value)
