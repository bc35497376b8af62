"""autopilot_status names every pair still warming up, with the evaluation's own reason (never a silent
stand-aside): a real tick with a 4h trend on the Kraken stand-in, then the tool on the same database."""

from __future__ import annotations

from pathlib import Path

from tests.fakes import FakeFeed
from tests.trading.autopilot.test_history import CFG4H, NOW, _tick
from tools.autopilot import AutopilotArgs, autopilot_status
from tools.context import ToolContext
from trading.clock import ManualClock
from trading.domain import Mode
from trading.exchange.paper.exchange import PaperExchange


async def test_auto_status_says_which_pairs_warm_up_and_until_when(tmp_path: Path) -> None:
    ev, _, db = await _tick(tmp_path)
    clock = ManualClock(NOW)
    ctx = ToolContext(mode=Mode.PAPER, exchange=PaperExchange(FakeFeed(clock=clock), db, clock), journal=db,
                      clock=clock, quote_currency="USD", credentials_present=False, log_level="INFO",
                      database="test", store=db, trading_config=CFG4H)
    status = await autopilot_status(ctx, AutopilotArgs())
    assert status.warming_up == (f"BTC/USD: {ev.reasons[-1]}",)
    assert "Warming up, standing aside: BTC/USD: 4h trend needs 8.5 days of 5m candles" in status.text()
    assert "trading starts ~" in status.text() and "zyn data fetch BTC/USD --since 2026-11-23" in status.text()
