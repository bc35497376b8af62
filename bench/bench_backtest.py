"""Backtest speed and semantics: a year of 5-minute candles, and Zyn against backtesting.py on one SMA crossover.

(a) 105,120 five-minute BTC/USD candles (the bundled replay data looped over 2024, 365 days) through
    run_backtest() with the default strategy stack, risk sizing with brackets, the risk gate and paper
    fills: wall time including the indicators.
(b) The plain SMA(10)/SMA(30) crossover, long only, all in, entries and exits at the next candle's open,
    0.26 % fee per side, run by Zyn and by backtesting.py in this process on the same candles.

How the semantics were aligned (so the trade lists can be identical):
- Crossing: backtesting.py's crossover(a, b) is `a[-2] < b[-2] and a[-1] > b[-1]` (strict on both bars);
  Zyn's strategies/base.py crosses_above() is the same test, vectorised. Equal values are no cross.
- Indicator values: backtesting.py's strategy uses trading.decision.indicators.sma, so both engines compare the
  very same floats; two SMA implementations can differ in the last bit and flip an exact tie.
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

START, END = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 12, 31, tzinfo=UTC)  # 365 days = 105,120 bars


def candles() -> tuple[OHLCV, object]:
    import asyncio

    from trading.clock import SystemClock

    market = asyncio.run(ReplayFeed(SystemClock()).load_markets())["BTC/USD"]
    return replay_history("BTC/USD", START, END), market


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


def backtesting_py(ohlcv: OHLCV):  # noqa: ANN201
    from backtesting import Strategy
    from backtesting.lib import FractionalBacktest, crossover

    class SmaCross(Strategy):
        def init(self) -> None:
            self.fast = self.I(sma, self.data.Close, 10)
            self.slow = self.I(sma, self.data.Close, 30)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
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


def part_b(ohlcv: OHLCV, market) -> None:  # noqa: ANN001
    cfg = TradingConfig(strategy="ma_crossover")  # SMA(10) / SMA(30) are the defaults
    settings = BacktestSettings(sizing="all_in", brackets=False, use_filters=False, taker_fee=D("0.0026"),
                                slippage_bps=D("0"))
    # backtesting.py knows no exchange minimums: neither may Zyn here, or the strategy's losses would
    # shrink the account below Kraken's minimum order and Zyn would (rightly) stop trading first.
    market = replace(market, min_amount=market.amount_step, min_cost=D("0"))
    zyn_s, zyn = best_of(5, lambda: run_backtest(ohlcv, market, cfg, settings))
    bt_s, stats = best_of(1, lambda: backtesting_py(ohlcv))
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
    print(f"(b) SMA(10)/SMA(30) crossover, long only, all in, next-open fills, 0.26% per side, {len(ohlcv):,} candles")
    print(f"    trades: Zyn {len(zyn.trades)} ({len(closed)} closed + {len(zyn.trades) - len(closed)} open at the end, "
          f"sold at the last close), backtesting.py {len(theirs)} closed")
    print(f"    trade lists identical (entry/exit bar, time and price): {'yes' if identical else 'NO'}")
    if not identical:
        k = diff if diff is not None else min(len(ours), len(theirs))
        print(f"    first difference at trade {k}: Zyn {ours[k] if k < len(ours) else None} vs "
              f"backtesting.py {theirs[k] if k < len(theirs) else None}")
    print(f"    final equity from 10,000: Zyn {zyn.final_equity:.2f}, backtesting.py {stats['Equity Final [$]']:.2f} "
          f"(0.52% fees a round trip, {len(theirs):,} times)")
    print(f"    wall time: Zyn {zyn_s * 1000:.0f} ms (best of 5, incl. indicators), backtesting.py {bt_s * 1000:.0f} ms"
          f" -> Zyn is {bt_s / zyn_s:.0f}x faster")


def main() -> None:
    logger.remove()
    t = time.perf_counter()
    ohlcv, market = candles()
    span = (ohlcv.timestamps[-1] - ohlcv.timestamps[0]) / 86_400_000
    print(f"candles: {len(ohlcv):,} from the replay feed looped over {span:.0f} days "
          f"(loaded in {time.perf_counter() - t:.1f} s, not timed below); {np.unique(np.diff(ohlcv.timestamps))} ms apart")
    part_a(ohlcv, market)
    part_b(ohlcv, market)


if __name__ == "__main__":
    main()
