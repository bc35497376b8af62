"""Kraken's rate limits as Kraken counts them: the stand-in enforces the counters (kraken_limits), and clients
that share our limiter never hit them, while the same load without it does."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from tests.standins.kraken import KrakenStandin
from tests.standins.kraken_limits import KrakenLimits
from tests.trading.exchange.conftest import KRAKEN_KEY, KRAKEN_NOW, KRAKEN_SECRET
from trading.domain import OrderRequest, OrderType, Side
from trading.errors import RateLimitError, RateLimitWaitError, ZynError
from trading.exchange.kraken.client import KrakenExchange, KrakenPublicFeed
from trading.exchange.kraken.ratelimit import TIERS, Tier, cancel_penalty, limiter_for, tier_named

# Kraken's starter counter (maximum 15, trading threshold 60) with the decay sped up, so a test takes seconds.
FAST = Tier("starter-fast", 15, 8.0, 60, 30.0)
ORDERS = Tier("orders-fast", 15, 8.0, 8, 10.0)  # a low order threshold: the per-pair counter is what binds


def _limits(tier: Tier) -> KrakenLimits:
    return KrakenLimits(max_counter=tier.max_counter, decay=tier.decay, order_threshold=tier.order_threshold,
                        order_decay=tier.order_decay)


def _client(k: KrakenStandin, tier: Tier | None, retries: int = 4) -> KrakenExchange:
    # retries only for "EAPI:Invalid nonce" (several clients on one key race their nonces); every rate-limit
    # refusal is recorded by the stand-in, retried or not.
    return KrakenExchange(KRAKEN_KEY, KRAKEN_SECRET, api_url=k.url, timeout_ms=5000, retries=retries,
                          retry_wait=0.01, lookup_grace=0.01, rate_tier=tier)


async def _burst(clients: list[KrakenExchange], calls: int) -> list[object]:
    """What the autopilot, a chat, the reconciler and the fill watcher do at once: balances, orders, history."""
    async def one(i: int) -> object:
        ex = clients[i % len(clients)]
        if i % 3 == 0:
            return await ex._call("fetch_my_trades", None)  # TradesHistory: costs 2
        if i % 3 == 1:
            return await ex.fetch_balances()
        return await ex._call("fetch_open_orders", None)
    return await asyncio.gather(*(one(i) for i in range(calls)), return_exceptions=True)


async def test_the_standin_refuses_a_burst_without_our_limiter():
    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET, now=KRAKEN_NOW) as k:
        # Kraken's own starter decay (0.33/s), not the sped-up one: 40 calls cost about 53 against a maximum of
        # 15, so they are refused however slowly a loaded machine sends them (at 8/s a slow burst could pass).
        k.limits = _limits(TIERS["starter"])
        # Retries as in the other tests: four clients on one key race their nonces ("EAPI:Invalid nonce" comes
        # before the counter, and is retried); a refusal by the counter outlasts the retries at this decay.
        clients = [_client(k, None) for _ in range(4)]
        try:
            await asyncio.gather(*(c.load_markets() for c in clients), return_exceptions=True)
            results = await _burst(clients, 40)
        finally:
            for c in clients:
                await c.close()
    assert any(isinstance(r, RateLimitError) for r in results)
    assert any(name in ("BalanceEx", "OpenOrders", "TradesHistory") for _key, name in k.limits.refused)


async def test_clients_sharing_the_limiter_never_hit_the_rate_limit():
    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET, now=KRAKEN_NOW) as k:
        k.limits = _limits(FAST)
        clients = [_client(k, FAST) for _ in range(4)]  # autopilot, chat, reconciler, fill watcher
        try:
            await asyncio.gather(*(c.load_markets() for c in clients))
            results = await _burst(clients, 60)
        finally:
            for c in clients:
                await c.close()
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [] and k.limits.refused == []
    assert clients[0].limiter is clients[1].limiter or clients[0].limiter.account is clients[1].limiter.account
    assert clients[0].limiter.waited > 0  # callers waited for headroom instead of failing


async def _orders(ex: KrakenExchange, n: int, tag: str) -> list[object]:
    async def one(i: int) -> object:
        request = OrderRequest("BTC/USD", Side.BUY, OrderType.LIMIT, D("0.001"), price=D("30000"),
                               client_id=f"{tag}-{i}")
        order = await ex.create_order(request)
        if i % 2 == 0:  # cancelled at once: Kraken's +8 penalty for an order younger than 5 s
            await ex.cancel_order(order.id)
        return order
    return await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True)


async def _order_run(tier: Tier | None, tag: str) -> tuple[list[object], KrakenStandin]:
    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET, now=KRAKEN_NOW,
                             balances={"ZUSD": "100000", "XXBT": "0"}) as k:
        k.limits = _limits(ORDERS)
        ex = _client(k, tier, retries=0 if tier is None else 4)
        try:
            await ex.load_markets()
            return await _orders(ex, 12, tag), k
        finally:
            await ex.close()


async def test_the_per_pair_order_counter_with_the_young_cancel_penalty():
    control, bare = await _order_run(None, "bare")
    assert any(isinstance(r, RateLimitError) for r in control)
    assert ("AddOrder" in {name for _key, name in bare.limits.refused})
    results, k = await _order_run(ORDERS, "ours")
    assert [r for r in results if isinstance(r, BaseException)] == [] and k.limits.refused == []
    assert sum(1 for o in k.orders.values() if (o["cl_ord_id"] or "").startswith("ours-")) == 12
    assert sum(1 for o in k.orders.values() if o["status"] == "canceled") == 6


async def test_a_wait_beyond_the_bound_is_refused_clearly_and_sends_nothing():
    slow = Tier("slow", 3, 0.01, 60, 1.0)
    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET, now=KRAKEN_NOW) as k:
        ex = KrakenExchange(KRAKEN_KEY, KRAKEN_SECRET, api_url=k.url, retries=0, rate_tier=slow, rate_max_wait=2.0)
        try:
            await ex.fetch_balances()
            await ex.fetch_balances()
            sent = len(k.calls("BalanceEx"))
            with pytest.raises(RateLimitWaitError, match=r"rate limit \(slow tier\) would hold this BalanceEx call"):
                await ex.fetch_balances()
        finally:
            await ex.close()
    assert len(k.calls("BalanceEx")) == sent == 2


async def test_public_and_private_are_counted_apart_and_shared_by_address_and_key():
    async with KrakenStandin(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET, now=KRAKEN_NOW) as k:
        feed = KrakenPublicFeed(api_url=k.url, rate_tier=FAST)
        ex = _client(k, FAST)
        try:
            await feed.fetch_ticker("BTC/USD")  # AssetPairs (+ Assets) and Ticker: public only
            assert ex.limiter.public is feed.limiter.public and feed.limiter.account is None
            before = ex.limiter.snapshot()
            assert before["api"] == 0 and before["public"] >= 2
            await ex.fetch_balances()
            await ex._call("fetch_my_trades", None)
            assert 2.5 < ex.limiter.snapshot()["api"] <= 3  # BalanceEx 1 + TradesHistory 2 (decaying)
        finally:
            await feed.close()
            await ex.close()


def test_kraken_tiers_and_the_cancel_penalty_table():
    assert [(t.max_counter, t.decay, t.order_threshold) for t in TIERS.values()] == [
        (15, 0.33, 60), (20, 0.5, 125), (20, 1.0, 180)]
    assert tier_named(None).name == "starter" and tier_named("PRO").name == "pro"
    with pytest.raises(ZynError, match="unknown Kraken tier"):
        tier_named("gold")
    assert [cancel_penalty(a) for a in (0, 4.9, 5, 12, 30, 60, 200, 400, None)] == [8, 8, 6, 5, 4, 2, 1, 0, 8]
    one, two = limiter_for("http://x", "key-a", "starter"), limiter_for("http://x", "key-a", "starter")
    assert one.account is two.account and limiter_for("http://x", "key-b").account is not one.account
