"""Kraken stand-in fixtures: a strict local Kraken, a fixed clock, and a LIVE adapter pointed at it."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from tests.standins.kraken import KrakenStandin
from trading.clock import ManualClock
from trading.exchange.kraken.client import KrakenExchange

KRAKEN_NOW = datetime(2024, 6, 3, 12, 7, 30, tzinfo=UTC)  # 2.5 minutes into the 12:05 candle
KRAKEN_KEY = "zyn-test-key-Qm9vA1"
KRAKEN_SECRET = base64.b64encode(b"zyn test secret: never a real one, 0123456789").decode()


@pytest.fixture
def kraken_clock() -> ManualClock:
    """A clock fixed at KRAKEN_NOW."""
    return ManualClock(KRAKEN_NOW)


@pytest.fixture
async def kraken_standin() -> AsyncIterator[KrakenStandin]:
    """A running Kraken stand-in that knows KRAKEN_KEY / KRAKEN_SECRET."""
    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET, now=KRAKEN_NOW) as standin:
        yield standin


@pytest.fixture
async def kraken_exchange(kraken_standin: KrakenStandin, kraken_clock: ManualClock) -> AsyncIterator[KrakenExchange]:
    """The LIVE adapter on the stand-in, with quick retries."""
    exchange = KrakenExchange(KRAKEN_KEY, KRAKEN_SECRET, api_url=kraken_standin.url, clock=kraken_clock,
                              timeout_ms=3000, retries=3, retry_wait=0.01, lookup_grace=0.05)
    yield exchange
    await exchange.close()
