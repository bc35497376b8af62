"""Feed selection: Kraken public data when reachable, else the offline replay, labelled as such."""

from __future__ import annotations

import socket

from tests.standins.kraken import KrakenStandin
from tests.trading.exchange.conftest import KRAKEN_NOW
from trading.clock import ManualClock
from trading.exchange.feeds.fallback import FallbackFeed
from trading.exchange.feeds.replay import REPLAY_SOURCE, ReplayFeed
from trading.exchange.kraken.client import KrakenPublicFeed


def closed_port() -> int:
    """A local port nobody listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_unreachable_kraken_falls_back_to_the_replay_feed() -> None:
    clock = ManualClock(KRAKEN_NOW)
    primary = KrakenPublicFeed(api_url=f"http://127.0.0.1:{closed_port()}", clock=clock, retries=1, retry_wait=0.01)
    feed = FallbackFeed(primary, lambda: ReplayFeed(clock))
    ticker = await feed.fetch_ticker("XBTUSD")
    assert feed.source == ticker.source == REPLAY_SOURCE and "not real prices" in ticker.source
    assert feed.fallback_reason and "Kraken" in feed.fallback_reason
    assert ticker.bid < ticker.last < ticker.ask
    await feed.close()


async def test_reachable_kraken_is_used_and_never_private() -> None:
    clock = ManualClock(KRAKEN_NOW)
    async with KrakenStandin(now=KRAKEN_NOW) as standin:
        standin.forbid_private = True
        standin.set_price("XXBTZUSD", "64000.0", "64000.1")
        feed = FallbackFeed(KrakenPublicFeed(api_url=standin.url, clock=clock), lambda: ReplayFeed(clock))
        ticker = await feed.fetch_ticker("BTC/USD")
        assert feed.source == ticker.source == "kraken" and feed.fallback_reason is None
        assert str(ticker.ask) == "64000.1"
        await feed.close()
