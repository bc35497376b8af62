"""`zyn --help` and `zyn status` must not import ccxt, pandas or langchain eagerly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("ccxt", "pandas", "langchain", "langchain_core", "numpy", "matplotlib")
PROBE = f"""
import sys, json
from bot.cli.main import main
code = main(sys.argv[1:])
mods = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})
print("@@" + json.dumps({{"code": code, "mods": mods}}))
"""


def _modules_after(args: list[str], tmp_path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZYN_DATA_DIR": str(tmp_path / "data"), "ZYN_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    line = [x for x in proc.stdout.splitlines() if x.startswith("@@")][-1]
    return json.loads(line[2:])


def test_help_imports_nothing_heavy(tmp_path: Path) -> None:
    got = _modules_after(["--help"], tmp_path)
    assert got == {"code": 0, "mods": []}


def test_offline_status_imports_nothing_heavy(tmp_path: Path) -> None:
    got = _modules_after(["status"], tmp_path)
    assert got == {"code": 0, "mods": []}
