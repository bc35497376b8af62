"""The tool catalogue over a real paper exchange and database: order helpers, reports, explanations, risk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from memory import open_database
from tests.fakes import FakeFeed
from tools.catalog import CATALOG, invoke
from tools.context import ToolContext
from trading.clock import ManualClock
from trading.config import TradingConfig, with_risk_overrides
from trading.decision.evaluation import Decision, Evaluation, FilterResult, SkipReason
from trading.domain import Mode, OrderType
from trading.errors import InputError
from trading.exchange.paper.exchange import PaperExchange

NOW = datetime(2024, 5, 6, 14, 7, tzinfo=UTC)


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    clock = ManualClock(NOW)
    feed = FakeFeed(clock=clock)
    feed.set_price("BTC/USD", "60000.0", "60010.0")
    feed.set_price("ETH/USD", "3000.00", "3000.50")
    db = open_database(Mode.PAPER, tmp_path)
    ex = PaperExchange(feed, db, clock)
    ctx = ToolContext(mode=Mode.PAPER, exchange=ex, journal=db, clock=clock, quote_currency="USD",
                      credentials_present=False, log_level="INFO", database="test", store=db,
                      trading_config=TradingConfig())
    ctx.feed = feed  # the test moves prices through it
    return ctx


async def test_quote_amount_and_percentage_bracket_are_rounded_to_the_market(ctx: ToolContext) -> None:
    r = await invoke(ctx, "place_bracket_order", {"symbol": "eth", "side": "buy", "quote_amount": "200",
                                                  "stop_pct": "2", "take_profit_pct": "5"})
    # 200 / 3000.50 = 0.06665555...: rounded down to the 1e-8 step; exits 2% / 5% from the ask, on 0.01 ticks.
    assert r.order.amount == Decimal("0.06665555")
    assert r.bracket.stop_price == Decimal("2940.49") and r.bracket.take_profit_price == Decimal("3150.53")
    assert sorted(c.type for c in r.children) == [OrderType.STOP_LOSS, OrderType.TAKE_PROFIT]
    with pytest.raises(InputError, match="stop and a take-profit"):
        await invoke(ctx, "place_bracket_order", {"symbol": "ETH/USD", "side": "buy", "amount": "0.1"})
    with pytest.raises(InputError, match="either an amount"):
        await invoke(ctx, "place_order", {"symbol": "ETH/USD", "side": "buy", "amount": "1", "quote_amount": "5"})


async def test_balances_positions_and_performance(ctx: ToolContext) -> None:
    await invoke(ctx, "place_order", {"symbol": "BTC/USD", "side": "buy", "amount": "0.1"})
    bal = await invoke(ctx, "get_balances")
    assert {b.asset for b in bal.balances} == {"BTC", "USD"} and "BTC 0.1" in bal.text()
    pos = await invoke(ctx, "get_positions")
    assert "BTC/USD 0.1" in pos.text()
    ctx.feed.set_price("BTC/USD", "61000.0", "61010.0")
    await invoke(ctx, "place_order", {"symbol": "BTC/USD", "side": "sell", "amount": "0.1"})
    perf = await invoke(ctx, "performance_report", {"period": "today"})
    fills = await ctx.exchange.fetch_my_trades()
    buy = next(f for f in fills if f.side.value == "buy")
    sell = next(f for f in fills if f.side.value == "sell")
    expected = (sell.price - (buy.price * buy.amount + buy.fee) / buy.amount) * sell.amount - sell.fee
    assert perf.trades == 1 and perf.realized_pnl == expected and perf.wins == 1
    assert perf.by_symbol == {"BTC/USD": expected} and perf.by_strategy == {"no strategy": expected}
    assert perf.by_source == {"service": expected}  # invoke: the service's own call, not a person's
    assert perf.fees == buy.fee + sell.fee
    assert (await invoke(ctx, "performance_report", {"period": "all"})).realized_pnl == expected
    with pytest.raises(InputError):
        await invoke(ctx, "performance_report", {"period": "decade"})


def _ev(symbol: str, minutes: int, decision: Decision, skip: SkipReason | None, reasons: tuple[str, ...]) -> Evaluation:
    t = NOW.replace(minute=0) + timedelta(minutes=minutes)
    return Evaluation(symbol=symbol, candle_time=t, evaluated_at=t + timedelta(minutes=5, seconds=5),
                      decision=decision, regime="range", strategy="mean_reversion", signal=0, reasons=reasons,
                      skip_reason=skip, filters=(FilterResult("volume", False, 0.3, 0.6, "enough volume: FAILED"),))


async def test_why_not_and_explain(ctx: ToolContext) -> None:
    ctx.store.record_evaluation(_ev("BTC/USD", -10, Decision.SKIP, SkipReason.NO_SIGNAL, ("price inside the bands",)))
    ctx.store.record_evaluation(_ev("BTC/USD", -5, Decision.SKIP, SkipReason.FILTER_FAILED, ("volume too low",)))
    at_1357 = await invoke(ctx, "why_not_trade", {"symbol": "xbtusd", "at": "2024-05-06T13:57:00Z"})
    assert "filter failed" in at_1357.text() and "volume too low" in at_1357.text()
    today = await invoke(ctx, "why_not_trade", {"symbol": "BTC/USD"})
    assert today.evaluations == 2 and today.reasons == {"no_signal": 1, "filter_failed": 1}
    last = await invoke(ctx, "explain_evaluation", {"symbol": "BTC/USD"})
    assert "13:55" in last.text()
    none = await invoke(ctx, "why_not_trade", {"symbol": "ETH/USD", "at": "2024-05-06T09:00:00Z"})
    assert "no autopilot evaluation" in none.text()
    with pytest.raises(InputError):
        await invoke(ctx, "why_not_trade", {"symbol": "BTC/USD", "at": "yesterday-ish"})


async def test_set_risk_is_bounded_persisted_and_applied(ctx: ToolContext) -> None:
    r = await invoke(ctx, "set_risk", {"risk_per_trade": "0.02", "max_trades_total": 12})
    assert r.risk["risk_per_trade"] == "0.02" and "next tick" in r.text()
    assert ctx.store.get_overrides("risk") == {"risk_per_trade": "0.02", "max_trades_total": "12"}
    cfg = with_risk_overrides(TradingConfig(), ctx.store.get_overrides("risk"))
    assert cfg.risk.risk_per_trade == Decimal("0.02") and cfg.risk.max_trades_total == 12
    for bad in ({"risk_per_trade": "0.5"}, {"daily_loss_limit": "-1"}, {}, {"leverage": 10}):
        with pytest.raises(InputError):
            await invoke(ctx, "set_risk", bad)
    assert ctx.store.get_overrides("risk") == {"risk_per_trade": "0.02", "max_trades_total": "12"}


def test_every_tool_is_described_and_typed() -> None:
    for name, tool in CATALOG.items():
        assert tool.name == name and tool.description and tool.args.model_json_schema()


def test_old_pictures_are_pruned_and_new_ones_kept(tmp_path) -> None:  # noqa: ANN001
    import os
    import time

    from tools.pictures import prune

    old, new = tmp_path / "old.png", tmp_path / "new.png"
    for p in (old, new):
        p.write_bytes(b"\x89PNG")
    week_ago = time.time() - 8 * 86400
    os.utime(old, (week_ago, week_ago))
    (tmp_path / "notes.txt").write_text("kept")
    assert prune(tmp_path, 7) == 1 and not old.exists() and new.exists() and (tmp_path / "notes.txt").exists()
    assert prune(tmp_path / "missing", 7) == 0
