"""Prints how long `zyn --help` and an offline `zyn status` take to start (wall time, median of runs)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 15


def timed(args: list[str], env: dict[str, str]) -> list[float]:
    """Wall times in ms of running `python -m bot.cli.main ARGS` RUNS times."""
    out = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot.cli.main", *args], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append(1000 * (time.perf_counter() - start))
    return out


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(root), "ZYN_DATA_DIR": tmp, "ZYN_OFFLINE": "1"}
        bare = []
        for _ in range(RUNS):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            bare.append(1000 * (time.perf_counter() - start))
        helps = timed(["--help"], env)
        statuses = timed(["status"], env)
    print(f"python -c pass          median {statistics.median(bare):7.1f} ms")
    print(f"zyn --help              median {statistics.median(helps):7.1f} ms  (p90 {sorted(helps)[int(RUNS * .9)]:.1f})")
    print(f"zyn status (offline)    median {statistics.median(statuses):7.1f} ms  (p90 {sorted(statuses)[int(RUNS * .9)]:.1f})")


if __name__ == "__main__":
    main()
