"""LIVE fixtures: a Kraken stand-in whose account holds no BTC, and a LIVE world on it (see live_env)."""

from __future__ import annotations

import pytest

from tests.standins.kraken import KrakenStandin
from tests.trading.exchange.conftest import KRAKEN_KEY, KRAKEN_NOW, KRAKEN_SECRET
from tests.trading.exchange.kraken.live_env import Live


@pytest.fixture
async def live_standin():
    # No BTC to start with: the coins the bracket buys are all there is, so both exits cannot rest at once.
    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET, now=KRAKEN_NOW,
                             balances={"ZUSD": "10000", "XXBT": "0"}) as k:
        yield k


@pytest.fixture
async def live(live_standin, tmp_path):
    world = Live(live_standin, tmp_path)
    await world.watch()  # the watcher's first look: its baseline, nothing to announce yet
    yield world
    await world.close()
