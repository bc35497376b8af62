"""`zyn --help`, `zyn status` and `zyn ticker` must not import ccxt, pandas or langchain eagerly; offline, status and
ticker need neither the database layer (SQLAlchemy, SQLModel) nor the whole tool catalogue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("ccxt", "pandas", "langchain", "langchain_core", "numpy", "matplotlib")
# Not heavy by themselves, but half a second together, and nothing that status or an offline ticker needs.
LAZY = ("sqlalchemy", "sqlmodel", "memory.db", "tools.catalog", "tools.orders", "trading.backtest.run")
PROBE = f"""
import sys, json
from bot.cli.main import main
code = main(sys.argv[1:])
mods = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})
lazy = sorted(m for m in sys.modules if m in {LAZY!r} or m.split('.')[0] in {LAZY!r})
print("@@" + json.dumps({{"code": code, "mods": mods, "lazy": lazy}}))
"""


def _modules_after(args: list[str], tmp_path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZYN_DATA_DIR": str(tmp_path / "data"), "ZYN_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    line = [x for x in proc.stdout.splitlines() if x.startswith("@@")][-1]
    return json.loads(line[2:])


def _existing_database(tmp_path: Path, *, candles: bool = False) -> None:
    """The PAPER database of tmp_path/data as a user has it: opened before, with some stored 5m candles of a
    replay market if asked."""
    import numpy as np

    from memory import open_database
    from trading.backtest.data import make_ohlcv
    from trading.domain import Mode

    db = open_database(Mode.PAPER, tmp_path / "data")
    try:
        if candles:
            t = np.array([0, 300_000, 900_000], dtype=np.int64) + 1_709_251_200_000
            one = np.array([60_000.0, 60_010, 60_020])
            db.add_candles("BTC/USD", "5m", make_ohlcv(t, one, one + 5, one - 5, one + 1, np.array([1.0, 2, 3])),
                           source="kraken OHLC", at=datetime(2024, 3, 2, tzinfo=UTC))
    finally:
        db.close()


def test_help_imports_nothing_heavy(tmp_path: Path) -> None:
    got = _modules_after(["--help"], tmp_path)
    assert got == {"code": 0, "mods": [], "lazy": []}


@pytest.mark.parametrize("args", [["status"], ["ticker", "BTC/USD"]])
def test_offline_status_and_ticker_import_nothing_heavy_on_a_fresh_folder(tmp_path: Path, args: list[str]) -> None:
    got = _modules_after(args, tmp_path)
    assert got == {"code": 0, "mods": [], "lazy": []}
    assert not (tmp_path / "data" / "paper" / "zyn.db").exists()  # nothing to read, and nothing created


@pytest.mark.parametrize("candles", [False, True], ids=["empty", "stored candles"])
def test_offline_status_reads_an_existing_database_without_the_database_layer(tmp_path: Path, candles: bool) -> None:
    """The candle store's check (does the replay play real stored candles?) is a plain sqlite3 read."""
    _existing_database(tmp_path, candles=candles)
    for args in (["status"], ["ticker", "BTC/USD"]):
        got = _modules_after(args, tmp_path)
        assert got == {"code": 0, "mods": [], "lazy": []}, args


def test_offline_status_still_refuses_a_database_of_the_other_mode(tmp_path: Path) -> None:
    """The quick read does not paper over a LIVE file in the PAPER folder: the real open refuses it, as before."""
    from memory import open_database
    from trading.domain import Mode

    open_database(Mode.LIVE, tmp_path / "other").close()
    (tmp_path / "data" / "paper").mkdir(parents=True)
    (tmp_path / "other" / "live" / "zyn.db").rename(tmp_path / "data" / "paper" / "zyn.db")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZYN_DATA_DIR": str(tmp_path / "data"), "ZYN_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "bot.cli.main", "status"], env=env, capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode != 0
    assert "belongs to LIVE mode" in proc.stderr and "Traceback" not in proc.stderr


def test_the_program_freezes_its_objects_before_exit_and_a_caller_that_goes_on_is_left_alone(tmp_path: Path) -> None:
    """`zyn` (main() reading sys.argv) freezes the garbage collector's objects when the command is done, so the
    interpreter's last collections skip them; main(argv) from a caller (tests, other code) changes nothing."""
    probe = ("import gc, sys\nfrom bot.cli.main import main\n"
             "code = main(['status'])\nafter_call = gc.get_freeze_count()\n"
             "sys.argv = ['zyn', 'status']\ncode2 = main()\n"
             "print('@@', code, after_call, code2, gc.get_freeze_count() > 0)")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZYN_DATA_DIR": str(tmp_path / "data"), "ZYN_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, cwd=tmp_path,
                          timeout=60)
    line = [x for x in proc.stdout.splitlines() if x.startswith("@@")][-1]
    assert line.split()[1:] == ["0", "0", "0", "True"]
