"""The risk gate: exact ATR sizing and its refusals, daily limits across UTC midnight, the kill switch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from memory import Database, open_database
from tests.fakes import btc_usd
from trading.clock import ManualClock
from trading.config import RiskSettings
from trading.decision.evaluation import SkipReason
from trading.domain import Market, Mode
from trading.risk.limits import DailyLimits, KillSwitch
from trading.risk.sizing import Sizing, open_risk, size_long
from trading.risk.state import RiskStore

CFG = RiskSettings(min_reward_to_cost=D("0"))  # fee gate off here (tested on its own); 1% per trade, stop 2 ATR, target 3 ATR, 5% portfolio cap, 25% per position, 3% daily loss
FEE = D("0.004")
T0 = datetime(2024, 3, 4, 23, 50, tzinfo=UTC)  # ten minutes before a UTC midnight


def sol() -> Market:
    return Market(symbol="SOL/USD", exchange_id="SOLUSD", altname="SOLUSD", base="SOL", quote="USD",
                  price_step=D("0.01"), amount_step=D("0.001"), min_amount=D("0.05"), min_cost=D("5"))


def size(**kw: object) -> Sizing | tuple[SkipReason, str]:
    args: dict[str, object] = dict(equity=D("10000"), free_quote=D("10000"), entry=D("100"), atr=D("3.3333"),
                                   market=sol(), cfg=CFG, open_risk=D("0"), taker_fee=FEE)
    args.update(kw)
    return size_long(**args)  # type: ignore[arg-type]


# ---- sizing ------------------------------------------------------------------------------------------


def test_risk_per_trade_sizing_rounds_stop_down_target_up_and_amount_down() -> None:
    s = size()
    # stop 100 - 6.6666 = 93.3334 -> 93.33; target 100 + 9.9999 -> 110.00; the loss per SOL at the stop is the
    # distance plus taker fees both ways: 6.67 + 0.004 x (100 + 93.33) = 7.44332; amount 100 / 7.44332 -> 13.434
    assert s == Sizing(amount=D("13.434"), entry=D("100"), stop=D("93.33"), target=D("110.00"),
                       risk=D("13.434") * (D("6.67") + FEE * (D("100") + D("93.33"))))
    assert s.risk == D("99.99356088")  # never more than 1% of equity, fees included


def test_position_cap_binds_when_the_stop_is_far() -> None:
    s = size_long(equity=D("10000"), free_quote=D("10000"), entry=D("30000"), atr=D("100.03"), market=btc_usd(),
                  cfg=CFG, open_risk=D("0"), taker_fee=FEE)
    # by risk 100 / 200.1 = 0.4997 BTC; the 25% position cap allows 2500 / 30000 = 0.08333333 BTC
    assert s == Sizing(amount=D("0.08333333"), entry=D("30000"), stop=D("29799.9"), target=D("30300.1"),
                       risk=D("36.608298535668"))


def test_a_target_that_does_not_clear_the_fees_is_refused() -> None:
    gated = RiskSettings()  # the default: the reward after fees must be at least 2x the fees
    # BTC at 30000, ATR 100: target 30300.1 is 300.1 away; fees both ways 0.004 x 60300.1 = 241.2004
    refused = size_long(equity=D("10000"), free_quote=D("10000"), entry=D("30000"), atr=D("100.03"),
                        market=btc_usd(), cfg=gated, open_risk=D("0"), taker_fee=FEE)
    assert refused[0] is SkipReason.EDGE_BELOW_COSTS and "241.2" in refused[1]
    ok = size_long(equity=D("10000"), free_quote=D("10000"), entry=D("30000"), atr=D("300"), market=btc_usd(),
                   cfg=gated, open_risk=D("0"), taker_fee=FEE)  # target 900 away >= 3 x 243.6
    assert isinstance(ok, Sizing)


def test_free_balance_caps_the_amount_including_the_fee() -> None:
    s = size(free_quote=D("500"))
    assert isinstance(s, Sizing)
    assert s.amount == D("4.980")  # 500 / (100 x 1.004) = 4.98007...
    assert s.amount * s.entry * (1 + FEE) <= D("500")


def test_below_minimum_amount_names_the_numbers() -> None:
    refused = size_long(equity=D("3"), free_quote=D("3"), entry=D("30000"), atr=D("100"), market=btc_usd(),
                        cfg=CFG, open_risk=D("0"), taker_fee=FEE)
    assert refused[0] is SkipReason.SIZE_BELOW_MIN
    assert refused[1].startswith("size 0.000025 BTC below the 0.0001 minimum")


def test_below_minimum_cost_names_the_numbers() -> None:
    refused = size(equity=D("16"))  # 1% of 16 over a 7.44332 loss per SOL: 0.021 SOL < 0.05 minimum
    assert refused == (SkipReason.SIZE_BELOW_MIN,
                       "size 0.021 SOL below the 0.05 minimum (risk per trade at equity 16 USD)")
    market = Market(symbol="SOL/USD", exchange_id="SOLUSD", altname="SOLUSD", base="SOL", quote="USD",
                    price_step=D("0.01"), amount_step=D("0.001"), min_amount=D("0.01"), min_cost=D("5"))
    refused = size(equity=D("16"), market=market)
    assert refused[0] is SkipReason.SIZE_BELOW_MIN
    assert refused[1].startswith("order cost 2.1 USD below the 5 USD minimum")


@pytest.mark.parametrize("atr", [D("0"), D("-1")])
def test_non_positive_atr_is_refused(atr: D) -> None:
    refused = size(atr=atr)
    assert refused[0] is SkipReason.SIZE_BELOW_MIN and f"ATR is {atr}: no stop distance" in refused[1]


def test_stop_at_or_below_zero_is_refused() -> None:
    refused = size(entry=D("10"), atr=D("6"))
    assert refused[0] is SkipReason.SIZE_BELOW_MIN
    assert refused[1].startswith("stop -2 would be at or below zero (entry 10, ATR 6 x 2)")
    assert size(entry=D("10"), atr=D("5"))[0] is SkipReason.SIZE_BELOW_MIN  # exactly zero


def test_insufficient_balance_when_free_quote_cannot_buy_the_minimum() -> None:
    refused = size_long(equity=D("10000"), free_quote=D("2"), entry=D("30000"), atr=D("100"), market=btc_usd(),
                        cfg=CFG, open_risk=D("0"), taker_fee=FEE)
    assert refused == (SkipReason.INSUFFICIENT_BALANCE,
                       "free 2 USD cannot buy the minimum 0.0001 BTC (needs 3.01 USD with fees)")
    # the minimum 0.05 SOL (5 USD at 100) needs 5.02 USD with the fee
    assert size(free_quote=D("5.01"))[0] is SkipReason.INSUFFICIENT_BALANCE
    assert isinstance(size(free_quote=D("5.03")), Sizing)


def test_portfolio_risk_cap_shrinks_to_the_remaining_budget() -> None:
    s = size(open_risk=D("450"))  # the cap is 500: 50 left, 7.44332 at risk per SOL
    assert isinstance(s, Sizing)
    assert s.amount == D("6.717") and s.risk == D("49.99678044")
    assert D("450") + s.risk <= D("500")


def test_portfolio_risk_cap_refuses_when_the_remainder_is_below_the_minimum() -> None:
    refused = size(open_risk=D("499.9"))
    assert refused[0] is SkipReason.RISK_CAP
    assert refused[1] == ("open risk 499.9 + this trade's 99.99 USD would exceed the 500 USD cap (5% of equity); "
                          "the 0.1 left buys 0.013 SOL, below the 0.05 minimum")
    assert size(open_risk=D("600"))[0] is SkipReason.RISK_CAP  # already over the cap


def test_open_risk_sums_losses_to_the_stops() -> None:
    assert open_risk([(D("1"), D("100"), D("90")), (D("0.5"), D("50"), D("40"))]) == D("15")
    assert open_risk([(D("1"), D("100"), D("110"))]) == D("0")  # a stop in profit risks nothing
    assert open_risk([]) == D("0")


# ---- persisted state ---------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(Mode.PAPER, tmp_path)
    yield database
    database.close()


def test_database_is_a_risk_store(db: Database) -> None:
    store: RiskStore = db
    assert store.get_day(date(2024, 3, 4)) is None and not store.get_kill_switch().tripped


def test_daily_limits_per_symbol_and_total_reset_at_utc_midnight(db: Database, tmp_path: Path) -> None:
    cfg = RiskSettings(max_trades_per_symbol=2, max_trades_total=3)
    clock = ManualClock(T0)
    limits = DailyLimits(db, cfg, clock)
    assert limits.ensure_day(D("10000")).start_equity == D("10000")
    assert limits.ensure_day(D("9000")).start_equity == D("10000")  # the day's start is set once
    for _ in range(2):
        assert limits.check("BTC/USD") is None
        limits.record_entry("BTC/USD")
    assert limits.check("BTC/USD") == (SkipReason.DAILY_LIMIT, "BTC/USD: 2 of 2 entries today")
    assert limits.check("ETH/USD") is None
    limits.record_entry("ETH/USD")
    assert limits.check("SOL/USD") == (SkipReason.DAILY_LIMIT, "3 of 3 entries today, all symbols")

    reopened = open_database(Mode.PAPER, tmp_path)  # a restart: the counts survive
    try:
        again = DailyLimits(reopened, cfg, clock)
        assert again.counts().trades_by_symbol == {"BTC/USD": 2, "ETH/USD": 1}
        assert again.check("BTC/USD") is not None
        clock.advance(timedelta(minutes=9, seconds=59))  # 23:59:59: still the same day
        assert again.check("SOL/USD") is not None
        clock.advance(timedelta(seconds=1))  # 00:00:00 UTC: a new day
        fresh = again.counts()
        assert fresh.day == date(2024, 3, 5) and fresh.trades_total == 0 and fresh.start_equity is None
        assert again.check("BTC/USD") is None and again.check("SOL/USD") is None
        assert again.ensure_day(D("9500")).start_equity == D("9500")
        assert reopened.get_day(date(2024, 3, 4)).trades_total == 3  # yesterday is kept
    finally:
        reopened.close()


def test_an_entry_before_the_day_started_still_counts(db: Database) -> None:
    limits = DailyLimits(db, RiskSettings(), ManualClock(T0))
    limits.record_entry("BTC/USD")
    day = limits.ensure_day(D("123.45"))
    assert day.trades_total == 1 and day.start_equity == D("123.45")


def test_kill_switch_trips_only_in_the_crossing_tick(db: Database) -> None:
    clock = ManualClock(T0 - timedelta(hours=10))
    kill = KillSwitch(db, CFG, clock)
    start = D("10000")  # 3% limit: trips at 9700 or less
    assert not kill.check(D("9800"), start)
    assert not kill.check(D("9700.01"), start)
    assert kill.blocking_reason() is None
    assert kill.check(D("9700"), start)  # the crossing tick
    assert not kill.check(D("9500"), start)  # not twice
    assert kill.is_tripped()
    state = kill.state
    assert state.tripped and state.day == date(2024, 3, 4) and state.equity_at_trip == D("9700")
    assert state.start_equity == start and state.tripped_at == clock.now()
    assert state.reason == "equity 9700 is 300 (3%) below the day's start 10000 (limit 3% = 300.00)"
    reason, text = kill.blocking_reason()
    assert reason is SkipReason.KILL_SWITCH
    assert text == ("kill switch tripped at 13:50 UTC: equity 9700 is 300 (3%) below the day's start 10000 (limit 3% = 300.00); "
                    "no new entries until 00:00 UTC or an admin reset")


def test_kill_switch_survives_a_restart_and_resets_the_next_utc_day(db: Database, tmp_path: Path) -> None:
    clock = ManualClock(T0)
    assert KillSwitch(db, CFG, clock).check(D("9000"), D("10000"))
    db.close()
    reopened = open_database(Mode.PAPER, tmp_path)
    try:
        kill = KillSwitch(reopened, CFG, clock)
        assert kill.is_tripped()
        assert not kill.check(D("8000"), D("10000"))
        clock.set(datetime(2024, 3, 4, 23, 59, 59, tzinfo=UTC))
        assert kill.is_tripped() and kill.blocking_reason() is not None
        clock.set(datetime(2024, 3, 5, 0, 0, tzinfo=UTC))  # the next UTC day
        assert not kill.is_tripped() and kill.blocking_reason() is None
        assert not kill.check(D("8000"), D("8000"))  # the new day starts from today's equity
        assert kill.check(D("7760"), D("8000"))  # and can trip again on its own loss
        assert kill.state.day == date(2024, 3, 5)
    finally:
        reopened.close()


def test_explicit_reset_is_persisted_and_needs_a_further_loss_to_trip_again(db: Database, tmp_path: Path) -> None:
    clock = ManualClock(T0 - timedelta(hours=5))
    kill = KillSwitch(db, CFG, clock)
    assert not kill.reset("admin:1")  # nothing to reset
    assert kill.check(D("9650"), D("10000"))
    clock.advance(60)
    assert kill.reset("admin:1")
    assert not kill.is_tripped() and kill.blocking_reason() is None
    reopened = open_database(Mode.PAPER, tmp_path)
    try:
        state = KillSwitch(reopened, CFG, clock).state
        assert not state.tripped and state.reset_by == "admin:1" and state.reset_at == clock.now()
        assert state.equity_at_trip == D("9650")  # the trip's facts stay for the record
    finally:
        reopened.close()
    # Still below the day's line, but the switch was reset: it trips again only 3% below where it tripped.
    assert not kill.check(D("9600"), D("10000"))
    assert not kill.check(D("9360.51"), D("10000"))
    assert kill.check(D("9360.5"), D("10000"))
    assert kill.state.reset_by is None and kill.is_tripped()
