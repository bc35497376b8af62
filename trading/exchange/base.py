"""The one Exchange protocol that the Kraken adapter and the paper simulator both implement.

Below it, optional capabilities an adapter may add (checked with isinstance, never by probing names):
MarketOverview (every market's 24h ticker at once: Kraken, and the feeds and paper simulator in front of it),
PositionBook (average-cost positions: paper) and ReconciledBrackets (brackets kept whole by a reconciler
beside the account: LIVE Kraken, which has no OCO).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from trading.domain import (
    Balance,
    Bracket,
    BracketRequest,
    Candle,
    Fill,
    Market,
    Mode,
    Order,
    OrderRequest,
    Position,
    Ticker,
)
from trading.errors import ModeMismatchError

if TYPE_CHECKING:
    from trading.clock import Clock
    from trading.events import Event


@runtime_checkable
class MarketFeed(Protocol):
    """Public market data. `source` is shown wherever prices are ("kraken" or "offline replay")."""

    source: str

    async def load_markets(self) -> dict[str, Market]:
        """All markets keyed by unified symbol ("BTC/USD")."""
        ...

    async def fetch_ticker(self, symbol: str) -> Ticker:
        """Best bid/ask and last price now."""
        ...

    async def fetch_ohlcv(
        self, symbol: str, timeframe: str = "5m", since: datetime | None = None, limit: int | None = None
    ) -> list[Candle]:
        """Candles oldest first; the last one has closed=False if it is still forming."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class Exchange(MarketFeed, Protocol):
    """Market data plus the private account: balances and orders."""

    mode: Mode

    async def fetch_balances(self) -> dict[str, Balance]:
        """Balances keyed by asset ("USD", "BTC"); used = held by open orders."""
        ...

    async def create_order(self, request: OrderRequest) -> Order:
        """Place a market, limit, stop-loss or take-profit order."""
        ...

    async def create_bracket(self, request: BracketRequest) -> Bracket:
        """Place an entry with a stop and a target that cancel each other."""
        ...

    async def cancel_order(self, order_id: str) -> Order:
        """Cancel one open order by id (or client id)."""
        ...

    async def cancel_all(self, symbol: str | None = None) -> list[Order]:
        """Cancel every open order, optionally for one symbol."""
        ...

    async def fetch_order(self, order_id: str) -> Order:
        """One order by id or client id."""
        ...

    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]:
        """Orders still working."""
        ...

    async def fetch_closed_orders(self, symbol: str | None = None, limit: int | None = None) -> list[Order]:
        """Filled, cancelled or expired orders, newest first."""
        ...

    async def fetch_my_trades(self, symbol: str | None = None, limit: int | None = None) -> list[Fill]:
        """Our fills, newest first."""
        ...


@runtime_checkable
class MarketOverview(Protocol):
    """Many markets' tickers in one call, with their 24h quote volume (the universe's liquidity ranking)."""

    async def fetch_tickers(self, symbols: Sequence[str]) -> dict[str, Ticker]:
        """symbol -> Ticker for those symbols (a market without a ticker is absent); OfflineError when the data
        behind it (the offline replay) has no such thing."""
        ...


@runtime_checkable
class PositionBook(Protocol):
    """An exchange that tracks average-cost positions (the paper simulator; LIVE spot has balances only)."""

    async def positions(self) -> dict[str, Position]:
        """Positions keyed by symbol; flat ones stay, with their realised P&L."""
        ...


@runtime_checkable
class BracketReconciler(Protocol):
    """Keeps brackets whole where the venue holds no OCO: places, adopts and cancels their legs."""

    lock: asyncio.Lock  # held by each run, and by a caller that sells a bracket's position itself

    async def reconcile(self) -> None:
        """One pass over the active brackets; never raises."""
        ...

    def release(self, symbol: str, reason: str) -> None:
        """Stop managing the symbol's brackets (the caller, holding lock, sells the position itself)."""
        ...

    def exit_kind_of(self, order: Order) -> str | None:
        """The bracket exit this order is (e.g. "take-profit") when the reconciler placed it, else None."""
        ...

    def configure(self, *, retries: int, flatten: bool) -> None:
        """Failed attempts to protect a holding before the owner is alerted; whether to sell it then."""
        ...

    def drain_alerts(self) -> Sequence[Event]:
        """Protection alerts raised since the last call (the autopilot publishes them)."""
        ...

    def unprotected(self) -> Sequence[str]:
        """One line per active bracket whose holding is not fully covered by resting stops right now."""
        ...


@runtime_checkable
class ReconciledBrackets(Protocol):
    """An exchange whose brackets need a reconciler beside it (the paper simulator does its own OCO)."""

    def bracket_reconciler(self, clock: Clock) -> BracketReconciler:
        """A reconciler for this account."""
        ...


@runtime_checkable
class ModeStamped(Protocol):
    """Anything that knows the mode it belongs to (an exchange, the mode's database)."""

    @property
    def mode(self) -> Mode: ...


def require_mode(exchange: ModeStamped, expected: Mode, action: str) -> None:
    """Refuse `action` (e.g. "place an order") unless the exchange belongs to the expected mode.

    Called where an order is placed or cancelled, before any call to the exchange: a PAPER context handed the
    LIVE Kraken client must never reach Kraken's private API, whatever wiring mistake got it there.
    """
    actual = Mode(exchange.mode)
    if actual is not Mode(expected):
        raise ModeMismatchError(f"refused to {action}: this is a {Mode(expected).value.upper()} context but the "
                                f"exchange is {actual.value.upper()}; nothing was sent")


def by_symbol(items: Sequence[Market]) -> dict[str, Market]:
    """Index markets by their unified symbol."""
    return {m.symbol: m for m in items}
