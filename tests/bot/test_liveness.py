"""Zyn tells the truth about itself: every status says running, stale or stopped since when; one service per
data folder and mode (a second `zyn run` refuses with one line naming the first)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from bot.cli.main import main
from bot.service import Service
from bot.settings import load_settings
from trading.clock import ManualClock

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def test_status_says_running_then_stopped_since_and_a_second_service_refuses(
        monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    code, out, _ = await asyncio.to_thread(run, capsys, "auto-status", "--json")
    assert json.loads(out)["service"] == "stopped" and "never started" in json.loads(out)["service_text"]
    service = Service(load_settings(), console=Console(file=io.StringIO()))
    await service.start()
    try:
        code, out, _ = await asyncio.to_thread(run, capsys, "auto-status", "--json")
        status = json.loads(out)
        assert status["service"] == "running" and f"pid {os.getpid()}" in status["service_text"]
        second = Service(load_settings(), console=Console(file=io.StringIO()))
        with pytest.raises(Exception, match="already running in PAPER") as refused:
            await second.start()
        assert f"pid {os.getpid()}" in str(refused.value) and "one service per data folder" in str(refused.value)
        await second.stop()
        code, out, _ = await asyncio.to_thread(run, capsys, "auto-status", "--json")
        assert json.loads(out)["service"] == "running"  # the refused one took nothing away
    finally:
        await service.stop()
    code, out, _ = await asyncio.to_thread(run, capsys, "auto-status")
    assert "STOPPED since" in out and "make run" in out and "none: no service" in out
    code, out, _ = await asyncio.to_thread(run, capsys, "status")
    assert "STOPPED since" in out


async def test_a_service_whose_heartbeat_stops_is_reported_stale(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")
    clock = ManualClock(datetime(2024, 5, 6, 14, 7, tzinfo=UTC))
    service = Service(load_settings(), clock=clock, console=Console(file=io.StringIO()))
    await service.start()
    try:
        status = service.gate.ctx.liveness()
        assert status.state == "running"
        clock.advance(timedelta(minutes=10))  # no heartbeat for ten minutes while the lock is still held
        stale = service.gate.ctx.liveness()
        assert stale.state == "stale" and "NOT RESPONDING" in stale.text(clock.now()) and "10 min ago" in \
            stale.text(clock.now())
    finally:
        await service.stop()


def test_a_second_zyn_run_refuses_in_one_line_and_a_killed_one_frees_the_folder(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZYN_OFFLINE": "1", "ZYN_DATA_DIR": str(tmp_path / "data"),
           "COLUMNS": "160"}
    first = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "run"], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "running in PAPER" not in first.stdout.readline():
            pass
        second = subprocess.run([sys.executable, "-m", "bot.cli.main", "run"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=30)
        assert second.returncode == 1
        assert second.stderr.strip().splitlines() == [second.stderr.strip()]  # one line
        assert f"pid {first.pid}" in second.stderr and "already running in PAPER" in second.stderr
        first.send_signal(signal.SIGKILL)  # even a kill -9 frees the folder: the kernel drops the lock
        first.wait(timeout=10)
        status = subprocess.run([sys.executable, "-m", "bot.cli.main", "auto-status", "--json"], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=30)
        assert json.loads(status.stdout)["service"] == "stopped", status.stderr
    finally:
        if first.poll() is None:
            first.kill()
