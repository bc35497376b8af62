"""The regime classifier: its rules on hand-made values, on synthetic markets, and on real candles."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from trading.config import IndicatorSettings, RegimeSettings
from trading.decision.indicators import OHLCV, Indicators, compute_all
from trading.decision.regimes import REGIME_ORDER, Regime, RegimeReading, classify_all, classify_at

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "candles"
S = RegimeSettings(timeframe="5m")  # the 5-minute rules: adx_trend 22, chop_high 61.8, atr_spike_volatile 2, vol_volatile 0.012
NAN = float("nan")


def load(pair: str) -> OHLCV:
    with (FIXTURES / f"{pair}-5m.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    col = {k: [float(r[k]) for r in rows] for k in ("open", "high", "low", "close", "volume")}
    return OHLCV(timestamps=[int(r["timestamp"]) for r in rows], **col)


def market(close: np.ndarray, spread: float = 0.0005, seed: int = 0) -> Indicators:
    """Indicators over candles built around a close series (each bar opens at the previous close)."""
    rng = np.random.default_rng(seed)
    n = len(close)
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) * (1 + rng.uniform(0, spread, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, spread, n))
    return compute_all(OHLCV(np.arange(n) * 300_000, open_, high, low, close, rng.uniform(50, 150, n)),
                       IndicatorSettings())


def made(**columns: list[float]) -> Indicators:
    """Indicators with the given regime inputs (the other arrays NaN): to test the rules exactly."""
    n = len(next(iter(columns.values())))
    ohlcv = OHLCV(np.arange(n), *([np.ones(n)] * 5))
    arrays = {name: np.asarray(columns.get(name, [NAN] * n), dtype=float) for name in Indicators.names}
    return Indicators(ohlcv=ohlcv, **arrays)


def agree(ind: Indicators, s: RegimeSettings = S) -> np.ndarray:
    """classify_all's codes, after checking classify_at says the same at every bar."""
    codes = classify_all(ind, s)
    assert codes.dtype == np.int8 and len(codes) == len(ind)
    for i, code in enumerate(codes):
        reading = classify_at(ind, i, s)
        assert reading.regime == (None if code < 0 else REGIME_ORDER[code]), (i, reading)
    return codes


def names(codes: np.ndarray) -> Counter:
    return Counter(None if c < 0 else REGIME_ORDER[c].value for c in codes)


def test_regime_enum_and_order() -> None:
    assert [r.value for r in REGIME_ORDER] == ["trending_up", "trending_down", "range", "volatile", "chop"]
    assert Regime("chop") is Regime.CHOP and str(Regime.RANGE) == "range"


# columns: adx, plus_di, minus_di, chop, atr_spike, volatility -> expected
RULES = [
    ((30, 25, 10, 50, 1.0, 0.001), Regime.TRENDING_UP),
    ((30, 10, 25, 50, 1.0, 0.001), Regime.TRENDING_DOWN),
    ((30, 20, 20, 50, 1.0, 0.001), Regime.TRENDING_DOWN),  # a DI tie is not an uptrend
    ((22, 25, 10, 70, 1.0, 0.001), Regime.TRENDING_UP),  # thresholds are inclusive: ADX 22 trends
    ((21.99, 25, 10, 70, 1.0, 0.001), Regime.CHOP),
    ((15, 25, 10, 61.8, 1.0, 0.001), Regime.CHOP),
    ((15, 25, 10, 61.7, 1.0, 0.001), Regime.RANGE),
    ((40, 25, 10, 30, 2.0, 0.001), Regime.VOLATILE),  # volatility beats trend
    ((40, 25, 10, 30, 1.0, 0.012), Regime.VOLATILE),
    ((10, 25, 10, 90, 1.99, 0.0119), Regime.CHOP),
    ((NAN, 25, 10, 50, 1.0, 0.001), None),
    ((30, 25, 10, 50, 1.0, NAN), None),  # one missing input is warm-up, even if the rest would decide
    ((30, 25, 10, 50, NAN, 0.02), None),
]


@pytest.mark.parametrize(("row", "expected"), RULES)
def test_rules(row: tuple[float, ...], expected: Regime | None) -> None:
    cols = dict(zip(("adx", "plus_di", "minus_di", "chop", "atr_spike", "volatility"), ([v] for v in row),
                    strict=True))
    ind = made(**cols)
    agree(ind)
    reading = classify_at(ind, 0, S)
    assert reading.regime == expected
    assert set(reading.values) == {"adx", "plus_di", "minus_di", "chop", "atr_spike", "volatility"}
    assert all(v is None or isinstance(v, float) for v in reading.values.values())


def test_reasons_read_as_one_line_with_the_deciding_values() -> None:
    ind = made(adx=[31.24, 31.2, 15, 15, 40, 40, 30], plus_di=[28.1, 10, 20, 20, 20, 20, 30],
               minus_di=[12.4, 25, 20, 20, 20, 20, 10], chop=[40, 40, 70, 45.1, 40, 40, 40],
               atr_spike=[1, 1, 1, 1, 2.345, 2.5, 1], volatility=[0.001, 0.001, 0.001, 0.001, 0.001, 0.02, NAN])
    reasons = [classify_at(ind, i, S).reason for i in range(len(ind))]
    assert reasons[0] == "ADX 31.2 >= 22 and +DI 28.1 > -DI 12.4: trending up"
    assert reasons[1] == "ADX 31.2 >= 22 and +DI 10.0 <= -DI 25.0: trending down"
    assert reasons[2] == "ADX 15.0 < 22 and choppiness 70.0 >= 61.8: chop"
    assert reasons[3] == "ADX 15.0 < 22 and choppiness 45.1 < 61.8: range"
    assert reasons[4] == "ATR spike 2.35 >= 2: volatile"
    assert reasons[5] == "ATR spike 2.50 >= 2 and volatility 0.0200 >= 0.012: volatile"
    assert reasons[6] == "warming up: no volatility yet"
    assert all("\n" not in r for r in reasons)


def test_reasons_never_show_a_rounded_value_on_the_wrong_side() -> None:
    ind = made(adx=[21.96, 30], plus_di=[10, 20.04], minus_di=[10, 20.01], chop=[61.76, 40],
               atr_spike=[1.999, 1], volatility=[0.01199, 0.001])
    assert classify_at(ind, 0, S).reason == "ADX 21.96 < 22 and choppiness 61.76 < 61.8: range"
    assert classify_at(ind, 1, S).reason == "ADX 30.0 >= 22 and +DI 20.04 > -DI 20.01: trending up"


def test_negative_index_counts_from_the_end() -> None:
    ind = made(adx=[30, 10], plus_di=[25, 5], minus_di=[10, 5], chop=[50, 50], atr_spike=[1, 1],
               volatility=[0.001, 0.001])
    assert classify_at(ind, -1, S).regime is Regime.RANGE
    assert classify_at(ind, -2, S) == classify_at(ind, 0, S)
    assert isinstance(classify_at(ind, 0, S), RegimeReading)


# --- synthetic markets -----------------------------------------------------------------------------

N = 400
WARM = IndicatorSettings().warmup
rng = np.random.default_rng(1)
STEPS = rng.normal(0, 0.0008, N)


def test_rising_market_trends_up() -> None:
    codes = agree(market(100 * np.exp(np.cumsum(0.002 + STEPS))))
    assert set(names(codes[WARM:])) == {"trending_up"}


def test_falling_market_trends_down() -> None:
    codes = agree(market(100 * np.exp(np.cumsum(-0.002 + STEPS))))
    assert set(names(codes[WARM:])) == {"trending_down"}


def test_flat_oscillating_market_is_range_or_chop() -> None:
    t = np.arange(N)
    codes = agree(market(100 * (1 + 0.002 * np.sin(t * 2 * np.pi / 6) + rng.normal(0, 0.0005, N))))
    assert set(names(codes[WARM:])) <= {"range", "chop"}
    assert {"range", "chop"} & set(names(codes[WARM:]))


def test_sudden_volatility_burst_is_volatile() -> None:
    calm = 100 * (1 + 0.001 * np.sin(np.arange(300) * 2 * np.pi / 6))
    burst = calm[-1] * np.exp(np.cumsum([0.03, -0.04, 0.05, -0.03, 0.04]))
    ind = market(np.r_[calm, burst])
    codes = agree(ind)
    assert names(codes[250:300]).keys() <= {"range", "chop"}
    assert (codes[-4:] == REGIME_ORDER.index(Regime.VOLATILE)).all()
    reading = classify_at(ind, -1, S)
    assert reading.reason.endswith(": volatile") and reading.values["atr_spike"] >= 2


def test_warm_up_is_none_until_every_input_exists() -> None:
    ind = market(100 * np.exp(np.cumsum(0.002 + STEPS)))
    codes = agree(ind)
    first = max(int(np.flatnonzero(~np.isnan(getattr(ind, k)))[0])
                for k in ("adx", "plus_di", "minus_di", "chop", "atr_spike", "volatility"))
    assert (codes[:first] == -1).all() and codes[first] >= 0
    early = classify_at(ind, 0, S)
    assert early.regime is None and early.reason.startswith("warming up: no adx")
    assert all(v is None for v in early.values.values())
    assert len(classify_all(market(np.ones(10)), S)) == 10


def test_a_dead_flat_market_is_chop_not_warm_up() -> None:
    codes = agree(market(np.full(200, 0.05), spread=0.0))
    assert set(names(codes[WARM:])) == {"chop"}


# --- real candles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", ["ETH_BTC", "LTC_BTC"])
@pytest.mark.parametrize("settings", [S, RegimeSettings(adx_trend=30, chop_high=55, atr_spike_volatile=1.3,
                                                        vol_volatile=0.006, timeframe="5m")])
def test_classify_at_agrees_with_classify_all_on_real_candles(pair: str, settings: RegimeSettings) -> None:
    ind = compute_all(load(pair), IndicatorSettings())
    seen = names(agree(ind, settings))
    assert seen[None] == 61  # ATR(14) then its 48-candle average: the last input to warm up
    assert len(seen) >= 4  # a real market visits several regimes in ten days
