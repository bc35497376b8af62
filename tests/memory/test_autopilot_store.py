"""The autopilot's persistence: idempotent tick claims, run state, risk state and the evaluation log."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from memory import Database, open_database
from trading.autopilot.state import AutopilotState
from trading.decision.evaluation import Decision, Evaluation, FilterResult, SkipReason
from trading.domain import Mode
from trading.risk.state import DayState, KillSwitchState

T0 = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)
FIVE = timedelta(minutes=5)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(Mode.PAPER, tmp_path)
    yield database
    database.close()


def evaluation(symbol: str = "BTC/USD", candle: datetime = T0, **kw: object) -> Evaluation:
    values: dict[str, object] = dict(
        symbol=symbol, candle_time=candle, evaluated_at=candle + FIVE + timedelta(seconds=5, microseconds=123456),
        decision=Decision.SKIP, regime="range", strategy="mean_reversion", signal=0,
        indicators={"close": 65000.1, "rsi": 0.1 + 0.2, "atr": 1e-300, "sma_fast": None, "big": 123456789.12345679},
        regime_values={"adx": 18.25, "chop": 55.5},
        filters=(FilterResult("rsi_max_long", True, 48.125, 75.0, "RSI 48.1 <= 75"),
                 FilterResult("volume", False, None, 0.6, "")),
        reasons=("price above the lower band", "no signal: RSI 48.1 is not below 40 — «unicode» ok"),
        skip_reason=SkipReason.NO_SIGNAL, position={"amount": "0.00120000", "avg_price": "64000.1"},
        order_id=None, mode="paper")
    values.update(kw)
    return Evaluation(**values)  # type: ignore[arg-type]


# ---- tick claims ------------------------------------------------------------------------------------


def test_claim_tick_is_true_once_even_after_reopening(db: Database, tmp_path: Path) -> None:
    assert db.claim_tick("BTC/USD", T0)
    assert not db.claim_tick("BTC/USD", T0)  # a duplicate fire
    assert db.claim_tick("ETH/USD", T0) and db.claim_tick("BTC/USD", T0 + FIVE)
    db.close()
    reopened = open_database(Mode.PAPER, tmp_path)  # a restart mid-tick
    try:
        assert not reopened.claim_tick("BTC/USD", T0)
        assert not reopened.claim_tick("BTC/USD", T0.astimezone(ZoneInfo("Europe/Paris")))
        assert reopened.claim_tick("BTC/USD", T0 + 2 * FIVE)
    finally:
        reopened.close()


def _claim_all(args: tuple[str, int]) -> int:
    """In another process: claim n candles, return how many this process won."""
    folder, n = args
    database = open_database(Mode.PAPER, Path(folder))
    try:
        return sum(database.claim_tick("BTC/USD", T0 + i * FIVE) for i in range(n))
    finally:
        database.close()


def test_two_processes_never_both_claim_a_candle(tmp_path: Path) -> None:
    open_database(Mode.PAPER, tmp_path).close()  # created and stamped before the race
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        won = pool.map(_claim_all, [(str(tmp_path), 40)] * 2)
    assert sum(won) == 40


# ---- run state --------------------------------------------------------------------------------------


def test_autopilot_state_defaults_then_persists(db: Database, tmp_path: Path) -> None:
    assert db.get_autopilot_state() == AutopilotState(enabled=False)
    db.set_autopilot_enabled(True, by="telegram:42", at=T0)
    db.record_tick(T0 + timedelta(seconds=5), T0 - FIVE, T0 + FIVE + timedelta(seconds=5))
    db.record_tick(T0 + FIVE + timedelta(seconds=5), None, T0 + 2 * FIVE + timedelta(seconds=5))  # nothing new
    expected = AutopilotState(enabled=True, last_tick_at=T0 + FIVE + timedelta(seconds=5), last_candle_time=T0 - FIVE,
                              next_tick_at=T0 + 2 * FIVE + timedelta(seconds=5), updated_at=T0,
                              note="started by telegram:42")
    assert db.get_autopilot_state() == expected
    db.set_autopilot_enabled(False, by="cli", at=T0 + FIVE)
    db.close()
    reopened = open_database(Mode.PAPER, tmp_path)
    try:
        state = reopened.get_autopilot_state()
        assert not state.enabled and state.note == "stopped by cli" and state.updated_at == T0 + FIVE
        assert state.last_candle_time == T0 - FIVE
    finally:
        reopened.close()


def test_record_tick_before_any_start_leaves_it_never_set(db: Database) -> None:
    db.record_tick(T0, T0 - FIVE, T0 + FIVE)
    state = db.get_autopilot_state()
    assert not state.enabled and state.updated_at is None and state.last_tick_at == T0


# ---- risk state -------------------------------------------------------------------------------------


def test_risk_day_and_kill_switch_round_trip(db: Database) -> None:
    day = DayState(date(2024, 3, 4), D("10000.12345678"), 3, {"BTC/USD": 2, "ETH/USD": 1})
    db.put_day(day)
    assert db.get_day(date(2024, 3, 4)) == day
    db.put_day(DayState(date(2024, 3, 4), None, 4, {"BTC/USD": 4}))
    assert db.get_day(date(2024, 3, 4)) == DayState(date(2024, 3, 4), None, 4, {"BTC/USD": 4})
    assert db.get_day(date(2024, 3, 5)) is None

    assert db.get_kill_switch() == KillSwitchState()
    tripped = KillSwitchState(True, T0, date(2024, 3, 4), "down 3%", D("9700.00"), D("10000"))
    db.put_kill_switch(tripped)
    assert db.get_kill_switch() == tripped
    cleared = KillSwitchState(False, T0, date(2024, 3, 4), "down 3%", D("9700.00"), D("10000"), T0 + FIVE, "me")
    db.put_kill_switch(cleared)
    assert db.get_kill_switch() == cleared


# ---- the evaluation log -----------------------------------------------------------------------------


def test_evaluation_round_trip_is_exact(db: Database, tmp_path: Path) -> None:
    evs = [evaluation(),
           evaluation("ETH/USD", decision=Decision.ENTER, skip_reason=None, signal=1, order_id="O1-ABC",
                      filters=(), reasons=(), position={}, regime=None, strategy=None, regime_values={}),
           evaluation("SOL/USD", decision=Decision.SKIP, skip_reason=SkipReason.DAILY_LIMIT, mode="live")]
    ids = [db.record_evaluation(e) for e in evs]
    assert ids == sorted(set(ids))
    db.close()
    reopened = open_database(Mode.PAPER, tmp_path)
    try:
        loaded = {e.symbol: e for e in reopened.list_evaluations()}
        for e in evs:
            got = loaded[e.symbol]
            assert got == e
            assert type(got.decision) is Decision and got.candle_time.tzinfo is UTC
            assert all(type(v) is float for v in got.indicators.values() if v is not None)
        assert loaded["BTC/USD"].indicators["rsi"] == 0.30000000000000004
    finally:
        reopened.close()


def test_non_finite_indicators_are_stored_as_missing(db: Database) -> None:
    db.record_evaluation(evaluation(indicators={"ratio": float("inf"), "x": float("nan"), "y": 1.5}))
    [got] = db.list_evaluations()
    assert got.indicators == {"ratio": None, "x": None, "y": 1.5}
    con = sqlite3.connect(db.path)
    try:
        [(text,)] = con.execute("SELECT indicators FROM evaluations").fetchall()
    finally:
        con.close()
    assert text == '{"ratio":null,"x":null,"y":1.5}'  # strict JSON any reader can parse


def test_list_evaluations_newest_first_with_filters(db: Database) -> None:
    for i in range(6):
        for symbol in ("BTC/USD", "ETH/USD"):
            db.record_evaluation(evaluation(symbol, T0 + i * FIVE, reasons=(f"{symbol} {i}",)))
    btc = db.list_evaluations("BTC/USD")
    assert [e.candle_time for e in btc] == [T0 + i * FIVE for i in reversed(range(6))]
    assert [e.candle_time for e in db.list_evaluations("BTC/USD", limit=2)] == [T0 + 5 * FIVE, T0 + 4 * FIVE]
    window = db.list_evaluations("ETH/USD", start=T0 + FIVE, end=T0 + 3 * FIVE)  # start included, end excluded
    assert [e.reasons for e in window] == [("ETH/USD 2",), ("ETH/USD 1",)]
    assert [(e.symbol, e.candle_time) for e in db.last_evaluations(3)] == [
        ("ETH/USD", T0 + 5 * FIVE), ("BTC/USD", T0 + 5 * FIVE), ("ETH/USD", T0 + 4 * FIVE)]
    assert db.list_evaluations("SOL/USD") == []


def test_why_not_finds_the_candle_containing_the_time_or_the_latest_before(db: Database) -> None:
    db.record_evaluation(evaluation("BTC/USD", T0, reasons=("first",)))
    db.record_evaluation(evaluation("BTC/USD", T0 + FIVE, reasons=("second",)))
    db.record_evaluation(evaluation("BTC/USD", T0 + 4 * FIVE, reasons=("after a gap",)))
    db.record_evaluation(evaluation("ETH/USD", T0 + 2 * FIVE, reasons=("other symbol",)))
    assert db.why_not("BTC/USD", T0 + timedelta(minutes=2)).reasons == ("first",)
    assert db.why_not("BTC/USD", T0 + FIVE).reasons == ("second",)  # a candle contains its open time
    assert db.why_not("BTC/USD", T0 + 2 * FIVE + timedelta(minutes=1)).reasons == ("second",)  # in the gap
    assert db.why_not("BTC/USD", T0 + timedelta(days=1)).reasons == ("after a gap",)
    assert db.why_not("BTC/USD", T0 - timedelta(seconds=1)) is None
    assert db.why_not("SOL/USD", T0 + FIVE) is None


def test_evaluations_are_indexed_by_symbol_and_candle_time(db: Database) -> None:
    con = sqlite3.connect(db.path)
    try:
        [(sql,)] = con.execute("SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name='evaluations' "
                               "AND name='ix_evaluations_symbol_candle_time'").fetchall()
    finally:
        con.close()
    assert "symbol, candle_time" in sql
