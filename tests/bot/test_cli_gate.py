"""The CLI runs every tool through the gate as the terminal owner: the catalogue's rule decides what asks,
the question is a y/N at a real terminal (a pty here), --yes takes it, and a pipe without --yes changes nothing."""

from __future__ import annotations

import json
import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli.main import main


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_OFFLINE", "1")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def confirmations(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "data" / "paper" / "zyn.db") as db:
        return db.execute("select tool, status from confirmations order by id").fetchall()


def test_paper_cancel_of_one_order_runs_at_once_as_the_catalogue_says(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "order", "buy", "BTC/USD", "0.001", "--price", "1000", "--json")
    assert code == 0, err
    order_id = json.loads(out)["order"]["id"]
    code, out, err = run(capsys, "cancel", order_id, "--json")  # LIVE policy: in PAPER it does not ask
    assert code == 0, err
    assert json.loads(out)["cancelled"][0]["id"] == order_id and confirmations(tmp_path) == []


def test_a_tool_listed_to_confirm_in_paper_asks_and_a_pipe_changes_nothing(capsys, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_CONFIRM_IN_PAPER", "place_order")
    code, out, err = run(capsys, "order", "buy", "BTC/USD", "0.001")
    assert code == 1 and "Buy 0.001 BTC/USD at market (PAPER)?" in err and "--yes" in err and "Nothing changed" in err
    assert json.loads(run(capsys, "orders", "--closed", "--json")[1])["orders"] == []
    assert confirmations(tmp_path) == [("place_order", "cancelled")]  # nothing stays pending behind the refusal
    code, out, err = run(capsys, "order", "buy", "BTC/USD", "0.001", "--yes", "--json")
    assert code == 0, err
    assert json.loads(out)["order"]["status"] == "closed"
    assert confirmations(tmp_path)[-1] == ("place_order", "executed")


def test_flatten_is_asked_at_a_real_terminal_and_no_means_nothing(tmp_path: Path) -> None:
    code, out, _ = terminal(tmp_path, ["order", "buy", "BTC/USD", "0.01"], "")
    assert code == 0, out
    code, out, _ = terminal(tmp_path, ["flatten"], "n\n")
    assert code == 1 and "EMERGENCY: cancel every order and sell every holding at market (PAPER)?" in out
    assert "cancelled; nothing changed" in out
    code, out, _ = terminal(tmp_path, ["portfolio", "--json"], "")
    assert "BTC" in out
    code, out, _ = terminal(tmp_path, ["flatten"], "y\n")
    assert code == 0 and "1 holding(s) sold" in out, out
    assert [s for _, s in confirmations(tmp_path)] == ["cancelled", "executed"]


def terminal(tmp_path: Path, argv: list[str], answer: str, timeout: float = 60) -> tuple[int, str, str]:
    """Run `zyn ARGV` with its stdin and stderr on a pseudo-terminal, typing `answer` once it asks."""
    master, slave = pty.openpty()
    env = {**os.environ, "ZYN_OFFLINE": "1", "ZYN_DATA_DIR": str(tmp_path / "data"), "TERM": "dumb",
           "ZYN_CONFIG_FILE": str(tmp_path / "zyn.toml")}
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from bot.cli.main import main; sys.exit(main())",
                             *argv], stdin=slave, stdout=subprocess.PIPE, stderr=slave, env=env,
                            cwd=Path(__file__).resolve().parents[2])
    os.close(slave)
    seen, typed, deadline = b"", False, time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
        if answer and not typed and b"[y/N]" in seen:
            os.write(master, answer.encode())
            typed = True
    out = proc.stdout.read().decode() if proc.stdout else ""
    proc.wait(timeout=10)
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                break
            seen += os.read(master, 4096)
    except OSError:
        pass
    os.close(master)
    return proc.returncode, out + seen.decode(errors="replace"), ""
