"""What a closed trade (or a signal not taken) came to: the outcome store's record, and how it is computed.

- steady_regimes(): the regime label at entry, causal and with hysteresis: a new raw label replaces the
  current one only after it has held `hold` closed bars in a row, so labels do not flip every bar.
- simulate_shadow(): a signal not taken, simulated to its exit on the closed candles after it, the way the
  backtester would have traded it (entry at the next open, the ATR stop and target from that open, a bar
  touching both is the stop, a gap fills at the open, the strategy's exit signal at the next open, or a
  timeout at a close). It reads no candle after the bar it resolves on; until then it returns None.
- outcome_of_trade(): a backtest Trade as an outcome (the backtester and the walk-forward, in memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np

from trading.clock import from_ms
from trading.decision.regimes import REGIME_ORDER, WARMUP
from trading.learning.selector import Outcome


@dataclass(frozen=True, slots=True)
class TradeOutcome:
    """One closed trade or resolved shadow, as the outcome store keeps it. Returns are fractions (0.004 = +0.4 %)."""

    ref: str  # unique per outcome: the entry order id, or "shadow:<pair>:<strategy>:<candle>"
    source: str  # paper, live or backtest
    shadow: bool
    symbol: str
    strategy: str
    regime: str
    entry_time: datetime
    exit_time: datetime
    entry_price: Decimal
    exit_price: Decimal
    net_return: float  # after both fees and slippage, on what the entry cost
    gross_return: float  # exit touch / entry touch - 1: the move itself, before any cost
    r_multiple: float | None  # net P&L over the risk at the initial stop (fees included); None without a stop
    mae: float  # worst move against the entry while held (<= 0)
    mfe: float  # best move for it (>= 0)
    exit_reason: str  # stop, target, signal, timeout, end, other

    @property
    def hour(self) -> int:
        return self.entry_time.hour

    @property
    def weekday(self) -> int:
        return self.entry_time.weekday()

    @property
    def hold_minutes(self) -> int:
        return int((self.exit_time - self.entry_time).total_seconds() // 60)

    def for_selector(self) -> Outcome:
        return Outcome(self.strategy, self.regime, self.net_return, shadow=self.shadow, pair=self.symbol)


def steady_regimes(codes: np.ndarray, hold: int) -> np.ndarray:
    """Regime codes with hysteresis: a change counts once the new code has held `hold` bars (causal, -1 = none)."""
    out = np.full(len(codes), WARMUP, dtype=np.int8)
    current, run_code, run = WARMUP, WARMUP, 0
    for i, code in enumerate(codes.tolist()):
        if code == WARMUP:
            run_code, run = WARMUP, 0
        else:
            run = run + 1 if code == run_code else 1
            run_code = code
            if current == WARMUP or (code != current and run >= hold):
                current = code
        out[i] = current
    return out


def steady_label(codes: np.ndarray, hold: int) -> str | None:
    """The steady regime at the last bar, as its name (None during warm-up)."""
    if len(codes) == 0:
        return None
    last = int(steady_regimes(codes, hold)[-1])
    return None if last == WARMUP else REGIME_ORDER[last].value


@dataclass(frozen=True, slots=True)
class Costs:
    """What a round trip pays: the taker fee on each leg and the slippage (a fraction) on each fill."""

    taker_fee: float
    slippage: float

    @property
    def round_trip(self) -> float:
        return 2 * (self.taker_fee + self.slippage)


@dataclass(frozen=True, slots=True)
class ShadowExit:
    """Where a simulated signal ended: bar indexes into the arrays it was given."""

    entry_bar: int
    exit_bar: int
    entry_time_ms: int
    exit_time_ms: int
    entry_touch: float
    exit_touch: float
    reason: str
    net_return: float
    gross_return: float
    r_multiple: float
    mae: float
    mfe: float


def simulate_shadow(times: np.ndarray, o: np.ndarray, h: np.ndarray, low: np.ndarray, c: np.ndarray,
                    exit_mask: np.ndarray, signal_bar: int, atr: float, stop_mult: float, target_mult: float,
                    costs: Costs, max_hold: int) -> ShadowExit | None:
    """The signal at `signal_bar`'s close traded to its exit; None while the candles given do not settle it."""
    e = signal_bar + 1
    n = len(c)
    if e >= n or not (np.isfinite(atr) and atr > 0):
        return None
    touch = float(o[e])
    stop, target = touch - atr * stop_mult, touch + atr * target_mult
    if stop <= 0:
        return None
    step = int(times[1] - times[0]) if n > 1 else 300_000
    for k in range(e, n):
        exit_touch, reason, at = None, "", 0
        if low[k] <= stop or h[k] >= target:
            if o[k] <= stop:
                exit_touch, reason = float(o[k]), "stop"
            elif o[k] >= target:
                exit_touch, reason = float(o[k]), "target"
            elif low[k] <= stop:
                exit_touch, reason = stop, "stop"
            else:
                exit_touch, reason = target, "target"
            at, last = int(times[k]), k
        elif exit_mask[k]:
            if k + 1 >= n:
                return None  # the exit fills at the next open, not closed yet
            exit_touch, reason, at, last = float(o[k + 1]), "signal", int(times[k + 1]), k + 1
        elif k - e + 1 >= max_hold:
            exit_touch, reason, at, last = float(c[k]), "timeout", int(times[k]) + step, k
        if exit_touch is None:
            continue
        held = slice(e, last + 1) if reason != "signal" else slice(e, k + 1)
        entry_px = touch * (1 + costs.slippage)
        exit_px = exit_touch * (1 - costs.slippage)
        paid = entry_px * (1 + costs.taker_fee)
        got = exit_px * (1 - costs.taker_fee)
        risk = (entry_px - stop * (1 - costs.slippage)) + costs.taker_fee * (entry_px + stop)
        return ShadowExit(e, last, int(times[e]), at, touch, exit_touch, reason, got / paid - 1,
                          exit_touch / touch - 1, (got - paid) / risk if risk > 0 else 0.0,
                          min(0.0, float(low[held].min()) / touch - 1), max(0.0, float(h[held].max()) / touch - 1))
    return None


def shadow_outcome(symbol: str, strategy: str, regime: str, signal_ms: int, x: ShadowExit,
                   source: str) -> TradeOutcome:
    return TradeOutcome(ref=f"shadow:{symbol}:{strategy}:{signal_ms}", source=source, shadow=True, symbol=symbol,
                        strategy=strategy, regime=regime, entry_time=from_ms(x.entry_time_ms),
                        exit_time=from_ms(x.exit_time_ms), entry_price=Decimal(repr(x.entry_touch)),
                        exit_price=Decimal(repr(x.exit_touch)), net_return=x.net_return, gross_return=x.gross_return,
                        r_multiple=x.r_multiple, mae=x.mae, mfe=x.mfe, exit_reason=x.reason)


def outcome_of_trade(trade, high: np.ndarray, low: np.ndarray, *, regime: str | None = None,  # noqa: ANN001
                     source: str = "backtest", shadow: bool = False, slippage: float = 0.0) -> TradeOutcome | None:
    """A backtest Trade (trading.backtest.metrics.Trade) as an outcome; None without a strategy and regime.

    Its fill prices carry the slippage; the gross move takes it back out (touch to touch, like a shadow's).
    """
    regime = regime or trade.regime
    if not trade.strategy or not regime:
        return None
    entry = float(trade.entry_price)
    held = slice(trade.entry_bar, max(trade.entry_bar, trade.exit_bar) + 1)
    risk = None
    if trade.stop is not None:
        per_unit = (trade.entry_price - trade.stop) * trade.amount + trade.entry_fee * 2
        risk = float(trade.pnl / per_unit) if per_unit > 0 else None
    return TradeOutcome(ref=f"bt:{trade.symbol}:{trade.entry_time.isoformat()}", source=source, shadow=shadow,
                        symbol=trade.symbol, strategy=trade.strategy, regime=regime, entry_time=trade.entry_time,
                        exit_time=trade.exit_time, entry_price=trade.entry_price, exit_price=trade.exit_price,
                        net_return=trade.return_pct / 100.0,
                        gross_return=(float(trade.exit_price) / (1 - slippage)) / (entry / (1 + slippage)) - 1,
                        r_multiple=risk, mae=min(0.0, float(low[held].min()) / entry - 1),
                        mfe=max(0.0, float(high[held].max()) / entry - 1), exit_reason=str(trade.exit_reason))
