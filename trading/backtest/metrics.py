"""Backtest trades and metrics: returns, risk-adjusted ratios, drawdown and trade statistics."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

import numpy as np

BARS_PER_YEAR_5M = 105_120  # 365 days x 288 five-minute candles (crypto trades every day)
_YEAR_MS = 365 * 86_400_000


class ExitReason(StrEnum):
    SIGNAL = "signal"  # the strategy's exit, filled at the next open
    STOP = "stop"
    TARGET = "target"
    END = "end"  # still open after the last candle: sold at its close


@dataclass(frozen=True, slots=True)
class Trade:
    """One round trip. Times are the candle open times of the fill bars (an "end" exit: the last close)."""

    symbol: str
    strategy: str | None
    regime: str | None
    signal_bar: int  # the bar whose close decided the entry
    entry_bar: int
    entry_time: datetime
    entry_price: Decimal
    exit_bar: int
    exit_time: datetime
    exit_price: Decimal
    amount: Decimal
    entry_fee: Decimal
    exit_fee: Decimal
    pnl: Decimal  # net of both fees
    exit_reason: ExitReason
    stop: Decimal | None = None
    target: Decimal | None = None

    @property
    def fees(self) -> Decimal:
        return self.entry_fee + self.exit_fee

    @property
    def return_pct(self) -> float:
        """Net P&L as a percentage of what the entry cost (fee included)."""
        cost = self.amount * self.entry_price + self.entry_fee
        return float(self.pnl / cost * 100) if cost else 0.0


class TradeLike(Protocol):
    """What the metrics need from a trade."""

    pnl: Decimal
    entry_bar: int
    exit_bar: int


@dataclass(frozen=True, slots=True)
class Metrics:
    """A backtest's figures. Ratios are fractions (0.12 = 12 %); money is in the quote currency."""

    start_equity: float
    final_equity: float
    total_return: float
    cagr: float | None  # None when the period is too short to annualise meaningfully
    sharpe: float | None  # annualised from per-bar returns, risk-free rate 0; None for a flat curve
    sortino: float | None  # as Sharpe, but dividing by the downside deviation (target 0)
    max_drawdown: float  # deepest fall from a running peak, as a positive fraction
    max_drawdown_bars: int  # longest stretch below a previous peak, in bars
    trades: int
    win_rate: float | None  # share of trades with a positive net P&L
    profit_factor: float | None  # gross wins / gross losses; inf with no losing trade
    expectancy: Decimal | None  # mean net P&L per trade
    best_trade: Decimal | None
    worst_trade: Decimal | None
    exposure: float  # share of bars with a position held at some point of the bar
    fees: Decimal
    bars: int
    years: float

    def as_dict(self) -> dict[str, Any]:
        """The metrics with Decimals as strings and non-finite floats as None (JSON-ready)."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, Decimal):
                out[key] = str(value)
            elif isinstance(value, float) and not math.isfinite(value):
                out[key] = None if math.isnan(value) else "inf"
            else:
                out[key] = value
        return out


def drawdown(equity: np.ndarray) -> np.ndarray:
    """Per-bar drawdown from the running peak, as a fraction <= 0 (-0.1 = 10 % below the peak)."""
    eq = np.asarray(equity, dtype=float)
    if eq.size == 0:
        return eq
    peak = np.maximum.accumulate(eq)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, eq / peak - 1.0, 0.0)
    return dd


def _longest_underwater(dd: np.ndarray) -> int:
    """Longest run of consecutive bars below a previous peak."""
    under = dd < 0
    if not under.any():
        return 0
    # Run lengths of True: positions where a run starts and ends, found without a Python loop.
    padded = np.concatenate(([False], under, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return int((edges[1::2] - edges[::2]).max())


def _years(n: int, times: np.ndarray | None, bars_per_year: int) -> float:
    """Length of the period in 365-day years: from the timestamps (ms) when given, else from the bar count."""
    if times is not None and len(times) >= 2:
        t = np.asarray(times, dtype=np.int64)
        step = int(np.median(np.diff(t)))
        return float(t[-1] - t[0] + step) / _YEAR_MS
    return n / bars_per_year


def compute_metrics(equity: np.ndarray, times: np.ndarray | None, trades: Sequence[TradeLike], fees: Decimal,
                    bars_per_year: int = BARS_PER_YEAR_5M) -> Metrics:
    """Every figure of a backtest from its per-bar equity (marked at close), bar times (ms) and trades."""
    eq = np.asarray(equity, dtype=float)
    if eq.size == 0:
        raise ValueError("an equity curve needs at least one bar")
    start, final = float(eq[0]), float(eq[-1])
    total = final / start - 1.0 if start > 0 else 0.0
    years = _years(eq.size, times, bars_per_year)
    # Under ~30 days an annualised growth rate is noise blown up to absurd numbers; say so with None.
    cagr = (final / start) ** (1.0 / years) - 1.0 if years >= 30 / 365 and start > 0 and final > 0 else None
    if eq.size > 2:
        rets = eq[1:] / eq[:-1] - 1.0
        scale = math.sqrt(bars_per_year)
        mean, std = float(rets.mean()), float(rets.std(ddof=1))
        sharpe = mean / std * scale if std > 0 else None
        downside = float(np.sqrt(np.mean(np.minimum(rets, 0.0) ** 2)))
        sortino = mean / downside * scale if downside > 0 else None
    else:
        sharpe = sortino = None
    dd = drawdown(eq)

    pnls = [t.pnl for t in trades]
    wins = [p for p in pnls if p > 0]
    losses = [p for p in pnls if p < 0]
    gross_win, gross_loss = sum(wins, Decimal(0)), -sum(losses, Decimal(0))
    if not pnls:
        profit_factor = None
    elif gross_loss > 0:
        profit_factor = float(gross_win / gross_loss)
    else:
        profit_factor = math.inf if gross_win > 0 else None
    held = np.zeros(eq.size, dtype=bool)
    for t in trades:  # the same convention as backtesting.py's "Exposure Time": entry bar to exit bar inclusive
        held[t.entry_bar:t.exit_bar + 1] = True
    return Metrics(
        start_equity=start, final_equity=final, total_return=total, cagr=cagr, sharpe=sharpe, sortino=sortino,
        max_drawdown=float(-dd.min()) if dd.size else 0.0, max_drawdown_bars=_longest_underwater(dd),
        trades=len(pnls), win_rate=len(wins) / len(pnls) if pnls else None, profit_factor=profit_factor,
        expectancy=sum(pnls, Decimal(0)) / len(pnls) if pnls else None,
        best_trade=max(pnls) if pnls else None, worst_trade=min(pnls) if pnls else None,
        exposure=float(held.mean()), fees=fees, bars=int(eq.size), years=years)
