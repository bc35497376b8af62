"""The kill -9 drill at scale: 100 kills of a ticking autopilot subprocess; prints orders, kills, invariants."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.drill.harness import run_drill  # noqa: E402 - after the path set-up


def main() -> None:
    kills = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as tmp:
        figures = run_drill(Path(tmp) / "data", kills=kills, seed=100)
    print(f"kill drill: {figures.line()}")
    for v in figures.violations[:20]:
        print("  violation:", v)
    sys.exit(1 if figures.violations else 0)


if __name__ == "__main__":
    main()
