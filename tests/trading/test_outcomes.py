"""Outcomes: shadow signals simulated with no look-ahead, steady regime labels, the realised-cost gate."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from trading.backtest.data import load_candles, make_ohlcv
from trading.backtest.engine import BacktestSettings, run_backtest
from trading.backtest.run import market_for
from trading.config import RiskSettings, TradingConfig
from trading.decision.evaluation import SkipReason
from trading.decision.indicators import compute_all
from trading.decision.strategies import EXIT, LONG, STRATEGIES
from trading.learning.learner import RealisedEdge
from trading.learning.outcomes import Costs, outcome_of_trade, simulate_shadow, steady_regimes
from trading.risk.sizing import Sizing, size_long

CANDLES = Path(__file__).resolve().parents[1] / "fixtures" / "candles" / "ETH_BTC-5m.csv"
CFG = TradingConfig()
COSTS = Costs(taker_fee=0.0026, slippage=0.0005)


def _shadows(ohlcv, strategy: str = "mean_reversion", limit: int = 40) -> list[tuple[int, object]]:
    """(signal bar, its simulated exit) for the strategy's first long signals, the arrays as given."""
    ind = compute_all(ohlcv, CFG.indicators)
    sig = STRATEGIES[strategy].signals(ind, CFG)
    exits = sig == EXIT
    out = []
    for j in np.flatnonzero(sig == LONG)[:limit]:
        x = simulate_shadow(ohlcv.timestamps, ohlcv.open, ohlcv.high, ohlcv.low, ohlcv.close, exits, int(j),
                            float(ind.atr[j]), 2.0, 3.0, COSTS, 288)
        out.append((int(j), x))
    return out


def test_a_shadow_outcome_never_reads_a_candle_after_the_bar_it_resolves_on() -> None:
    ohlcv = load_candles(CANDLES)
    settled = [(j, x) for j, x in _shadows(ohlcv) if x is not None]
    assert len(settled) >= 10 and {x.reason for _, x in settled} >= {"stop", "target"}
    for j, x in settled[:10]:
        cut = x.exit_bar + 1  # everything after the resolution bar is poisoned: wild prices and volume
        o, h, lo, c, v = (a.copy() for a in (ohlcv.open, ohlcv.high, ohlcv.low, ohlcv.close, ohlcv.volume))
        rng = np.random.default_rng(j)
        noise = rng.uniform(0.2, 5.0, len(c) - cut)
        c[cut:], o[cut:] = c[cut:] * noise, o[cut:] * noise[::-1]
        h[cut:], lo[cut:], v[cut:] = np.maximum(o[cut:], c[cut:]) * 3, np.minimum(o[cut:], c[cut:]) / 3, v[cut:] * 50
        poisoned = make_ohlcv(ohlcv.timestamps, o, h, lo, c, v)
        again = dict(_shadows(poisoned))
        assert again[j] == x, f"the shadow of bar {j} changed when candles after bar {x.exit_bar} changed"


def test_a_shadow_waits_for_the_candles_that_settle_it() -> None:
    ohlcv = load_candles(CANDLES)
    j, x = next((j, x) for j, x in _shadows(ohlcv) if x is not None and x.exit_bar - j > 3)
    part = make_ohlcv(*(a[:x.exit_bar] for a in (ohlcv.timestamps, ohlcv.open, ohlcv.high, ohlcv.low, ohlcv.close,
                                                  ohlcv.volume)))
    assert dict(_shadows(part)).get(j) is None  # one candle short of its exit: still open
    assert x.net_return < x.gross_return  # costs come off the move
    assert x.mae <= 0 <= x.mfe and (x.r_multiple < 0) == (x.net_return < 0)


def test_steady_regimes_change_only_after_the_new_label_holds() -> None:
    raw = np.array([-1, 2, 2, 0, 2, 0, 0, 0, 3, 3, 2, 2, 2], dtype=np.int8)
    assert steady_regimes(raw, 3).tolist() == [-1, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 2]
    assert steady_regimes(raw, 1).tolist() == [-1, *raw[1:].tolist()]
    # causal: a bar's label is the same whatever comes after it
    assert steady_regimes(raw[:8], 3).tolist() == steady_regimes(raw, 3)[:8].tolist()


def test_backtest_trades_become_outcomes_with_mae_mfe_and_r() -> None:
    ohlcv = load_candles(CANDLES)
    market, _ = market_for("ETH/BTC", {}, unbundled_ok=True)
    result = run_backtest(ohlcv, market, CFG.model_copy(update={"strategy": "ma_crossover"}),
                          BacktestSettings(use_filters=False, taker_fee=Decimal("0.0026")), steady=True)
    found = [outcome_of_trade(t, ohlcv.high, ohlcv.low, slippage=0.0005) for t in result.trades]
    found = [o for o in found if o is not None]
    assert len(found) > 20
    assert all(o.mae <= 0 <= o.mfe and o.r_multiple is not None for o in found)
    assert all((o.net_return > 0) == (o.r_multiple > 0) for o in found)


def _size(realised: RealisedEdge | None) -> Sizing | tuple:
    from tests.fakes import btc_usd

    return size_long(equity=Decimal("10000"), free_quote=Decimal("10000"), entry=Decimal("60000"),
                     atr=Decimal("30"), market=btc_usd(), cfg=RiskSettings(), open_risk=Decimal(0),
                     taker_fee=Decimal("0.004"), realised=realised, slippage=Decimal("0.0005"))


def test_the_cost_gate_uses_what_the_arm_realised_to_its_exit_not_the_atr_target() -> None:
    # A 30 ATR target is 90 on 60,000: far below the fees, so the ATR rule refuses it...
    refused = _size(None)
    assert isinstance(refused, tuple) and refused[0] is SkipReason.EDGE_BELOW_COSTS and "ATR" in refused[1]
    # ...but an arm that has moved +1.5% on average to its exit clears today's 0.9% round trip,
    assert isinstance(_size(RealisedEdge("mean_reversion in range", 30, 0.015)), Sizing)
    # and one that moved +0.29% does not, whatever its ATR target would say.
    low = _size(RealisedEdge("mean_reversion in range", 42, 0.0029))
    assert isinstance(low, tuple) and low[0] is SkipReason.EDGE_BELOW_COSTS
    assert low[1].startswith("mean_reversion in range moved +0.29% on average from entry to exit over 42 outcomes")
    assert "round trip costs 0.90%" in low[1] and "-0.61% net" in low[1]


@pytest.mark.parametrize("edge", [0.0, 0.002])
def test_the_realised_gate_asks_for_more_than_its_margin(edge: float) -> None:
    just = _size(RealisedEdge("breakout in volatile", 12, 0.009 + edge + 0.0001, edge))
    assert isinstance(just, Sizing)
    assert isinstance(_size(RealisedEdge("breakout in volatile", 12, 0.009 + edge, edge)), tuple)


def test_a_1h_strategys_shadow_exits_as_its_backtest_trade_with_its_own_rule_stop_atr_and_hold() -> None:
    """A shadow of htf_breakout (exits on closed 1h bars, stop and target from the 1h ATR) is simulated exactly as
    the backtester trades the same signal; its timeout counts 1h bars, capped by the candles a tick holds."""
    from trading.autopilot.learning import shadow_hold_bars
    from trading.decision.orchestrator import plan_all

    ohlcv = load_candles(CANDLES)
    market, _ = market_for("ETH/BTC", {}, unbundled_ok=True)
    cfg = TradingConfig()  # the default stack: htf_breakout in a 1h uptrend
    result = run_backtest(ohlcv, market, cfg, BacktestSettings(use_filters=False, taker_fee=Decimal("0.0026"),
                                                               slippage_bps=Decimal(0)))
    ind = compute_all(ohlcv, cfg.indicators)
    plan = plan_all(ind, cfg, use_filters=False)
    trades = [t for t in result.trades if t.strategy == "htf_breakout"]
    assert len(trades) >= 3
    strategy = STRATEGIES["htf_breakout"]
    exits = strategy.signals(ind, cfg) == EXIT  # what the autopilot's shadow settling uses
    for t in trades:
        j = t.signal_bar
        atr = float(strategy.stop_atr(ind)[j])  # what the autopilot stores with the shadow (stop_atr)
        assert atr == plan.atr[j] != ind.atr[j]  # the 1h ATR, not the 5-minute one
        x = simulate_shadow(ohlcv.timestamps, ohlcv.open, ohlcv.high, ohlcv.low, ohlcv.close, exits, j, atr,
                            float(cfg.risk.atr_stop_mult), float(cfg.risk.atr_target_mult), Costs(0.0026, 0.0),
                            shadow_hold_bars(strategy, cfg))
        assert x is not None and (x.reason, x.exit_bar) == (str(t.exit_reason), t.exit_bar)
        assert abs(x.exit_touch - float(t.exit_price)) <= float(market.price_step)
    assert shadow_hold_bars(strategy, cfg) == cfg.history - 2  # 288 1h bars, capped by the ~60 h fetched
    assert shadow_hold_bars(STRATEGIES["ma_crossover"], cfg) == cfg.learning.shadow_max_hold_bars  # 5-minute bars


def test_with_a_4h_trend_a_1h_shadow_holds_for_as_long_as_the_ticks_longer_history_keeps_its_candle() -> None:
    """A 4h trend makes the tick hold 2,496 closed candles (trading/autopilot/history.window), not the 719
    fetched: a 1h strategy's shadow may then run 2,494 five-minute bars (~8.7 days), not the ~60 h it had."""
    from trading.autopilot.history import window
    from trading.autopilot.learning import shadow_hold_bars
    from trading.config import HigherTimeframeSettings, IndicatorSettings

    cfg = TradingConfig(indicators=IndicatorSettings(higher=HigherTimeframeSettings(trend_timeframe="4h")))
    held = window(cfg)
    assert held == 2448 + 48 > cfg.history  # the warm-up and one 4h bar more
    assert shadow_hold_bars(STRATEGIES["htf_breakout"], cfg) == held - 2 > cfg.history - 2
    assert shadow_hold_bars(STRATEGIES["htf_trend"], cfg) == held - 2  # 288 of its 1h bars would be 12 days
    assert shadow_hold_bars(STRATEGIES["ma_crossover"], cfg) == 288  # a 5-minute strategy: its own 288 bars
    short = cfg.model_copy(update={"learning": cfg.learning.model_copy(update={"shadow_max_hold_bars": 100})})
    assert shadow_hold_bars(STRATEGIES["htf_breakout"], short) == 100 * 12  # 100 of its 1h bars fit: not capped
