"""Orders that would execute at once, and buys while the kill switch is tripped, wait for an explicit yes with
the reason in words: in chat (offline engine), through a slash command's gate call and on the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli.main import main
from memory import open_database
from tests.agent.world import OWNER, make_world
from tools.gate import CallerKind, ToolCall
from trading.domain import Mode
from trading.risk.state import KillSwitchState


async def test_a_limit_sell_below_the_bid_asks_first_and_says_it_fills_now(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    await world.seed_btc()
    reply = await world.agent.handle(OWNER, "sell 0.01 btc @ 50k")  # BTC bid is 64,000
    assert reply.pending is not None and "fills now at about 64000" in reply.pending.summary
    assert "CAUTION" in reply.text and await world.order_count() == 1  # only the seed: nothing sold yet
    done = await world.agent.handle(OWNER, f"yes {reply.pending.code}")
    assert "sell" in done.text.lower() and await world.order_count() == 2


@pytest.mark.parametrize(("args", "why"), [
    ({"type": "limit", "price": "70000", "side": "buy"}, "fills now at about 64010"),
    ({"type": "stop-loss", "trigger": "65000", "side": "sell"}, "triggers now"),
    ({"type": "take-profit", "trigger": "60000", "side": "sell"}, "already reached"),
    ({"side": "buy", "stop": "64500", "take_profit": "70000"}, "stop 64500 is on the wrong side"),
])
async def test_orders_on_the_wrong_side_of_the_market_wait(tmp_path: Path, args: dict, why: str) -> None:
    world = make_world(tmp_path)
    await world.seed_btc()
    call = ToolCall("place_order", {"symbol": "BTC/USD", "amount": "0.001", **args})
    out = await world.agent.gate.execute(OWNER, call, kind=CallerKind.COMMAND)
    assert out.pending is not None and why in out.pending.summary, out.error or out.pending


async def test_a_sane_limit_order_still_runs_at_once_in_paper(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    call = ToolCall("place_order", {"symbol": "BTC/USD", "side": "buy", "amount": "0.001", "type": "limit",
                                    "price": "60000"})
    out = await world.agent.gate.execute(OWNER, call, kind=CallerKind.COMMAND)
    assert out.ok and out.pending is None and out.result.order.status.value == "open"


def test_cli_buy_while_the_kill_switch_is_tripped_needs_yes(capsys, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    db = open_database(Mode.PAPER, tmp_path / "data")
    now = datetime.now(UTC)
    db.put_kill_switch(KillSwitchState(tripped=True, tripped_at=now, day=now.date(), reason="down 3.2% today",
                                       equity_at_trip=Decimal("9680"), start_equity=Decimal("10000")))
    db.close()
    code = main(["order", "buy", "BTC/USD", "0.001"])
    _, err = capsys.readouterr()
    assert code == 1 and "kill switch is TRIPPED" in err and "--yes" in err and "Nothing changed" in err
    code = main(["order", "buy", "BTC/USD", "0.001", "--yes", "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["order"]["status"] == "closed", err
    code = main(["order", "sell", "BTC/USD", "0.001", "--json"])  # selling while tripped only reduces risk
    out, err = capsys.readouterr()
    assert code == 0, err
