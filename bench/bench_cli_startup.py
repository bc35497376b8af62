"""Prints how long `zyn --help`, an offline `zyn status` and an offline `zyn ticker` take (medians of runs).

Wall time, and the CPU time of the child process (user + system): on a busy machine the wall time swells
with the load while the CPU time stays close to what the command costs.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 15


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[list[float], list[float]]:
    """(wall ms, CPU ms) of running cmd RUNS times."""
    walls, cpus = [], []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(1000 * (time.perf_counter() - start))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(1000 * (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime))
    return walls, cpus


def line(label: str, figures: tuple[list[float], list[float]]) -> str:
    walls, cpus = figures
    return (f"{label:<24}median {statistics.median(walls):7.1f} ms  (p90 {sorted(walls)[int(RUNS * .9)]:.1f})"
            f"   CPU {statistics.median(cpus):7.1f} ms")


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    zyn = [sys.executable, "-m", "bot.cli.main"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(root), "ZYN_DATA_DIR": tmp, "ZYN_OFFLINE": "1"}
        print(line("python -c pass", timed([sys.executable, "-c", "pass"])))
        print(line("zyn --help", timed([*zyn, "--help"], env)))
        print(line("zyn status (offline)", timed([*zyn, "status"], env)))
        print(line("zyn ticker (offline)", timed([*zyn, "ticker", "BTC/USD"], env)))


if __name__ == "__main__":
    main()
