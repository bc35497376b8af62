"""The daily profit target in real ticks on the paper simulator: reached, it stops new entries for the rest of the
UTC day (the brackets stay), the row says why, a restart keeps it, and the next UTC day trades again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bot.notify.messages import alert_for
from tests.trading.autopilot.test_autopilot import CFG, START, World, declining_then_jump
from trading.autopilot.engine import flatten_all
from trading.decision.evaluation import Decision, SkipReason
from trading.decision.strategies import LONG
from trading.domain import OrderType
from trading.events import EventKind
from trading.risk.daily_target import target_text


def _world(tmp_path: Path, target: str | None) -> World:
    cfg = CFG.model_copy(update={"risk": CFG.risk.model_copy(update={"daily_profit_target": target})})
    cfg = type(CFG).model_validate(cfg.model_dump())  # through validation, as the config file is read
    w = World(tmp_path, cfg)
    w.clock.advance(timedelta(seconds=5))
    return w


async def _gain_then_flat(w: World) -> None:
    w.set_closes(declining_then_jump())
    assert (await w.pilot.tick()).evaluations[0].decision is Decision.ENTER
    w.next_candle(w.closes[-1] * 1.02)  # +2% on a ~25% position: about +0.4% of the day's equity (below its target)
    await w.pilot.tick()


async def test_reaching_the_target_stops_new_entries_until_utc_midnight(tmp_path: Path) -> None:
    w = _world(tmp_path, "0.3%")
    await _gain_then_flat(w)
    reached = w.pilot.target.reached()
    assert reached is not None and reached.gain > Decimal("30") and reached.target == "0.3%"
    [event] = [e for e in w.events if e.kind is EventKind.PROFIT_TARGET_REACHED]  # told once, with an alert
    alert = alert_for(event)
    assert alert is not None and alert.title == "Daily profit target reached: up 0.39% today [PAPER]"
    assert "no new entries until 00:00 UTC" in alert.text
    stops = sorted(o.type for o in await w.exchange.fetch_open_orders())
    assert stops == [OrderType.STOP_LOSS, OrderType.TAKE_PROFIT]  # the open trade keeps its stop and target
    await w.exchange.cancel_all()
    await flatten_all(w.exchange, "USD")  # flat, so the next signal is an entry candidate
    w.dip_and_jump()
    [ev] = (await w.pilot.tick()).evaluations
    assert [e.kind for e in w.events].count(EventKind.PROFIT_TARGET_REACHED) == 1  # not again the next tick
    assert ev.signal == LONG and ev.decision is Decision.SKIP and ev.skip_reason is SkipReason.PROFIT_TARGET
    assert "daily profit target reached at 21:05 UTC" in ev.reasons[-1] and "(target 0.3% = 30.00)" in ev.reasons[-1]
    assert w.db.list_evaluations("BTC/USD", limit=1)[0].skip_reason is SkipReason.PROFIT_TARGET  # the stored row
    text = target_text(w.pilot.cfg.risk.daily_profit_target, reached.start_equity, "USD", reached=reached)
    assert text.startswith("0.30% = 30.00 USD of the day's start equity 10,000.00 USD; REACHED at 21:05 UTC")

    w.restart()  # the reached day is stored: a restart keeps it
    assert w.pilot.target.blocking_reason() is not None
    w.clock.set(datetime(2024, 3, 5, 0, 0, 5, tzinfo=UTC))  # past 00:00 UTC: a new day, entries again
    assert w.pilot.target.reached() is None and w.pilot._gate("BTC/USD") is None


async def test_without_a_target_the_same_day_trades_on(tmp_path: Path) -> None:
    w = _world(tmp_path, None)
    await _gain_then_flat(w)
    assert w.pilot.target.reached() is None
    await w.exchange.cancel_all()
    await flatten_all(w.exchange, "USD")
    w.dip_and_jump()
    [ev] = (await w.pilot.tick()).evaluations
    assert ev.decision is Decision.ENTER and w.clock.now().date() == START.date()


async def test_a_target_set_at_run_time_counts_from_the_next_tick_and_removing_it_reopens(tmp_path: Path) -> None:
    w = _world(tmp_path, None)
    w.db.set_overrides("risk", {"daily_profit_target": "25 USD"}, by="test", at=w.clock.now())
    await _gain_then_flat(w)
    assert w.pilot.target.reached() is not None and str(w.pilot.cfg.risk.daily_profit_target) == "25 USD"
    w.db.set_overrides("risk", {"daily_profit_target": "none"}, by="test", at=w.clock.now())
    await w.exchange.cancel_all()
    await flatten_all(w.exchange, "USD")
    w.dip_and_jump()
    [ev] = (await w.pilot.tick()).evaluations
    assert ev.decision is Decision.ENTER  # "no daily profit target": entries resume the same day
