"""A LIVE world for tests: the journaled Kraken adapter on the strict stand-in (real ccxt, signed calls), a
real SQLite file and the autopilot whose fill watcher drives the bracket reconciler. restart() rebuilds it all.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from memory import open_database
from tests.standins.kraken import KrakenStandin
from tests.trading.exchange.conftest import KRAKEN_KEY, KRAKEN_NOW, KRAKEN_SECRET
from trading.autopilot.engine import Autopilot
from trading.clock import ManualClock
from trading.config import TradingConfig
from trading.domain import BracketRequest, Mode, Side
from trading.events import EventBus, EventKind
from trading.exchange.kraken.journal import JournaledKraken
from trading.risk.limits import DailyLimits, KillSwitch

BTC, PAIR = "BTC/USD", "XXBTZUSD"
STOP, TARGET = D("70000"), D("80000")


class Live:
    """Journaled Kraken adapter, LIVE database and autopilot; restart() rebuilds them on the same file."""

    def __init__(self, k: KrakenStandin, tmp: Path, *, retries: int = 3, timeout_ms: int = 3000) -> None:
        self.k, self.tmp, self.retries, self.timeout_ms = k, tmp, retries, timeout_ms
        self.clock = ManualClock(KRAKEN_NOW)
        self.events: list = []
        self._open()

    def _open(self) -> None:
        self.db = open_database(Mode.LIVE, self.tmp)
        self.ex = JournaledKraken(KRAKEN_KEY, KRAKEN_SECRET, api_url=self.k.url, clock=self.clock, journal=self.db,
                                  timeout_ms=self.timeout_ms, retries=self.retries, retry_wait=0.01)
        cfg = TradingConfig(universe=(BTC,))
        bus = EventBus()
        bus.subscribe(self.events.append)
        self.pilot = Autopilot(self.ex, self.db, DailyLimits(self.db, cfg.risk, self.clock),
                               KillSwitch(self.db, cfg.risk, self.clock), self.clock, cfg, bus)

    async def restart(self) -> None:
        await self.close()
        self._open()

    async def close(self) -> None:
        await self.ex.close()
        self.db.close()

    async def watch(self, times: int = 1) -> None:
        """What the service's 20-second fill watcher does: reconcile the brackets, then announce new fills."""
        for _ in range(times):
            await self.pilot.watch_fills()

    def bracket(self, bracket_id: str):
        return self.db.get_bracket(bracket_id)

    def open_orders(self) -> list[tuple[str, dict]]:
        return [(t, o) for t, o in self.k.orders.items() if o["status"] == "open"]

    def exits(self) -> list:
        return [e for e in self.events if e.kind is EventKind.BRACKET_EXIT]

    def adds(self, ordertype: str | None = None) -> list[dict]:
        return [c for c in self.k.calls("AddOrder") if ordertype is None or c["ordertype"] == ordertype]


async def market_bracket(live: Live, amount: str = "0.001"):
    return await live.ex.create_bracket(BracketRequest(BTC, Side.BUY, D(amount), stop_price=STOP,
                                                       take_profit_price=TARGET))


async def limit_bracket(live: Live, amount: str = "0.001", price: str = "73000"):
    return await live.ex.create_bracket(BracketRequest(BTC, Side.BUY, D(amount), stop_price=STOP,
                                                       take_profit_price=TARGET, entry_price=D(price)))
