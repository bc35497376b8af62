"""The orchestrator: the regime picks the strategy; one decision function serves live, paper and backtest."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trading.config import TradingConfig
from trading.decision.evaluation import FilterResult, SkipReason
from trading.decision.indicators import Indicators
from trading.decision.regimes import REGIME_ORDER, Regime, RegimeReading, classify_all, classify_at
from trading.decision.signals import filter_results, filters_mask
from trading.decision.strategies import EXIT, LONG, STRATEGIES, Strategy, get_strategy


def strategy_for(regime: Regime | None, cfg: TradingConfig) -> Strategy | None:
    """The strategy for a regime (or the forced one); None means stay out."""
    if cfg.strategy:
        return get_strategy(cfg.strategy)
    if regime is None:
        return None
    name = cfg.regime_strategies.get(regime.value, "none")
    return None if name in ("none", "") else get_strategy(name)


@dataclass(frozen=True)
class EntryDecision:
    """Whether to enter at bar i, and every reason for it or against it."""

    regime: RegimeReading
    strategy: str | None
    signal: int
    enter: bool
    filters: tuple[FilterResult, ...]
    reasons: tuple[str, ...]
    skip: SkipReason | None


def decide_entry(ind: Indicators, i: int, cfg: TradingConfig, *, use_filters: bool = True) -> EntryDecision:
    """The entry decision for a flat symbol at bar i (explained)."""
    reading = classify_at(ind, i, cfg.regimes)
    if reading.regime is None and not cfg.strategy:
        return EntryDecision(reading, None, 0, False, (), ("not enough candles for the indicators yet",),
                             SkipReason.WARMUP)
    strategy = strategy_for(reading.regime, cfg)
    if strategy is None:
        return EntryDecision(reading, None, 0, False, (), (f"{reading.reason}; this regime trades no strategy",),
                             SkipReason.NO_STRATEGY)
    signal = strategy.signal_at(ind, i, cfg)
    reasons = [reading.reason, *strategy.explain(ind, i, cfg)]
    filters = filter_results(ind, i, cfg, strategy.name) if use_filters else ()
    if signal != LONG:
        if signal == EXIT:
            reasons.append("that is an exit signal and there is no position to close: nothing to do")
        return EntryDecision(reading, strategy.name, signal, False, filters, tuple(reasons), SkipReason.NO_SIGNAL)
    failed = [f for f in filters if not f.passed]
    if failed:
        reasons += [f.detail for f in failed]
        return EntryDecision(reading, strategy.name, signal, False, filters, tuple(reasons), SkipReason.FILTER_FAILED)
    return EntryDecision(reading, strategy.name, signal, True, filters, tuple(reasons), None)


def decide_exit(ind: Indicators, i: int, cfg: TradingConfig, strategy_name: str | None) -> tuple[bool, tuple[str, ...]]:
    """Whether the strategy that opened a position says to close it at bar i."""
    if not strategy_name or strategy_name not in STRATEGIES:
        return False, ("position is managed by its stop and target only",)
    strategy = STRATEGIES[strategy_name]
    return strategy.signal_at(ind, i, cfg) == EXIT, tuple(strategy.explain(ind, i, cfg))


def stop_atr(ind: Indicators, strategy_name: str | None) -> np.ndarray:
    """The ATR a position of this strategy sets its stop and target with (5-minute ATR for none or unknown)."""
    strategy = STRATEGIES.get(strategy_name or "")
    return strategy.stop_atr(ind) if strategy is not None else ind.atr


@dataclass(frozen=True)
class Plan:
    """Every bar's decision inputs at once, for backtests: the same functions as decide_entry()."""

    regimes: np.ndarray  # int8 index into REGIME_ORDER, -1 during warm-up
    strategy: np.ndarray  # int8 index into names, -1 = stay out
    names: tuple[str, ...]
    entries: np.ndarray  # bool: enter long at this bar's close (filters applied)
    exits: dict[str, np.ndarray]  # per strategy name: bool exit signal
    atr: np.ndarray  # float per bar: the ATR the chosen strategy's stop and target use (stop_atr)


def plan_all(ind: Indicators, cfg: TradingConfig, *, use_filters: bool = True) -> Plan:
    """Vectorised decisions over a whole history."""
    regimes = classify_all(ind, cfg.regimes)
    n = len(ind)
    names = tuple(STRATEGIES)
    chosen = np.full(n, -1, dtype=np.int8)
    if cfg.strategy:
        chosen[:] = names.index(get_strategy(cfg.strategy).name)
    else:
        for code, regime in enumerate(REGIME_ORDER):
            strat = strategy_for(regime, cfg)
            if strat is not None:
                chosen[regimes == code] = names.index(strat.name)
    entries = np.zeros(n, dtype=bool)
    exits: dict[str, np.ndarray] = {}
    atr = np.array(ind.atr, dtype=np.float64)
    for idx, name in enumerate(names):
        used = chosen == idx
        if not used.any():
            continue
        atr[used] = STRATEGIES[name].stop_atr(ind)[used]
        sig = STRATEGIES[name].signals(ind, cfg)
        exits[name] = sig == EXIT
        ok = (sig == LONG) & used
        if use_filters:
            ok &= filters_mask(ind, cfg, name)
        entries |= ok
    return Plan(regimes=regimes, strategy=chosen, names=names, entries=entries, exits=exits, atr=atr)
