"""The outcome store and the learner's on/off rules over it, on SQLite and PostgreSQL; the freeze survives a reopen."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.memory.conftest import Backend
from trading.config import LearningSettings
from trading.learning.learner import Learner
from trading.learning.outcomes import TradeOutcome

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
ARM = ("mean_reversion", "range")


def outcome(k: int, net: float, *, strategy: str = "mean_reversion", regime: str = "range", pair: str = "BTC/USD",
            shadow: bool = True, gross: float | None = None) -> TradeOutcome:
    entry = T0 + timedelta(hours=k)
    return TradeOutcome(ref=f"t:{strategy}:{pair}:{k}", source="paper", shadow=shadow, symbol=pair, strategy=strategy,
                        regime=regime, entry_time=entry, exit_time=entry + timedelta(minutes=35),
                        entry_price=Decimal("100"), exit_price=Decimal(str(100 * (1 + net))), net_return=net,
                        gross_return=net + 0.009 if gross is None else gross, r_multiple=net / 0.01, mae=-0.002,
                        mfe=0.006, exit_reason="target" if net > 0 else "stop")


def test_outcomes_keep_their_context_and_a_ref_is_stored_once(backend: Backend) -> None:
    db = backend.open()
    o = outcome(3, 0.004, shadow=False)
    assert db.record_outcome(o, T0) and not db.record_outcome(o, T0)
    [back] = db.list_outcomes()
    assert back == o and (back.hour, back.weekday, back.hold_minutes) == (12, 0, 35)
    rows = backend.sql("SELECT hour, weekday, hold_minutes, exit_reason, shadow FROM outcomes")
    assert [tuple(r[:4]) for r in rows] == [(12, 0, 35, "target")] and not rows[0][4]
    db.close()


def test_an_arm_switches_on_above_a_positive_bound_and_off_below_zero_with_its_evidence(backend: Backend) -> None:
    db = backend.open()
    learner = Learner(db, LearningSettings(min_trades=10, by_pair=False))
    for k in range(9):
        db.record_outcome(outcome(k, 0.004 + 0.0005 * (k % 3)), T0)
    assert learner.refresh(T0) == [] and learner.gate(*ARM, "BTC/USD") is not None  # 9 < 10: still off
    db.record_outcome(outcome(9, 0.005), T0)
    [on] = learner.refresh(T0)
    assert on.kind == "on" and on.key == ARM and "10 outcomes" in on.why and "lower bound +" in on.why
    assert learner.gate(*ARM, "BTC/USD") is None and learner.gate("breakout", "range", "BTC/USD") is not None
    for k in range(10, 16):  # a run of losses pulls the bound below zero
        db.record_outcome(outcome(k, -0.012), T0)
    [off] = learner.refresh(T0 + timedelta(hours=1))
    assert off.kind == "off" and "lower bound -" in off.why
    assert "is off" in (learner.gate(*ARM, "BTC/USD") or "")
    kinds = [r[0] for r in backend.sql("SELECT kind FROM learning_changes ORDER BY id")]
    assert kinds == ["on", "off"]
    db.close()


def test_a_pair_with_enough_outcomes_gets_its_own_arm(backend: Backend) -> None:
    db = backend.open()
    learner = Learner(db, LearningSettings(min_trades=10))
    for k in range(12):
        db.record_outcome(outcome(k, 0.005 + 0.0002 * (k % 2), pair="BTC/USD"), T0)
        db.record_outcome(outcome(k, -0.004 - 0.0002 * (k % 2), pair="ETH/USD"), T0)
    learner.refresh(T0)
    arms = db.arm_states()
    assert arms[(*ARM, "BTC/USD")].on and not arms[(*ARM, "ETH/USD")].on and not arms[ARM].on
    assert learner.gate(*ARM, "BTC/USD") is None
    assert learner.gate(*ARM, "ETH/USD") is not None and learner.gate(*ARM, "SOL/USD") is not None
    db.close()


def test_a_freeze_holds_across_a_reopen_and_nothing_changes_while_frozen(backend: Backend) -> None:
    db = backend.open()
    db.set_learning_freeze(True, "telegram:1", T0, "testing")
    db.close()
    db = backend.open()  # a restart
    assert db.learning_freeze().frozen and db.learning_freeze().by == "telegram:1"
    learner = Learner(db, LearningSettings(min_trades=10, by_pair=False))
    for k in range(12):
        db.record_outcome(outcome(k, 0.005), T0)
    assert learner.refresh(T0) == [] and db.arm_states() == {}
    assert learner.gate(*ARM, "BTC/USD") is not None
    db.set_learning_freeze(False, "telegram:1", T0)
    assert [c.kind for c in learner.refresh(T0)] == ["on"]
    db.close()


def test_reset_forgets_outcomes_and_arms_but_keeps_the_change_log(backend: Backend) -> None:
    db = backend.open()
    learner = Learner(db, LearningSettings(min_trades=2, by_pair=False))
    for k in range(4):
        db.record_outcome(outcome(k, 0.005 + 0.001 * k), T0)
    learner.refresh(T0)
    assert db.arm_states()[ARM].on
    assert db.reset_learning("cli", T0) == 4
    assert db.list_outcomes() == [] and db.arm_states() == {}
    assert [c.kind for c in db.learning_changes()] == ["reset", "on"]


def test_shadows_pend_once_per_candle_and_settle_into_an_outcome(backend: Backend) -> None:
    db = backend.open()
    assert db.add_shadow("BTC/USD", "breakout", "volatile", T0, 12.5, "learner_off", T0)
    assert not db.add_shadow("BTC/USD", "breakout", "volatile", T0, 12.5, "learner_off", T0)
    [p] = db.pending_shadows("BTC/USD")
    assert (p.strategy, p.regime, p.atr, p.why_not) == ("breakout", "volatile", 12.5, "learner_off")
    db.settle_shadow(p.id, outcome(1, 0.003, strategy="breakout", regime="volatile"), T0)
    assert db.pending_shadows() == [] and [o.strategy for o in db.list_outcomes()] == ["breakout"]
    db.close()


def test_an_arm_on_with_a_thin_bound_trades_a_shrunk_risk_recorded_with_its_evidence(backend: Backend) -> None:
    db = backend.open()
    learner = Learner(db, LearningSettings(min_trades=10, by_pair=False))
    for k in range(20):  # a positive mean, but a lower bound just above zero
        db.record_outcome(outcome(k, 0.0035 if k % 2 else -0.0015), T0)
    changes = learner.refresh(T0)
    assert [c.kind for c in changes] == ["on", "risk"]
    risk = changes[1]
    assert risk.key == ARM and "risk per trade shrunk to" in risk.why and "(was 100%)" in risk.why
    assert "lower bound +" in risk.why and "below the 0.20% that earns the full risk" in risk.why
    f = learner.risk_scale(*ARM, "BTC/USD")
    assert f is not None and 0.25 <= f.factor < 1 and f.factor == db.risk_factors()[ARM].factor
    assert learner.refresh(T0) == []  # nothing new: no second record
    for k in range(20, 40):  # a run of clean wins: the bound clears 0.2 %, the full risk comes back
        db.record_outcome(outcome(k, 0.009 + 0.0001 * (k % 3)), T0)
    [back] = learner.refresh(T0)
    assert back.kind == "risk" and "restored to 100%" in back.why and learner.risk_scale(*ARM, "BTC/USD") is None
    kinds = [r[0] for r in backend.sql("SELECT kind FROM learning_changes ORDER BY id")]
    assert kinds == ["on", "risk", "risk"]
    backend.sql("UPDATE learning_risk SET factor = 3.5")  # a tampered row is still never above the risk
    assert learner.risk_scale(*ARM, "BTC/USD") is None
    db.reset_learning("cli", T0)
    assert db.risk_factors() == {}
    db.close()


def _seeds(n: int, *, window_day: int = 0) -> list:
    from trading.learning.records import Provenance

    start = T0 + timedelta(days=window_day)
    prov = Provenance("walkforward", "file ETH_BTC-5m.csv", start, start + timedelta(days=1))
    return [(replace(outcome(k, 0.006, pair="ETH/BTC"), ref=f"seed:ETH/BTC:mr:{window_day}:{k}", source="seed"), prov)
            for k in range(n)]


def test_seeds_keep_their_provenance_and_reset_removes_them(backend: Backend) -> None:
    db = backend.open()
    db.record_outcome(outcome(99, 0.004), T0)  # PAPER's own outcome
    assert db.seed_outcomes(_seeds(3) + _seeds(2, window_day=1), "cli:owner", T0) == 5
    assert db.seed_outcomes(_seeds(3), "cli:owner", T0) == 0  # stored already: nothing twice
    rows = backend.sql("SELECT source, candle_set FROM outcome_seeds")
    assert len(rows) == 5 and {tuple(r) for r in rows} == {("walkforward", "file ETH_BTC-5m.csv")}
    [s] = db.seed_sets()
    assert (s.source, s.n, s.windows, s.first, s.last) == ("walkforward", 5, 2, T0, T0 + timedelta(days=2))
    assert db.seed_counts()[ARM] == 5 and db.seed_counts()[(*ARM, "ETH/BTC")] == 5
    assert [c.kind for c in db.learning_changes()] == ["seed"]

    assert db.reset_learning("cli", T0, seeds_only=True) == 5
    assert [o.ref for o in db.list_outcomes()] == [outcome(99, 0.004).ref]  # PAPER's own stays
    assert db.seed_sets() == [] and db.seed_counts() == {}
    db.seed_outcomes(_seeds(2), "cli:owner", T0)
    assert db.reset_learning("cli", T0) == 3  # a full reset forgets the seeds too
    assert db.list_outcomes() == [] and backend.sql("SELECT count(*) FROM outcome_seeds")[0][0] == 0
    db.close()


def test_live_reads_the_configured_paper_database(backend: Backend, monkeypatch) -> None:  # noqa: ANN001
    """PAPER_DATABASE_URL (SQLite or PostgreSQL) is where LIVE's learner finds PAPER's outcomes; never created."""
    from bot.app import paper_evidence
    from bot.settings import load_settings
    from trading.domain import Mode

    monkeypatch.setenv("ZYN_DATA_DIR", str(backend.data_dir / "elsewhere"))
    monkeypatch.setenv("ZYN_MODE", "live")
    monkeypatch.setenv("PAPER_DATABASE_URL", backend.url)
    assert type(paper_evidence(load_settings())).__name__ == "_NoEvidence"  # nothing there yet: none made
    assert backend.name != "sqlite" or not (backend.data_dir / "zyn.db").exists()
    paper = backend.open(Mode.PAPER)
    for k in range(12):
        paper.record_outcome(outcome(k, 0.006), T0)
    paper.close()
    evidence = paper_evidence(load_settings())
    try:
        assert len(evidence.outcome_returns()) == 12
    finally:
        evidence.close()
    assert not (backend.data_dir / "elsewhere" / "paper").exists()  # not the default path


def test_live_refuses_a_live_database_as_its_paper_evidence(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from bot.app import paper_evidence
    from bot.settings import load_settings
    from memory import open_database
    from trading.domain import Mode
    from trading.errors import ModeMismatchError

    open_database(Mode.LIVE, tmp_path).close()
    monkeypatch.setenv("ZYN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ZYN_MODE", "live")
    monkeypatch.setenv("PAPER_DATABASE_URL", f"sqlite:///{tmp_path / 'live' / 'zyn.db'}")
    with pytest.raises(ModeMismatchError):
        paper_evidence(load_settings())
