"""The learner's cost per tick, printed (no assertions): refresh (every outcome read, the selector run, states
written only on a change) and the entry gate, on a real SQLite database holding N outcomes.

  .venv/bin/python bench/bench_learning.py [N ...]      # default: 1000 10000
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memory import open_database  # noqa: E402
from trading.config import LearningSettings  # noqa: E402
from trading.domain import Mode  # noqa: E402
from trading.learning.learner import Learner  # noqa: E402
from trading.learning.outcomes import TradeOutcome  # noqa: E402

T0 = datetime(2024, 1, 1, tzinfo=UTC)
ARMS = [(s, r) for s in ("mean_reversion", "trend_following", "breakout") for r in ("range", "trending_up", "volatile")]
PAIRS = ("BTC/USD", "ETH/USD", "SOL/USD")


def fill(db, n: int) -> None:  # noqa: ANN001
    for k in range(n):
        s, r = ARMS[k % len(ARMS)]
        at = T0 + timedelta(minutes=5 * k)
        db.record_outcome(TradeOutcome(f"b:{k}", "paper", k % 2 == 0, PAIRS[k % 3], s, r, at, at + timedelta(minutes=30),
                                       Decimal(100), Decimal(101), ((k * 7919) % 200 - 95) / 10_000, 0.01, 0.5,
                                       -0.002, 0.004, "target"), at)


def timed(fn, repeat: int = 7) -> float:  # noqa: ANN001
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs) * 1000


def main(sizes: list[int]) -> None:
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db = open_database(Mode.PAPER, Path(tmp))
            fill(db, n)
            learner = Learner(db, LearningSettings())
            learner.refresh(T0)  # the first one writes the arms
            refresh = timed(lambda: learner.refresh(T0))  # noqa: B023
            gate = timed(lambda: learner.gate("mean_reversion", "range", "BTC/USD"), 21)  # noqa: B023
            realised = timed(lambda: learner.realised("mean_reversion", "range"), 21)  # noqa: B023
            db.close()
        print(f"{n:>7,} outcomes: refresh {refresh:7.1f} ms, gate {gate:5.2f} ms, realised {realised:6.2f} ms "
              "(median, SQLite)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
