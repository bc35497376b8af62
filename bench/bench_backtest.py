"""Backtest speed and semantics: a year of 5-minute candles, and Zyn against backtesting.py on one SMA crossover.

(a) 105,120 five-minute candles (the bundled replay's ~20 real days, ETH/BTC 2018 rescaled, repeated back to
    back to 365 days, with a price jump at each join: for timing only) through
    run_backtest() with the default strategy stack, risk sizing with brackets, the risk gate and paper
    fills: wall time including the indicators.
(b) The plain SMA(10)/SMA(30) crossover, long only, all in, entries and exits at the next candle's open,
    0.26 % fee per side, run by Zyn and by backtesting.py in this process on the same candles: on the
    year of 5-minute candles, and on a week of 1-minute candles (a synthetic random walk on a 0.5 price
    tick, whose flat stretches make exact SMA ties common), or on any file given with --candles FILE.

Speed, warm against warm: each engine runs once untimed (imports, caches, pandas set-up), then both run
RUNS times, interleaved, and the medians are printed side by side (the minimum too). Zyn's figure
includes its indicators; backtesting.py's includes its own bookkeeping and statistics.

How the semantics were aligned (so the trade lists can be identical):
- One position at a time (the rule both follow): an entry signal while already long is IGNORED. That is
  what Zyn's autopilot and backtester do (an entry is only decided for a flat symbol). backtesting.py's
  buy() with exclusive_orders=True would instead close the open trade and open a new one at the same open;
  this happens after an SMA tie (fast == slow is no cross either way, so a down-move through a tie is not a
  sell) followed by a second up-cross, common on 1-minute data. The backtesting.py strategy therefore buys
  only when it is flat (`not self.position`), which is Zyn's rule: like with like.
- Crossing: backtesting.py's crossover(a, b) is `a[-2] < b[-2] and a[-1] > b[-1]` (strict on both bars);
  Zyn's strategies/base.py crosses_above() is the same test, vectorised. Equal values are no cross.
- Indicator values: backtesting.py's strategy is given trading.decision.indicators.sma of the UNSCALED closes,
  so both engines compare the very same floats. Two SMA implementations, or one SMA over FractionalBacktest's
  rescaled prices, can differ in the last bit and turn an exact tie (common on 1-minute data) into a cross.
- Fills: backtesting.py with trade_on_close=False fills an order placed in next() at the next bar's open;
  Zyn fills decisions made on bar i's close at bar i+1's open. Zero slippage and spread on both sides.
- Warm-up: backtesting.py starts calling next() once every indicator is non-NaN; Zyn's crossing needs
  both bars non-NaN. Both can first signal at bar 30 for SMA(30).
- Sizing differs and does not matter for the trade list: backtesting.py buys whole units of
  FractionalBacktest's 1e-8 BTC with 99.99 % of the margin (size=0.9999); Zyn buys all the cash in
  1e-8 steps. Prices are compared after FractionalBacktest's scaling back (to 1e-6 relative).
- Minimums: backtesting.py has none, so part (b) gives Zyn's market no minimum order size or cost either
  (with Kraken's minimums Zyn stops buying once the losing strategy has shrunk the account below them).
- The end: backtesting.py (finalize_trades=False) leaves a trade still open at the last bar out of its
  list; Zyn closes it at the last close with exit reason "end". Zyn's "end" trade is left out of the
  comparison, and reported.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as `python bench/bench_backtest.py`

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from loguru import logger  # noqa: E402

from trading.backtest.data import replay_history  # noqa: E402
from trading.backtest.engine import BacktestSettings, ExitReason, run_backtest  # noqa: E402
from trading.config import TradingConfig  # noqa: E402
from trading.decision.indicators import OHLCV, compute_all, sma  # noqa: E402
from trading.decision.orchestrator import plan_all  # noqa: E402
from trading.exchange.feeds.replay import ReplayFeed  # noqa: E402


def candles() -> tuple[OHLCV, OHLCV, object]:
    """(a year for timing, the real span, market): the bundled replay's real candles (ETH/BTC 2018 rescaled, about
    20 days) and, for timing only, the same candles repeated back to back to a year (365 days, 105,120 bars)."""
    import asyncio

    from trading.clock import SystemClock
    from trading.exchange.feeds.provenance import replay_origins

    market = asyncio.run(ReplayFeed(SystemClock()).load_markets())["BTC/USD"]
    origin = replay_origins()["BTC/USD"]
    real = replay_history("BTC/USD", origin.first_open, origin.end)
    n, step = 105_120, 300_000
    reps = -(-n // len(real))
    year = OHLCV(int(real.timestamps[0]) + np.arange(n, dtype=np.int64) * step,
                 *(np.tile(np.asarray(getattr(real, k)), reps)[:n] for k in ("open", "high", "low", "close", "volume")))
    return year, real, market


def best_of(n: int, fn):  # noqa: ANN001, ANN201
    times, result = [], None
    for _ in range(n):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def part_a(ohlcv: OHLCV, market) -> None:  # noqa: ANN001
    cfg = TradingConfig()
    first, result = best_of(1, lambda: run_backtest(ohlcv, market, cfg, BacktestSettings()))
    best, result = best_of(5, lambda: run_backtest(ohlcv, market, cfg, BacktestSettings()))
    ind_s, ind = best_of(5, lambda: compute_all(ohlcv, cfg.indicators))
    plan_s, _ = best_of(5, lambda: plan_all(ind, cfg))
    m = result.metrics
    print(f"(a) {len(ohlcv):,} x 5m BTC/USD candles, default stack, risk sizing + brackets + risk gate, paper fills")
    print(f"    wall time incl. indicators: first run {first * 1000:.0f} ms, best of 5 {best * 1000:.0f} ms")
    print(f"    of which indicators {ind_s * 1000:.0f} ms, regimes + signals + filters (plan_all) {plan_s * 1000:.0f} ms, "
          f"the event loop with sizing and fills the rest")
    print(f"    {m.trades} trades, {result.entry_signals} entry signals while flat, skipped {result.skipped or '{}'}; "
          f"return {m.total_return * 100:+.1f}%, fees {m.fees:.2f}")


RUNS = 5


def backtesting_py(ohlcv: OHLCV):  # noqa: ANN201
    from backtesting import Strategy
    from backtesting.lib import FractionalBacktest, crossover

    # The SMAs of the unscaled closes, the very floats Zyn compares: FractionalBacktest rescales the prices it
    # holds, and an SMA of rescaled prices can differ in the last bit, which turns an exact tie into a cross.
    fast_values, slow_values = sma(ohlcv.close, 10), sma(ohlcv.close, 30)

    class SmaCross(Strategy):
        def init(self) -> None:
            self.fast = self.I(lambda: fast_values, name="SMA(10)")
            self.slow = self.I(lambda: slow_values, name="SMA(30)")

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                if not self.position:  # one position at a time: Zyn's rule (see the module notes)
                    self.buy()
            elif crossover(self.slow, self.fast):
                self.position.close()

    df = pd.DataFrame({"Open": ohlcv.open, "High": ohlcv.high, "Low": ohlcv.low, "Close": ohlcv.close,
                       "Volume": ohlcv.volume}, index=pd.to_datetime(ohlcv.timestamps, unit="ms", utc=True))
    bt = FractionalBacktest(df, SmaCross, cash=10_000, commission=0.0026, trade_on_close=False,
                            exclusive_orders=True, fractional_unit=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "some trades remain open": expected, see the module notes
        return bt.run()


def warm_medians(runs: int, **fns):  # noqa: ANN003, ANN201
    """Each function once untimed, then `runs` timed rounds, interleaved: {name: (median s, min s, last result)}."""
    results = {name: fn() for name, fn in fns.items()}  # warm-up, untimed
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            t = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t)
    return {name: (statistics.median(ts), min(ts), results[name]) for name, ts in times.items()}


def part_b(ohlcv: OHLCV, market, label: str) -> bool:  # noqa: ANN001
    cfg = TradingConfig(strategy="ma_crossover")  # SMA(10) / SMA(30) are the defaults
    settings = BacktestSettings(sizing="all_in", brackets=False, use_filters=False, taker_fee=D("0.0026"),
                                slippage_bps=D("0"))
    # backtesting.py knows no exchange minimums: neither may Zyn here, or the strategy's losses would
    # shrink the account below Kraken's minimum order and Zyn would (rightly) stop trading first.
    market = replace(market, min_amount=market.amount_step, min_cost=D("0"))
    timed = warm_medians(RUNS, zyn=lambda: run_backtest(ohlcv, market, cfg, settings),
                         bt=lambda: backtesting_py(ohlcv))
    zyn_med, zyn_min, zyn = timed["zyn"]
    bt_med, bt_min, stats = timed["bt"]
    t = stats["_trades"]
    theirs = [(int(r.EntryBar), int(r.ExitBar), r.EntryTime, r.ExitTime, float(r.EntryPrice), float(r.ExitPrice))
              for r in t.itertuples()]
    closed = [x for x in zyn.trades if x.exit_reason is not ExitReason.END]
    ours = [(x.entry_bar, x.exit_bar, pd.Timestamp(x.entry_time), pd.Timestamp(x.exit_time), float(x.entry_price),
             float(x.exit_price)) for x in closed]

    def same(a: tuple, b: tuple) -> bool:
        return a[:4] == b[:4] and all(abs(p - q) <= 1e-6 * abs(q) for p, q in zip(a[4:], b[4:], strict=True))

    diff = next((k for k, (a, b) in enumerate(zip(ours, theirs, strict=False)) if not same(a, b)), None)
    identical = diff is None and len(ours) == len(theirs)
    fast, slow = sma(ohlcv.close, 10), sma(ohlcv.close, 30)
    ties = int(np.sum(fast == slow))
    print(f"(b) {label}: SMA(10)/SMA(30) crossover, long only, all in, next-open fills, 0.26% per side, "
          f"{len(ohlcv):,} candles ({ties:,} bars where the SMAs tie exactly)")
    print(f"    trades: Zyn {len(zyn.trades)} ({len(closed)} closed + {len(zyn.trades) - len(closed)} open at the end, "
          f"sold at the last close), backtesting.py {len(theirs)} closed")
    print(f"    trade lists identical (entry/exit bar, time and price): {'yes' if identical else 'NO'}")
    if not identical:
        k = diff if diff is not None else min(len(ours), len(theirs))
        print(f"    first difference at trade {k}: Zyn {ours[k] if k < len(ours) else None} vs "
              f"backtesting.py {theirs[k] if k < len(theirs) else None}")
    print(f"    final equity from 10,000: Zyn {zyn.final_equity:.2f}, backtesting.py {stats['Equity Final [$]']:.2f} "
          f"(0.52% fees a round trip, {len(theirs):,} times)")
    print(f"    wall time, warm, median of {RUNS} (min): Zyn {zyn_med * 1000:.0f} ms ({zyn_min * 1000:.0f}), "
          f"backtesting.py {bt_med * 1000:.0f} ms ({bt_min * 1000:.0f}) -> Zyn {bt_med / zyn_med:.1f}x faster")
    return identical


def one_minute_walk(days: int = 7, seed: int = 11) -> OHLCV:
    """A synthetic 1-minute random walk on a 0.5 tick: flat minutes make exact SMA ties common."""
    n = days * 1440
    rng = np.random.default_rng(seed)
    steps = rng.choice([-1.0, 0.0, 0.0, 1.0], size=n) * 0.5
    close = 30_000 + np.cumsum(steps)
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) + rng.choice([0.0, 0.5], size=n)
    low = np.minimum(open_, close) - rng.choice([0.0, 0.5], size=n)
    t = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp() * 1000) + np.arange(n, dtype=np.int64) * 60_000
    return OHLCV(t, open_, high, low, close, rng.uniform(0.1, 5, size=n))


def main() -> None:
    logger.remove()
    t = time.perf_counter()
    ohlcv, real, market = candles()
    print(f"candles: the bundled replay's {len(real):,} real 5-minute candles (ETH/BTC 2018, rescaled), and for "
          f"timing those repeated to {len(ohlcv):,} (365 days; loaded in {time.perf_counter() - t:.1f} s, not timed)")
    part_a(ohlcv, market)
    ok = part_b(ohlcv, market, "the year of 5-minute candles (repeated real days)")
    ok &= part_b(real, market, "the real 5-minute span")
    if "--candles" in sys.argv:
        from trading.backtest.data import load_candles

        path = sys.argv[sys.argv.index("--candles") + 1]
        ok &= part_b(load_candles(path), market, f"candles from {path}")
    else:
        ok &= part_b(one_minute_walk(), market, "a week of synthetic 1-minute candles")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
