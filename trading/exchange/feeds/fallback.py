"""Feed selection: Kraken's public data when reachable, else the bundled offline replay, labelled as such."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from loguru import logger

from trading.domain import Candle, Market, Ticker
from trading.errors import ExchangeUnavailableError, NetworkError, OfflineError
from trading.exchange.base import MarketFeed, MarketOverview

log = logger.bind(component="feed")


class FallbackFeed:
    """Uses the primary feed, or the fallback if the primary cannot be reached at first contact.

    The choice is made once per process: switching sources mid-session would mix two price worlds.
    """

    def __init__(self, primary: MarketFeed, fallback: Callable[[], MarketFeed]) -> None:
        self._primary = primary
        self._fallback_factory = fallback
        self._active: MarketFeed | None = None
        self.fallback_reason: str | None = None

    @property
    def source(self) -> str:
        """Label of the feed in use (the primary's until a choice is made)."""
        return (self._active or self._primary).source

    async def _feed(self) -> MarketFeed:
        if self._active is None:
            try:
                await self._primary.load_markets()
                self._active = self._primary
            except (NetworkError, ExchangeUnavailableError, OfflineError) as exc:
                self.fallback_reason = exc.message
                log.warning("Kraken public data unreachable ({}); using the offline replay feed", exc.message)
                await self._primary.close()
                self._active = self._fallback_factory()
        return self._active

    async def load_markets(self) -> dict[str, Market]:
        """Markets of the feed in use."""
        return await (await self._feed()).load_markets()

    async def fetch_ticker(self, symbol: str) -> Ticker:
        """Ticker from the feed in use."""
        return await (await self._feed()).fetch_ticker(symbol)

    async def fetch_tickers(self, symbols: Sequence[str]) -> dict[str, Ticker]:
        """Many tickers from the feed in use; OfflineError from the offline replay (it has no 24h volumes)."""
        feed = await self._feed()
        if not isinstance(feed, MarketOverview):
            raise OfflineError(f"{feed.source} has no 24h volumes")
        return await feed.fetch_tickers(symbols)

    async def fetch_ohlcv(self, symbol: str, timeframe: str = "5m", since: datetime | None = None,
                          limit: int | None = None) -> list[Candle]:
        """Candles from the feed in use."""
        return await (await self._feed()).fetch_ohlcv(symbol, timeframe, since, limit)

    async def close(self) -> None:
        """Close whichever feeds were opened."""
        if self._active is not None and self._active is not self._primary:
            await self._active.close()
        await self._primary.close()
