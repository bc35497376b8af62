"""LIVE self-test on the Kraken stand-in: a buy signal is validated by Kraken (validate=true), never placed."""

from __future__ import annotations

from datetime import timedelta

from tests.trading.autopilot.test_autopilot import CFG, declining_then_jump
from tests.trading.exchange.conftest import KRAKEN_NOW
from tests.trading.exchange.kraken.live_env import PAIR, Live
from trading.autopilot.selftest import self_test


def serve_buy_signal(live: Live) -> None:
    forming = KRAKEN_NOW.replace(minute=5, second=0)  # the 12:05 candle is still forming
    closes = declining_then_jump()
    rows = []
    for k, close in enumerate([*closes, closes[-1]]):
        t = forming - timedelta(minutes=5 * (len(closes) - k))
        o = closes[k - 1] if k else close
        rows.append([int(t.timestamp()), str(o), str(max(o, close) + 120), str(min(o, close) - 120), str(close),
                     str(close), "10", 5])
    live.k.set_candles(PAIR, rows)
    last = closes[-1]
    live.k.set_price(PAIR, str(last - 0.5), str(last + 0.5))


async def test_live_self_test_validates_only(live_standin, tmp_path) -> None:
    live = Live(live_standin, tmp_path)
    serve_buy_signal(live)
    report = await self_test(live.ex, CFG, live.clock, live.pilot.limits, live.pilot.kill, "BTC/USD", enabled=True,
                             place=True)
    assert report.verdict.startswith("would BUY"), report
    assert report.steps[-1].name == "order (validate only)" and report.steps[-1].ok
    [add] = live.k.calls("AddOrder")
    assert add["validate"] in ("true", "True", "1") and live.open_orders() == [] and report.order_id is None
    await live.close()


async def test_live_self_test_with_maker_entries_validates_the_post_only_limit_at_the_bid(live_standin,
                                                                                          tmp_path) -> None:
    live = Live(live_standin, tmp_path)
    serve_buy_signal(live)
    cfg = CFG.model_copy(update={"entry": "maker", "maker_timeout_bars": 3})
    report = await self_test(live.ex, cfg, live.clock, live.pilot.limits, live.pilot.kill, "BTC/USD", enabled=True,
                             place=True)
    assert report.ok and report.verdict.endswith("post-only limit at 29919.5 (maker), resting up to 3 candles")
    maker, order = report.steps[-2:]
    assert maker.name == "maker entry" and maker.detail.startswith(
        "post-only limit buy at 29919.5: the bid 29919.5, the ask 29920.5; it rests up to 3 closed 5m candles (15 min)")
    assert "maker fee 0.16%" in maker.detail  # Kraken's, from its markets
    assert order.name == "order (validate only)" and "post-only limit buy" in order.detail
    [add] = live.k.calls("AddOrder")
    assert add["validate"] in ("true", "True", "1") and add["oflags"] == "post" and add["ordertype"] == "limit"
    assert add["price"] == "29919.5" and live.open_orders() == [] and report.order_id is None
    live.k.set_price(PAIR, "29920.5", "29920.5")  # a locked book: joining the bid would take; Kraken refuses it
    refused = await self_test(live.ex, cfg, live.clock, live.pilot.limits, live.pilot.kill, "BTC/USD", enabled=True)
    assert not refused.ok and "Post only order" in refused.steps[-1].detail and live.open_orders() == []
    await live.close()
