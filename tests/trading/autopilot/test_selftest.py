"""The autopilot self-test: every step of the tick on current data; PAPER places a minimal order only if asked."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bot.cli.main import main
from tests.trading.autopilot.test_autopilot import CFG, World, declining_then_jump
from trading.autopilot.selftest import self_test
from trading.domain import OrderStatus


async def test_a_buy_signal_is_shown_step_by_step_and_placed_minimally_only_when_asked(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.clock.advance(timedelta(seconds=5))
    w.set_closes(declining_then_jump())
    args = (w.exchange, w.cfg, w.clock, w.pilot.limits, w.pilot.kill, "BTC/USD")
    dry = await self_test(*args, enabled=True)
    assert [s.name for s in dry.steps] == ["market data", "indicators", "decision", "risk gate", "sizing", "order"]
    assert dry.ok and dry.verdict.startswith("would BUY") and dry.order_id is None
    assert await w.exchange.fetch_my_trades() == [] and w.db.list_evaluations() == []  # nothing recorded
    stopped = await self_test(*args, enabled=False)
    assert not stopped.ok and "stopped" in stopped.verdict
    placed = await self_test(*args, enabled=True, place=True)
    [fill] = await w.exchange.fetch_my_trades()
    assert placed.order_id == fill.order_id and fill.amount == w.exchange._markets["BTC/USD"].min_amount


async def test_with_maker_entries_the_self_test_shows_the_post_only_limit_at_the_bid_and_its_timeout(
        tmp_path: Path) -> None:
    cfg = CFG.model_copy(update={"entry": "maker", "maker_timeout_bars": 4})
    w = World(tmp_path, cfg)
    w.clock.advance(timedelta(seconds=5))
    w.set_closes(declining_then_jump())
    w.feed.set_price("BTC/USD", "29919.06", "29920.5")  # a bid off the 0.1 step: the limit rounds down
    args = (w.exchange, w.cfg, w.clock, w.pilot.limits, w.pilot.kill, "BTC/USD")
    dry = await self_test(*args, enabled=True)
    assert [s.name for s in dry.steps] == ["market data", "indicators", "decision", "risk gate", "sizing",
                                           "maker entry", "order"], dry.steps
    sizing, maker = dry.steps[4], dry.steps[5]
    assert "at ~29919.0," in sizing.detail  # sized at the limit, not at the ask
    assert maker.detail.startswith("post-only limit buy at 29919.0: the bid 29919.06, rounded down to the 0.1 "
                                   "price step, the ask 29920.5; it rests up to 4 closed 5m candles (20 min)")
    assert "maker fee 0.25%" in maker.detail and "not chased" in maker.detail
    assert dry.ok and dry.verdict.endswith("with a post-only limit at 29919.0 (maker), resting up to 4 candles")
    placed = await self_test(*args, enabled=True, place=True)
    order = await w.exchange.fetch_order(placed.order_id)
    assert order.post_only and order.price == Decimal("29919.0") and order.status is OrderStatus.CANCELED
    assert placed.ok and "rested, then cancelled at once" in placed.steps[-1].detail
    assert await w.exchange.fetch_my_trades() == [] and await w.exchange.fetch_open_orders() == []
    w.feed.set_price("BTC/USD", "29920.5", "29920.5")  # a locked book: joining the bid would take
    refused = await self_test(*args, enabled=True, place=True)
    assert not refused.ok and refused.verdict == "would SKIP: maker entry refused (it would have taken liquidity)"


def test_cli_self_test_on_the_offline_replay(capsys, monkeypatch) -> None:
    monkeypatch.setenv("KRAKEN_API_URL", "http://127.0.0.1:9")  # nothing listens: the offline replay
    code = main(["self-test", "eth"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Self-test of the autopilot on ETH/USD [PAPER]" in out and "market data:" in out and "Verdict:" in out


def test_chat_asks_for_the_self_test_in_plain_words() -> None:
    from datetime import UTC, datetime

    from agent.intents.engine import parse

    [call] = parse("run a test trade on eth", now=datetime(2024, 5, 6, tzinfo=UTC)).calls
    assert (call.name, call.args) == ("autopilot_self_test", {"symbol": "ETH/USD"})
    [call] = parse("buy 0.01 btc", now=datetime(2024, 5, 6, tzinfo=UTC)).calls
    assert call.name == "place_order"
