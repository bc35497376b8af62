"""Shared test stand-ins: a MarketFeed with settable prices, and deterministic order ids."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal

from trading.clock import Clock
from trading.domain import Candle, Market, Ticker
from trading.errors import ExchangeUnavailableError, UnknownPairError

D = Decimal
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def btc_usd() -> Market:
    """BTC/USD with Kraken-like rules: price step 0.1, amount step 1e-8, min 0.0001 BTC, min cost 0.5."""
    return Market(symbol="BTC/USD", exchange_id="XXBTZUSD", altname="XBTUSD", base="BTC", quote="USD",
                  price_step=D("0.1"), amount_step=D("0.00000001"), min_amount=D("0.0001"), min_cost=D("0.5"))


def eth_usd() -> Market:
    """ETH/USD: price step 0.01, amount step 1e-8, min 0.002 ETH, min cost 0.5."""
    return Market(symbol="ETH/USD", exchange_id="XETHZUSD", altname="ETHUSD", base="ETH", quote="USD",
                  price_step=D("0.01"), amount_step=D("0.00000001"), min_amount=D("0.002"), min_cost=D("0.5"))


def default_markets() -> dict[str, Market]:
    return {m.symbol: m for m in (btc_usd(), eth_usd())}


class FakeFeed:
    """A MarketFeed whose prices the test sets; counts calls so tests can assert what was asked."""

    def __init__(self, markets: Iterable[Market] | None = None, *, clock: Clock | None = None,
                 source: str = "fake feed") -> None:
        self.source = source
        self.markets = {m.symbol: m for m in markets} if markets is not None else default_markets()
        self.clock = clock
        self.tickers: dict[str, Ticker] = {}
        self.candles: dict[str, list[Candle]] = {}
        self.calls: Counter[str] = Counter()
        self.closed = False

    def set_price(self, symbol: str, bid: Decimal | str | int, ask: Decimal | str | int | None = None,
                  last: Decimal | str | int | None = None) -> Ticker:
        """Set the touch; ask defaults to bid (no spread), last to the mid."""
        b = D(str(bid))
        a = D(str(ask)) if ask is not None else b
        if a < b:
            raise ValueError(f"crossed book: bid {b} > ask {a}")
        when = self.clock.now() if self.clock is not None else EPOCH
        ticker = Ticker(symbol=symbol, bid=b, ask=a, last=D(str(last)) if last is not None else (a + b) / 2,
                        timestamp=when, source=self.source)
        self.tickers[symbol] = ticker
        return ticker

    async def load_markets(self) -> dict[str, Market]:
        self.calls["load_markets"] += 1
        return dict(self.markets)

    async def fetch_ticker(self, symbol: str) -> Ticker:
        self.calls["fetch_ticker"] += 1
        if symbol not in self.markets:
            raise UnknownPairError(f"unknown pair '{symbol}'")
        if symbol not in self.tickers:
            raise ExchangeUnavailableError(f"no price for {symbol} yet (the test did not set one)")
        return self.tickers[symbol]

    async def fetch_ohlcv(self, symbol: str, timeframe: str = "5m", since: datetime | None = None,
                          limit: int | None = None) -> list[Candle]:
        self.calls["fetch_ohlcv"] += 1
        candles = [c for c in self.candles.get(symbol, []) if since is None or c.timestamp >= since]
        return candles[-limit:] if limit else candles

    async def close(self) -> None:
        self.closed = True


def sequential_ids(prefix: str = "O") -> Callable[[], str]:
    """Kraken-shaped ids that count up: OTEST1-AAAAA-000001, OTEST2-AAAAA-000002, ..."""
    counter = itertools.count(1)

    def make() -> str:
        n = next(counter)
        return f"{prefix}TEST{n % 10}-AAAAA-{n:06d}"

    return make
