"""Every reply that shows money or trades says the mode (PAPER / LIVE) and the data's time: every read tool of
the catalogue but the few that show neither, run through the real gate, and the chat reply built from them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from agent.reply import reply_from
from tests.agent.world import NOW, OWNER, make_world
from tools.base import Permission, ToolFlag
from tools.catalog import CATALOG, UNSTAMPED
from tools.gate import CallerKind, Gate, ToolCall
from tools.gate.confirm import Confirmations
from trading.domain import Candle, Mode

ARGS = {"get_price": {"symbol": "BTC/USD"}, "make_chart": {"symbol": "BTC/USD"},
        "get_candles": {"symbol": "BTC/USD"}, "report": {"chart": False}}
READS = sorted(n for n, t in CATALOG.items() if t.permission is Permission.READ)


def test_only_tools_without_money_or_trades_are_unstamped() -> None:
    unstamped_reads = {n for n in READS if not CATALOG[n].has(ToolFlag.STAMPED)}
    assert unstamped_reads == {"get_status", "alert_settings", "run_backtest", "learning_status",
                               "why_strategy_off"}  # a new read tool is stamped
    assert all(CATALOG[n].has(ToolFlag.STAMPED) for n in CATALOG if n not in UNSTAMPED)


@pytest.mark.parametrize("mode", [Mode.PAPER, Mode.LIVE])
@pytest.mark.parametrize("name", [n for n in READS if n not in UNSTAMPED])
async def test_every_read_tool_with_money_says_the_mode_and_the_time(tmp_path: Path, name: str, mode: Mode) -> None:
    world = make_world(tmp_path, mode=mode)
    await world.seed_btc()
    start = NOW.replace(minute=0) - timedelta(hours=2)
    world.feed.candles["BTC/USD"] = [Candle("BTC/USD", start + timedelta(minutes=5 * i), D(64000), D(64100), D(63900),
                                            D(64000 + i), D(2), closed=True) for i in range(24)]
    gate = Gate(world.ctx, Confirmations(world.db, world.clock))
    outcome = await gate.execute(OWNER, ToolCall(name, ARGS.get(name, {})), kind=CallerKind.TEXT)
    assert outcome.ok, outcome.error
    stamp = f"{mode.value.upper()} · as of 2024-05-06 14:07 UTC"
    assert outcome.stamp == stamp and outcome.text().endswith(stamp)
    reply = reply_from([outcome, outcome], source="offline")
    assert reply.text.endswith(stamp) and reply.text.count(stamp) == 1  # said once, at the end
    world.db.close()


async def test_the_owners_zone_is_shown_beside_utc(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.ctx.timezone = "Asia/Tokyo"
    gate = Gate(world.ctx, Confirmations(world.db, world.clock))
    outcome = await gate.execute(OWNER, ToolCall("get_balances", {}), kind=CallerKind.TEXT)
    assert outcome.stamp == "PAPER · as of 2024-05-06 14:07 UTC (Mon 06 May 23:07 Asia/Tokyo)"
    world.db.close()
