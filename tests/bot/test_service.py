"""The running service: scheduled autopilot with a deterministic job id, a real tick offline, clean stops."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from bot.scheduler import AUTOPILOT_JOB
from bot.service import Service
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


async def test_service_schedules_and_ticks_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    out = io.StringIO()
    service = Service(load_settings(), console=Console(file=out, width=140))
    await service.start()
    try:
        job = service.scheduler.get_job(AUTOPILOT_JOB)
        assert job is not None and job.next_run_time.minute % 5 == 0 and job.next_run_time.second == 5
        report = await service.tick()
        assert sorted(e.symbol for e in report.evaluations) == ["BTC/USD", "ETH/USD", "SOL/USD"]
        assert all(e.reasons for e in report.evaluations)
        assert (await service.tick()).evaluations == []  # the same candle is never evaluated twice
    finally:
        await service.stop()
    text = out.getvalue()
    assert "running in PAPER" in text and "offline replay" in text and "autopilot ON" in text
    assert "tick" in text and "BTC/USD" in text and "stopped cleanly" in text


def test_zyn_run_starts_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZYN_OFFLINE": "1", "ZYN_DATA_DIR": str(tmp_path / "data"),
           "COLUMNS": "160"}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "run"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "running in PAPER" in line:
                break
        assert "running in PAPER" in line, proc.stderr.read() if proc.poll() is not None else line
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped cleanly" in out and "Traceback" not in err
