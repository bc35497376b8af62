"""LIVE's learner: it uses only what PAPER learned (its database read only), never its own LIVE outcomes."""

from __future__ import annotations

from pathlib import Path

from tests.trading.autopilot.test_learning import LCFG, _world


async def test_live_learns_only_from_paper_and_never_writes_to_it(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """LIVE's learner reads the PAPER outcome store read only; its own LIVE outcomes are kept but not learned from."""
    from bot.app import Services, build_learning
    from bot.settings import load_settings
    from memory import open_database
    from tests.memory.test_learning_store import outcome
    from trading.domain import Mode

    data = tmp_path / "data"
    monkeypatch.setenv("ZYN_DATA_DIR", str(data))
    monkeypatch.setenv("ZYN_MODE", "live")
    w = _world(tmp_path / "w")
    live = open_database(Mode.LIVE, data)
    services = Services(settings=load_settings(), clock=w.clock, db=live, feed=w.feed, exchange=w.exchange,
                        tools=None)  # type: ignore[arg-type]
    nothing = build_learning(services, LCFG)  # no PAPER database yet: no evidence, every arm off
    assert nothing is not None and nothing.learner.gate("ma_crossover", "range", "BTC/USD") is not None
    for k in range(12):
        live.record_outcome(outcome(k, 0.006, strategy="ma_crossover"), w.clock.now())  # LIVE's own: not evidence
    nothing.refresh()
    assert ("ma_crossover", "range") not in live.arm_states()

    paper = open_database(Mode.PAPER, data)
    for k in range(12):
        paper.record_outcome(outcome(100 + k, 0.006, strategy="ma_crossover"), w.clock.now())
    paper.close()
    before = (data / "paper" / "zyn.db").read_bytes()
    learning = build_learning(services, LCFG)
    learning.refresh()
    [change] = live.learning_changes()
    assert change.kind == "on" and change.why.startswith("from PAPER's outcomes: ma_crossover in range on")
    assert learning.learner.gate("ma_crossover", "range", "BTC/USD") is None
    assert live.arm_states()[("ma_crossover", "range")].n == 12  # PAPER's 12, not LIVE's
    await services.close()
    assert (data / "paper" / "zyn.db").read_bytes() == before  # read only
