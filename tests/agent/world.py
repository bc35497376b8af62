"""A real PAPER account for agent tests: paper exchange, temp SQLite database, settable prices, the Agent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from agent.agent import Agent
from memory import open_database
from memory.db import Database
from tests.fakes import FakeFeed, btc_usd, eth_usd
from tools.context import ToolContext
from tools.gate.types import Caller, Role
from trading.clock import ManualClock
from trading.config import TradingConfig
from trading.domain import Market, Mode, OrderRequest, OrderType, Side
from trading.exchange.paper.exchange import PaperExchange

NOW = datetime(2024, 5, 6, 14, 7, tzinfo=UTC)
OWNER = Caller(user_id="100", chat_id="chat-1", channel="test", role=Role.OWNER, name="jimmy")
OTHER = Caller(user_id="200", chat_id="chat-1", channel="test", role=Role.OWNER, name="mallory")
VIEWER = Caller(user_id="300", chat_id="chat-1", channel="test", role=Role.VIEWER, name="viewer")
PRICES = {"BTC/USD": ("64000.0", "64010.0"), "ETH/USD": ("3120.00", "3120.50"), "SOL/USD": ("150.10", "150.12")}


def sol_usd() -> Market:
    d = Decimal
    return Market(symbol="SOL/USD", exchange_id="SOLUSD", altname="SOLUSD", base="SOL", quote="USD",
                  price_step=d("0.01"), amount_step=d("0.00000001"), min_amount=d("0.02"), min_cost=d("0.5"))


@dataclass
class World:
    agent: Agent
    db: Database
    feed: FakeFeed
    clock: ManualClock
    exchange: PaperExchange
    ctx: ToolContext

    async def seed_btc(self, amount: str = "0.05") -> None:
        """Hold some BTC (bought at market), so selling and history have something to show."""
        await self.exchange.create_order(OrderRequest("BTC/USD", Side.BUY, OrderType.MARKET, Decimal(amount)))

    async def order_count(self) -> int:
        return len(await self.exchange.fetch_open_orders()) + len(await self.exchange.fetch_closed_orders())


def make_world(tmp_path: Path, *, mode: Mode = Mode.PAPER, model: Any = None, **agent_kw: Any) -> World:
    """`mode` is the tools' mode (LIVE only changes the confirmation policy; the exchange is always paper)."""
    clock = ManualClock(NOW)
    feed = FakeFeed([btc_usd(), eth_usd(), sol_usd()], clock=clock)
    for symbol, (bid, ask) in PRICES.items():
        feed.set_price(symbol, bid, ask)
    db = open_database(Mode.PAPER, tmp_path / "data")
    exchange = PaperExchange(feed, db, clock)
    exchange.mode = mode  # the simulator stands in for the LIVE account: the tools' mode guard must see it as such
    ctx = ToolContext(mode=mode, exchange=exchange, journal=db, clock=clock, quote_currency="USD",
                      credentials_present=False, log_level="INFO", database="test", store=db,
                      trading_config=TradingConfig(), log_file=tmp_path / "data" / "logs" / "zyn.log")
    agent = Agent(ctx, db, model=model, **agent_kw)
    return World(agent, db, feed, clock, exchange, ctx)
