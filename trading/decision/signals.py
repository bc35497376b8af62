"""The signal engine's market filters: each reports pass or fail with its value and threshold."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from trading.config import TradingConfig
from trading.decision.evaluation import FilterResult
from trading.decision.indicators import Indicators

# name -> (values, threshold, passes(values, threshold), sentence)
_Spec = tuple[Callable[[Indicators], np.ndarray], Callable[[TradingConfig], float], str, str]

FILTERS: dict[str, _Spec] = {
    "rsi_max": (lambda d: d.rsi, lambda c: c.filters.rsi_max_long, "<=", "RSI not overbought"),
    "rsi_min": (lambda d: d.rsi, lambda c: c.filters.rsi_min_long, ">=", "RSI not collapsing"),
    "trend_sma": (lambda d: d.close - d.sma_trend, lambda c: 0.0, ">", "price above the trend SMA"),
    "volume": (lambda d: d.volume_ratio, lambda c: c.filters.min_volume_ratio, ">=", "enough volume"),
    "volatility": (lambda d: d.volatility, lambda c: c.filters.max_volatility, "<=", "volatility acceptable"),
    "chop": (lambda d: d.chop, lambda c: c.filters.max_chop, "<=", "market not choppy"),
    "atr_spike": (lambda d: d.atr_spike, lambda c: c.filters.max_atr_spike, "<=", "no ATR spike"),
}
_TREND = ("rsi_max", "trend_sma", "volume", "volatility", "chop", "atr_spike")
_REVERSION = ("volume", "volatility", "atr_spike")
FILTERS_FOR: dict[str, tuple[str, ...]] = {
    "trend_following": _TREND, "ma_crossover": _TREND, "macd": _TREND,
    "mean_reversion": _REVERSION, "rsi": _REVERSION, "breakout": ("volatility", "atr_spike"),
    # The higher-timeframe strategies are filtered by their 1h trend; a 5-minute filter would only add noise.
    "htf_trend": (), "htf_breakout": (),
}


def _active(name: str, cfg: TradingConfig) -> bool:
    return not (name == "trend_sma" and not cfg.filters.require_trend_sma)


def _passes(values: np.ndarray, op: str, threshold: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if op == "<=":
            return values <= threshold
        if op == ">=":
            return values >= threshold
        return values > threshold  # NaN compares False: a filter without data fails


def filters_mask(ind: Indicators, cfg: TradingConfig, strategy: str) -> np.ndarray:
    """True at the bars where every filter of the strategy passes (vectorised)."""
    ok = np.ones(len(ind), dtype=bool)
    for name in FILTERS_FOR.get(strategy, _TREND):
        if _active(name, cfg):
            values, threshold, op, _ = FILTERS[name]
            ok &= _passes(values(ind), op, threshold(cfg))
    return ok


def filter_results(ind: Indicators, i: int, cfg: TradingConfig, strategy: str) -> tuple[FilterResult, ...]:
    """Each filter of the strategy at bar i, with its value: the same tests as filters_mask()."""
    out = []
    for name in FILTERS_FOR.get(strategy, _TREND):
        if not _active(name, cfg):
            continue
        values, threshold, op, sentence = FILTERS[name]
        value, limit = float(values(ind)[i]), float(threshold(cfg))
        passed = bool(_passes(np.array([value]), op, limit)[0])
        shown = None if np.isnan(value) else value
        out.append(FilterResult(name=name, passed=passed, value=shown, threshold=limit,
                                detail=f"{sentence}: {name} {'n/a' if shown is None else f'{value:.4g}'} "
                                       f"{op} {limit:g} {'ok' if passed else 'FAILED'}"))
    return tuple(out)
