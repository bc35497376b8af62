"""Walk-forward: rolling train/test windows, policies compared on the test windows only, no look-ahead.

Windows: the first test window starts `train` after the first candle; each test window is `test` long and
the next one starts where it ended. A policy decides each test window with the candles up to the bar it
decides on and nothing later:

- static: today's stack (the autopilot's decision and risk code, run_backtest), given the `warmup`
  candles before the window so its indicators are defined from the window's first bar (those candles
  never trade: trade_from); its backtest ends at the window's end, so a later candle cannot reach it. A position open at the end is sold at the
  window's last close (every window is booked on its own).
- cash: stays out (0 %).
- buy_hold: buys at the window's first open and sells at its last close, paying the taker fee and the
  slippage both ways, as a trade of the backtester would.
- adaptive: the learner (trading/learning/selector.py). On each window's train part every signal of the
  stack is simulated to its exit with the entry filters off (the shadow outcomes of signals the static
  stack would not take included), net of fees and slippage; the selector switches (strategy, regime)
  arms on only where the lower confidence bound of that net return is above zero (on/off state carried
  from the previous window: hysteresis); the test window then trades only those arms, and stands aside
  when none is on. Each arm on trades the learner's risk factor in [risk_min_factor, 1] (trading/learning/
  risk.py arm_factors, the same function and [trading.learning] rule the running autopilot sizes with),
  computed from that same train part's outcomes (oldest exit first) and passed per entry to size_long, as
  the autopilot does; static trades the full risk (factor 1). Training never sees a candle of its test
  window or later, so neither the arms nor their factors do.

Totals: return_pct is the SUM of the windows' returns (each window starts from the same balance);
max_drawdown_pct is the deepest fall of the windows chained one after another; profit factor and fees
over every test-window trade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np

from trading.backtest.data import make_ohlcv
from trading.backtest.engine import BacktestSettings, run_backtest
from trading.backtest.metrics import drawdown
from trading.clock import from_ms
from trading.config import TradingConfig
from trading.decision.indicators import OHLCV
from trading.domain import Market
from trading.errors import InputError
from trading.learning.learner import RealisedEdge
from trading.learning.outcomes import TradeOutcome, outcome_of_trade
from trading.learning.risk import RiskRule, arm_factors
from trading.learning.selector import Change, Key, Outcome, SelectorSettings, allowed, label, select


def allowed_keys(state: dict[Key, bool]) -> frozenset[Key]:
    return frozenset(k for k, on in state.items() if on)

POLICIES = ("static", "adaptive", "cash", "buy_hold")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PolicyFigures:
    """One policy over one test window (or all of them)."""

    return_pct: float
    trades: int
    profit_factor: float | None  # None without a losing and a winning figure to divide; inf with no loss
    fees: Decimal
    max_drawdown_pct: float
    gross_profit: Decimal = Decimal(0)
    gross_loss: Decimal = Decimal(0)  # positive
    equity: np.ndarray = field(default_factory=lambda: np.ones(1), repr=False)  # relative, starts at 1

    def as_dict(self) -> dict[str, object]:
        """The five published figures, JSON-ready (fees as a string, inf as "inf")."""
        pf = self.profit_factor
        return {"return_pct": round(self.return_pct, 4), "trades": self.trades,
                "profit_factor": None if pf is None else ("inf" if pf == float("inf") else round(pf, 4)),
                "fees": str(self.fees), "max_drawdown_pct": round(self.max_drawdown_pct, 4)}


@dataclass(frozen=True)
class Window:
    """One train/test split: bar indexes into the candles, [train_start, test_start) and [test_start, test_end)."""

    train_start: int
    test_start: int
    test_end: int


@dataclass(frozen=True)
class WindowResult:
    start: datetime
    end: datetime
    policies: dict[str, PolicyFigures]
    changes: tuple[str, ...] = ()  # the selector's switches before this window, with their evidence
    arms_on: tuple[Key, ...] = ()  # what the adaptive policy traded in this window
    risk: tuple[tuple[Key, float], ...] = ()  # each arm on with the learner's risk factor (<= 1) it traded with


@dataclass(frozen=True)
class WalkForward:
    symbol: str
    windows: tuple[WindowResult, ...]
    totals: dict[str, PolicyFigures]
    settings: BacktestSettings
    skipped: int = 0  # leading windows left out: their warm-up candles are not in the history

    def as_dict(self) -> dict[str, object]:
        """{"policies": {...}, "windows": [{start, end, <policy>: {...}}]} as `zyn walkforward --json` prints."""
        return {"policies": {k: v.as_dict() for k, v in self.totals.items()}, "skipped_windows": self.skipped,
                "windows": [{"start": w.start.isoformat(), "end": w.end.isoformat(),
                             **{k: v.as_dict() for k, v in w.policies.items()},
                             "arms_on": [list(a) for a in w.arms_on], "changes": list(w.changes),
                             "risk_factors": [[*k, f] for k, f in w.risk]}
                            for w in self.windows]}


def parse_span(text: str, label: str) -> timedelta:
    """'4d', '12h', '90m' as a timedelta; InputError otherwise."""
    t = text.strip().lower()
    units = {"d": 86_400, "h": 3_600, "m": 60}
    try:
        value, unit = int(t[:-1]), t[-1]
        if unit not in units or value <= 0:
            raise ValueError
    except (ValueError, IndexError):
        raise InputError(f"{label} '{text}' is not a span; write it like 4d, 12h or 90m") from None
    return timedelta(seconds=value * units[unit])


def split(times: np.ndarray, train: timedelta, test: timedelta) -> list[Window]:
    """The rolling windows over candle open times (ms); the last partial test window is dropped."""
    if len(times) == 0:
        return []
    train_ms, test_ms = int(train.total_seconds() * 1000), int(test.total_seconds() * 1000)
    out = []
    start = int(times[0]) + train_ms
    while start + test_ms <= int(times[-1]) + _step(times):
        lo = int(np.searchsorted(times, start - train_ms, "left"))
        a = int(np.searchsorted(times, start, "left"))
        b = int(np.searchsorted(times, start + test_ms, "left"))
        if b > a:
            out.append(Window(lo, a, b))
        start += test_ms
    return out


def _step(times: np.ndarray) -> int:
    return int(np.median(np.diff(times[:1000]))) if len(times) > 1 else 300_000


def _slice(o: OHLCV, lo: int, hi: int) -> OHLCV:
    return make_ohlcv(o.timestamps[lo:hi], o.open[lo:hi], o.high[lo:hi], o.low[lo:hi], o.close[lo:hi],
                      o.volume[lo:hi])


def _figures(equity_rel: np.ndarray, pnls: list[Decimal], fees: Decimal) -> PolicyFigures:
    wins = sum((p for p in pnls if p > 0), Decimal(0))
    losses = -sum((p for p in pnls if p < 0), Decimal(0))
    pf = None if not pnls else (float("inf") if losses == 0 else float(wins / losses))
    return PolicyFigures(return_pct=float(equity_rel[-1] - 1.0) * 100.0, trades=len(pnls), profit_factor=pf,
                         fees=fees, max_drawdown_pct=max(0.0, float(-drawdown(equity_rel).min()) * 100.0) if equity_rel.size
                         else 0.0, gross_profit=wins, gross_loss=losses, equity=equity_rel)


def static_policy(ohlcv: OHLCV, w: Window, market: Market, cfg: TradingConfig,
                  settings: BacktestSettings) -> PolicyFigures:
    """Today's stack on the test window, warmed up on just enough candles before it."""
    warm = cfg.warmup + 1
    lo = max(w.test_start - warm, 0)
    part = _slice(ohlcv, lo, w.test_end)
    first = w.test_start - lo
    result = run_backtest(part, market, cfg, settings, trade_from=first)
    start = float(settings.starting_balance)
    eq = np.concatenate(([1.0], result.equity[first:] / start))
    return _figures(eq, [t.pnl for t in result.trades], result.fees)


def train_records(ohlcv: OHLCV, w: Window, market: Market, cfg: TradingConfig,
                  settings: BacktestSettings) -> list[TradeOutcome]:
    """Every signal of the train part simulated to its exit (filters off): the in-memory outcome store.

    Labelled by the learner's steady regime at entry, with MAE/MFE, R and the move before costs, as the
    running autopilot records them.
    """
    warm = cfg.warmup + 1
    # The warm-up comes from the candles before the train part where they exist (the past, never the test
    # window), so the whole train span trains; the first window warms up inside its own train part.
    lo = max(w.train_start - warm, 0)
    first = max(w.train_start - lo, warm)
    if w.test_start - lo <= first + 2:
        return []
    part = _slice(ohlcv, lo, w.test_start)
    result = run_backtest(part, market, cfg, replace(settings, use_filters=False), trade_from=first, steady=True)
    slip = float(settings.slippage_bps) / 10_000
    found = (outcome_of_trade(t, part.high, part.low, shadow=True, slippage=slip) for t in result.trades)
    return [o for o in found if o is not None]


def window_records(ohlcv: OHLCV, w: Window, market: Market, cfg: TradingConfig,
                 settings: BacktestSettings) -> list[TradeOutcome]:
    """Every signal of the stack in the TEST window simulated to its exit (filters off), out of sample.

    As static_policy: the warm-up candles just before the window only define the indicators (no entry fills
    before the window's first bar), and the backtest ends at the window's end, so no later candle reaches
    it (a position still open is booked at the window's last close, exit "end"). Nothing of the train part
    beyond that warm-up is read. Labelled by the learner's steady regime, as train_records.
    """
    warm = cfg.warmup + 1
    lo = max(w.test_start - warm, 0)
    part = _slice(ohlcv, lo, w.test_end)
    first = w.test_start - lo
    result = run_backtest(part, market, cfg, replace(settings, use_filters=False), trade_from=first, steady=True)
    slip = float(settings.slippage_bps) / 10_000
    found = (outcome_of_trade(t, part.high, part.low, shadow=True, slippage=slip) for t in result.trades)
    return [o for o in found if o is not None]


@dataclass(frozen=True)
class SeedOutcome:
    """One out-of-sample outcome for the learner's store, with the test window it came from."""

    outcome: TradeOutcome
    window_start: datetime
    window_end: datetime


def seed_outcomes(ohlcv: OHLCV, market: Market, cfg: TradingConfig, settings: BacktestSettings, *,
                  train: timedelta, test: timedelta, progress: Progress | None = None) -> list[SeedOutcome]:
    """The walk-forward's test windows' outcomes only (window_records), as seeds: source "seed", a ref per
    pair, strategy and entry time (seeding the same candles twice stores nothing new)."""
    windows = split(ohlcv.timestamps, train, test)
    if not windows:
        span = (int(ohlcv.timestamps[-1]) - int(ohlcv.timestamps[0])) / 86_400_000 if len(ohlcv) else 0
        raise InputError(f"{span:.1f} days of candles hold no {train} train + {test} test window; "
                         "shorten --train/--test or give more history")
    if windows[0].test_start < cfg.warmup + 1:
        raise InputError(f"the train span is shorter than the indicators' warm-up ({cfg.warmup + 1} "
                         "candles); lengthen --train")
    step = _step(ohlcv.timestamps)
    out: list[SeedOutcome] = []
    for k, w in enumerate(windows):
        start = from_ms(int(ohlcv.timestamps[w.test_start]))
        end = from_ms(int(ohlcv.timestamps[w.test_end - 1]) + step)
        for o in window_records(ohlcv, w, market, cfg, settings):
            if not (start <= o.entry_time < end):  # never: window_records trades inside its window only
                continue
            ref = f"seed:{o.symbol}:{o.strategy}:{int(o.entry_time.timestamp() * 1000)}"
            out.append(SeedOutcome(replace(o, ref=ref, source="seed"), start, end))
        if progress is not None:
            progress(k + 1, len(windows))
    return out


def train_outcomes(ohlcv: OHLCV, w: Window, market: Market, cfg: TradingConfig,
                   settings: BacktestSettings) -> list[Outcome]:
    """The train part's outcomes as the selector reads them."""
    return [o.for_selector() for o in train_records(ohlcv, w, market, cfg, settings)]


def realised_edges(records: list[TradeOutcome], min_net_edge: float = 0.0) -> dict[Key, RealisedEdge]:
    """Per (strategy, regime): the mean move to the exit, for the realised-cost gate."""
    moves: dict[Key, list[float]] = {}
    for o in records:
        moves.setdefault((o.strategy, o.regime), []).append(o.gross_return)
    return {k: RealisedEdge(label(k), len(v), sum(v) / len(v), min_net_edge) for k, v in moves.items()}


def adaptive_policy(ohlcv: OHLCV, w: Window, market: Market, cfg: TradingConfig, settings: BacktestSettings,
                    state: dict[Key, bool], selector: SelectorSettings
                    ) -> tuple[PolicyFigures, list[Change], dict[Key, float]]:
    """Learn on the train part, then trade only the arms switched on (or stand aside) on the test window, each
    at its risk factor from the same train outcomes. Returns the figures, the switches and the factors used."""
    records = train_records(ohlcv, w, market, cfg, settings)
    outcomes = [o.for_selector() for o in records]
    arms, changes = select(outcomes, state, selector)
    state.clear()
    state.update({k: a.on for k, a in arms.items()})
    chosen = allowed(arms)
    if not chosen:
        return cash_policy(), changes, {}
    # Oldest exit first, as the outcome store hands them to the running learner (an arm's recent drawdown).
    by_exit = [o for _, o in sorted(enumerate(records), key=lambda p: (p[1].exit_time, p[0]))]
    factors = arm_factors({k: arms[k] for k in chosen}, [o.for_selector() for o in by_exit],
                          RiskRule.of(cfg.learning))
    used = {k: min(1.0, f.factor) for k, f in factors.items()}
    warm = cfg.warmup + 1
    lo = max(w.test_start - warm, 0)
    first = w.test_start - lo
    result = run_backtest(_slice(ohlcv, lo, w.test_end), market, cfg, replace(settings, use_filters=False),
                          trade_from=first, allowed=chosen, steady=True,
                          realised=realised_edges(records, cfg.learning.min_net_edge), risk_factors=used)
    eq = np.concatenate(([1.0], result.equity[first:] / float(settings.starting_balance)))
    return _figures(eq, [t.pnl for t in result.trades], result.fees), changes, used


def buy_hold_policy(ohlcv: OHLCV, w: Window, settings: BacktestSettings) -> PolicyFigures:
    """Buy at the window's first open, hold, sell at its last close; taker fee and slippage both ways."""
    cost = float(settings.taker_fee) + float(settings.slippage_bps) / 10_000
    entry = float(ohlcv.open[w.test_start]) * (1 + cost)
    closes = ohlcv.close[w.test_start:w.test_end]
    eq = np.concatenate(([1.0], (closes * (1 - cost)) / entry))
    start = settings.starting_balance
    fee = start * settings.taker_fee * (1 + Decimal(str(eq[-1])))
    pnl = start * Decimal(str(eq[-1] - 1.0))
    return _figures(eq, [pnl], fee.quantize(Decimal("0.01")))


def cash_policy() -> PolicyFigures:
    return _figures(np.ones(1), [], Decimal(0))


def _total(parts: list[PolicyFigures]) -> PolicyFigures:
    chained, level = [np.ones(1)], 1.0
    for p in parts:
        chained.append(level * p.equity[1:])
        level *= float(p.equity[-1])
    eq = np.concatenate(chained)
    wins = sum((p.gross_profit for p in parts), Decimal(0))
    losses = sum((p.gross_loss for p in parts), Decimal(0))
    trades = sum(p.trades for p in parts)
    pf = None if trades == 0 else (float("inf") if losses == 0 else float(wins / losses))
    return PolicyFigures(return_pct=sum(p.return_pct for p in parts), trades=trades, profit_factor=pf,
                         fees=sum((p.fees for p in parts), Decimal(0)),
                         max_drawdown_pct=max(0.0, float(-drawdown(eq).min()) * 100.0), gross_profit=wins, gross_loss=losses,
                         equity=eq)


def walk_forward(ohlcv: OHLCV, market: Market, cfg: TradingConfig, settings: BacktestSettings, *,
                 train: timedelta, test: timedelta, progress: Progress | None = None,
                 selector: SelectorSettings | None = None) -> WalkForward:
    """Every window's figures per policy, and the totals (see the module docstring)."""
    windows = split(ohlcv.timestamps, train, test)
    if not windows:
        span = (int(ohlcv.timestamps[-1]) - int(ohlcv.timestamps[0])) / 86_400_000 if len(ohlcv) else 0
        raise InputError(f"{span:.1f} days of candles hold no {train} train + {test} test window; "
                         "shorten --train/--test or give more history")
    warm = cfg.warmup + 1
    # A test window needs its warm-up candles before it: the first windows of a long warm-up (the 4h trend's
    # 8.5 days) are left out rather than traded cold; refused only when no window has them.
    ready = [w for w in windows if w.test_start >= warm]
    if not ready:
        raise InputError(f"the train span is shorter than the indicators' warm-up ({warm} candles, about "
                         f"{warm * _step(ohlcv.timestamps) / 3_600_000:.0f} h); lengthen --train or give more history")
    skipped, windows = len(windows) - len(ready), ready
    results = []
    state: dict[Key, bool] = {}
    # The running learner's selector (trading/learning/learner.py): the config's min_trades and z.
    learn = selector or SelectorSettings(min_trades=cfg.learning.min_trades, z=cfg.learning.z)
    for k, w in enumerate(windows):
        adaptive, changes, factors = adaptive_policy(ohlcv, w, market, cfg, settings, state, learn)
        figs = {"static": static_policy(ohlcv, w, market, cfg, settings), "adaptive": adaptive,
                "cash": cash_policy(), "buy_hold": buy_hold_policy(ohlcv, w, settings)}
        step = _step(ohlcv.timestamps)
        results.append(WindowResult(from_ms(int(ohlcv.timestamps[w.test_start])),
                                    from_ms(int(ohlcv.timestamps[w.test_end - 1]) + step), figs,
                                    tuple(c.why for c in changes), tuple(sorted(allowed_keys(state))),
                                    tuple(sorted(factors.items()))))
        if progress is not None:
            progress(k + 1, len(windows))
    totals = {name: _total([r.policies[name] for r in results]) for name in results[0].policies}
    return WalkForward(market.symbol, tuple(results), totals, settings, skipped)
