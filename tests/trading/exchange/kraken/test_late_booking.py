"""An AddOrder whose answer is lost and that Kraken books late (after the first lookup found nothing): the adapter
looks again with a grace before re-sending, with the same cl_ord_id, so nothing is placed twice."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.trading.exchange.conftest import KRAKEN_KEY, KRAKEN_SECRET
from trading.domain import OrderRequest, OrderType, Side
from trading.exchange.kraken.client import KrakenExchange


def _adapter(k, clock, grace: float) -> KrakenExchange:
    return KrakenExchange(KRAKEN_KEY, KRAKEN_SECRET, api_url=k.url, clock=clock, timeout_ms=300, retries=2,
                          retry_wait=0.01, lookups=4, lookup_grace=grace)


@pytest.mark.parametrize("grace", [0.3, 0.0])
async def test_a_late_booked_order_is_found_not_placed_twice(kraken_standin, kraken_clock, grace):
    ex = _adapter(kraken_standin, kraken_clock, grace)
    try:
        placed = []
        for i in range(5):  # the drill: every one of them booked ~0.5 s after the client gave up
            kraken_standin.book_late_next("AddOrder", 0.5)
            request = OrderRequest("BTC/USD", Side.BUY, OrderType.MARKET, D("0.001"), client_id=f"drill-{i}")
            placed.append(await ex.create_order(request))
        booked = [o for o in kraken_standin.orders.values() if (o["cl_ord_id"] or "").startswith("drill-")]
        ids = [c.get("cl_ord_id") for c in kraken_standin.calls("AddOrder")]
        assert set(ids) == {f"drill-{i}" for i in range(5)}  # every retry reused the intent's client id
        if grace:
            assert len(booked) == 5 and [o.client_id for o in placed] == [f"drill-{i}" for i in range(5)]
        else:  # the control, main's behaviour: a single immediate lookup misses the late booking
            assert len(booked) > 5
    finally:
        await ex.close()
