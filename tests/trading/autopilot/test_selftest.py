"""The autopilot self-test: every step of the tick on current data; PAPER places a minimal order only if asked."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.cli.main import main
from tests.trading.autopilot.test_autopilot import World, declining_then_jump
from trading.autopilot.selftest import self_test


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
