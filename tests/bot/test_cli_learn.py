"""`zyn learn status|freeze|reset` in real processes: a freeze made by one process holds in the next, and in the
autopilot's learner; freeze and reset ask first and change nothing without a yes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from memory import open_database
from tests.memory.test_learning_store import outcome
from trading.config import LearningSettings
from trading.domain import Mode
from trading.learning.learner import Learner

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


def zyn(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZYN_OFFLINE": "1", "ZYN_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=90)


def test_a_freeze_from_the_cli_survives_into_the_next_process_and_holds_the_learner(tmp_path: Path) -> None:
    asked = zyn(tmp_path, "learn", "freeze")
    assert asked.returncode == 1 and "add --yes" in asked.stderr and "Nothing changed" in asked.stderr
    assert json.loads(zyn(tmp_path, "learn", "status", "--json").stdout)["frozen"] is False

    done = zyn(tmp_path, "learn", "freeze", "--yes", "--reason", "holiday")
    assert done.returncode == 0 and "Learning frozen" in done.stdout
    status = json.loads(zyn(tmp_path, "learn", "status", "--json").stdout)  # a new process
    assert status["frozen"] is True and status["frozen_by"] and "holiday" in status["changes"][0]

    db = open_database(Mode.PAPER, tmp_path / "data")  # the autopilot's learner, opening the same database
    try:
        for k in range(12):
            db.record_outcome(outcome(k, 0.006), T0)
        learner = Learner(db, LearningSettings(by_pair=False))
        assert learner.refresh(T0) == [] and db.arm_states() == {}
    finally:
        db.close()
    text = zyn(tmp_path, "learn", "status").stdout
    assert "Learning: FROZEN" in text and "Outcomes: 12" in text

    assert "Learning unfrozen" in zyn(tmp_path, "learn", "freeze", "--off", "--yes").stdout
    again = zyn(tmp_path, "learn", "freeze", "--off", "--yes")
    assert again.returncode == 1 and "already unfrozen" in again.stderr


def test_reset_asks_then_forgets(tmp_path: Path) -> None:
    db = open_database(Mode.PAPER, tmp_path / "data")
    try:
        for k in range(3):
            db.record_outcome(outcome(k, 0.006), T0)
    finally:
        db.close()
    assert zyn(tmp_path, "learn", "reset").returncode == 1
    assert json.loads(zyn(tmp_path, "learn", "status", "--json").stdout)["outcomes"] == 3
    done = zyn(tmp_path, "learn", "reset", "--yes")
    assert done.returncode == 0 and "3 outcomes forgotten" in done.stdout
    assert json.loads(zyn(tmp_path, "learn", "status", "--json").stdout)["outcomes"] == 0
    why = zyn(tmp_path, "learn", "status", "--why", "mean reversion")
    assert why.returncode == 0 and "mean_reversion is off: no outcomes yet" in why.stdout
