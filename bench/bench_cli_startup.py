"""Prints how long `zyn --help`, an offline `zyn status` and an offline `zyn ticker` take: medians, side by side.

Each command runs with a fresh data folder (nothing there yet) and with an existing database (made by
`zyn portfolio` first), warm: Python's byte-code caches are written and one discarded run goes first
(PYTHONDONTWRITEBYTECODE is dropped for the children, as a user's machine has it). The rounds are interleaved
(one run of every case per round), so a change in the machine's load hits every column alike.

Wall time, and the CPU time of the child process (user + system): on a busy machine the wall time swells with the
load while the CPU time stays close to what the command costs.

    python bench/bench_cli_startup.py [--runs N] [--against DIR]

--against DIR: also time the source tree in DIR (e.g. `git archive <commit> | tar -x -C DIR`) in the same rounds,
so before and after are measured under the same load.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {"--help": ["--help"], "status": ["status"], "ticker": ["ticker", "BTC/USD"]}


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, CPU ms) of one run; a failing command stops the bench (its figures would mean nothing).
    Run from the data folder's parent: `python -m` puts the working directory first on the path, and it must not
    shadow the tree under test."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   cwd=Path(env.get("ZYN_DATA_DIR", tempfile.gettempdir())).parent)
    wall = 1000 * (time.perf_counter() - start)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, 1000 * (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--against", type=Path, help="another source tree to time in the same rounds")
    opts = parser.parse_args()
    trees = {"this tree": ROOT}
    if opts.against:
        trees = {f"{opts.against}": opts.against.resolve(), **trees}
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        cases: list[tuple[str, str, str, list[str], dict[str, str]]] = []  # tree, data, command, argv, env
        for label, tree in trees.items():
            zyn = [sys.executable, "-m", "bot.cli.main"]
            for data in ("fresh", "existing DB"):
                folder = Path(tmp) / f"{len(cases)}"
                env = {**base, "PYTHONPATH": str(tree), "ZYN_DATA_DIR": str(folder), "ZYN_OFFLINE": "1"}
                if data == "existing DB":
                    run_once([*zyn, "portfolio"], env)  # opens (creates and stamps) the PAPER database
                    assert (folder / "paper" / "zyn.db").is_file()
                for name, args in COMMANDS.items():
                    cases.append((label, data, name, [*zyn, *args], env))
        py = [sys.executable, "-c", "pass"]
        for _, _, _, cmd, env in cases:  # warm-up: byte-code caches written, files in the page cache
            run_once(cmd, env)
        figures: dict[int, list[tuple[float, float]]] = {i: [] for i in range(len(cases) + 1)}
        for _ in range(opts.runs):
            figures[len(cases)].append(run_once(py, base))
            for i, (_, data, _, cmd, env) in enumerate(cases):
                if data == "fresh":
                    shutil.rmtree(env["ZYN_DATA_DIR"], ignore_errors=True)  # fresh every time
                figures[i].append(run_once(cmd, env))
    print(f"medians of {opts.runs} interleaved runs, offline (ZYN_OFFLINE=1), warm; wall ms (CPU ms)")
    walls = statistics.median(w for w, _ in figures[len(cases)])
    cpus = statistics.median(c for _, c in figures[len(cases)])
    print(f"python -c pass: {walls:.0f} ({cpus:.0f})")
    print(f"{'tree':<28}{'data folder':<14}" + "".join(f"{name:>18}" for name in COMMANDS))
    for row in range(0, len(cases), len(COMMANDS)):
        label, data = cases[row][0], cases[row][1]
        cells = []
        for i in range(row, row + len(COMMANDS)):
            w = statistics.median(x for x, _ in figures[i])
            c = statistics.median(y for _, y in figures[i])
            cells.append(f"{w:>9.0f} ({c:>4.0f})")
        print(f"{label:<28}{data:<14}" + "".join(f"{cell:>18}" for cell in cells))


if __name__ == "__main__":
    main()
