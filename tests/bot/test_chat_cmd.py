"""`zyn chat` in a real process: the terminal path to the same Agent, tools and confirmations as the bots."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def zyn_chat(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZYN_OFFLINE": "1", "ZYN_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-m", "bot.cli.main", "chat", *args], env=env, cwd=tmp_path,
                          input=stdin, capture_output=True, text=True, timeout=90)


def test_messages_are_answered_by_the_labelled_offline_engine_and_trade_on_paper(tmp_path: Path) -> None:
    proc = zyn_chat(tmp_path, "-m", "status", "-m", "buy $200 of eth w 2% stop n 5% tgt", "-m", "any open orders?",
                    "-m", "help")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Mode PAPER" in out and "offline replay" in out
    assert "buy 0.0" in out and "ETH/USD market" in out and "Bracket" in out and "stop" in out
    assert out.count("ETH/USD stop-loss") == 1 and out.count("ETH/USD take-profit") == 1
    assert "I understand you through: offline intent engine" in out
    assert "Traceback" not in out + proc.stderr


def test_piped_conversation_with_a_confirmation_that_needs_its_code(tmp_path: Path) -> None:
    proc = zyn_chat(tmp_path, stdin="buy 0.001 btc\nflatten\nyes\n/confirm ZZZZ\nblah blah\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "understood by: offline intent engine" in proc.stderr  # the banner, off stdout when piped
    assert "Waiting for your confirmation" in out and "/confirm" in out
    assert "Not done" in out  # a made-up code is refused
    assert "Sorry, I didn't get that" in out
    # flatten never ran: the BTC is still held.
    again = zyn_chat(tmp_path, "-m", "positions")
    assert "BTC/USD" in again.stdout
