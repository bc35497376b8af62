"""The backtester: the autopilot's decision and risk code over a history, filled by the paper simulator's model.

How a bar is simulated (signals on bar i's close, orders at bar i+1's open):

- Decisions come from orchestrator.plan_all(), the vectorised form of decide_entry()/decide_exit(): an
  entry decided on bar i's close (as the live tick right after that close would) fills at bar i+1's
  open, and so does a strategy exit. The "touch" at that moment is the open; the fill price is the
  paper simulator's taker price (the touch moved by the slippage, rounded adversely to the price step)
  and the fee its taker fee (PaperTerms), so paper and backtest fill alike.
- Sizing is trading.risk.sizing.size_long() (sizing="risk": ATR stop and target, risk per trade, position
  cap, balance) or all the quote cash (sizing="all_in", like backtesting.py's buy(size≈1)). With
  sizing="risk" the autopilot's risk gate applies too: entries per UTC day and the daily-loss kill switch
  (its equity marked at each close). Live sizes at the ask of the moment; here that is the next open.
- Maker entries (entry="maker"): a post-only limit buy at the touch of the decision (bar i's close, rounded
  down to the price step) rests for maker_timeout_bars bars from bar i+1. It fills, at its limit and with
  the maker fee, only on a bar whose low trades THROUGH it (strictly below: a touch does not fill, others are
  ahead in the queue); otherwise it is cancelled unfilled ("maker_unfilled") and no entry is considered
  while it rested. Sizing still counts the taker fee (a little conservative). Exits are always takers.
- Brackets: the stop and target work from the entry bar on. The first bar whose low reaches the stop
  or whose high reaches the target exits (found with numpy, not a per-bar loop). A bar that touches
  both counts as the stop (we cannot know which came first; assume the worse). A gap through a level
  fills at the open; otherwise at the level, less slippage (a triggered stop sells at market).
- A position still open after the last bar is sold at the last close ("end"), so every trade is booked.
- Money is Decimal in the paper simulator's exact context: final equity == start + sum of trade P&L.
  The equity curve (float) marks the position at each bar's close. Times are the candles' own times.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, localcontext
from typing import Literal

import numpy as np
from loguru import logger

from trading.backtest.metrics import BARS_PER_YEAR_5M, ExitReason, Metrics, Trade, compute_metrics
from trading.clock import ManualClock, from_ms
from trading.config import TradingConfig
from trading.decision.evaluation import SkipReason
from trading.decision.indicators import OHLCV, Indicators, compute_all
from trading.decision.orchestrator import Plan, plan_all
from trading.decision.regimes import REGIME_ORDER
from trading.domain import ZERO, Fill, Liquidity, Market, Side, quantize_down, quantize_up
from trading.errors import BelowMinimumError, ConfigError, InputError, InsufficientFundsError
from trading.exchange.paper import checks
from trading.exchange.paper.book import EXACT, PaperBook, PaperTerms
from trading.learning.learner import RealisedEdge
from trading.learning.outcomes import steady_regimes
from trading.risk.limits import DailyLimits, KillSwitch
from trading.risk.sizing import Sizing, size_long
from trading.risk.state import DayState, KillSwitchState

_DAY_MS = 86_400_000
__all__ = ["BacktestResult", "BacktestSettings", "ExitReason", "Metrics", "Trade", "run_backtest"]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BacktestSettings:
    """How to simulate: money, sizing, exits, fees. brackets=None means "with sizing='risk'"."""

    starting_balance: Decimal = Decimal("10000")
    sizing: Literal["risk", "all_in"] = "risk"
    brackets: bool | None = None
    use_filters: bool = True
    maker_fee: Decimal = Decimal("0.0025")  # a maker entry's fee (entry="maker"); every other fill is a taker's
    taker_fee: Decimal = Decimal("0.0040")
    slippage_bps: Decimal = Decimal("5")
    fill: Literal["next_open"] = "next_open"  # the only realistic choice for signals on a closed candle
    risk_gate: bool | None = None  # daily entry limits and kill switch; None means "with sizing='risk'"
    entry: Literal["taker", "maker"] = "taker"  # maker: a post-only limit at the touch (module notes)
    maker_timeout_bars: int = 3  # how long a maker entry rests before it is cancelled

    def __post_init__(self) -> None:
        for name in ("starting_balance", "maker_fee", "taker_fee", "slippage_bps"):
            object.__setattr__(self, name, Decimal(str(getattr(self, name))))
        if self.sizing not in ("risk", "all_in"):
            raise ConfigError(f"backtest sizing '{self.sizing}' is not one of: risk, all_in")
        if self.entry not in ("taker", "maker"):
            raise ConfigError(f"backtest entry '{self.entry}' is not one of: taker, maker")
        if not 1 <= int(self.maker_timeout_bars) <= 1000:
            raise ConfigError(f"maker timeout {self.maker_timeout_bars} bars must be between 1 and 1000")
        if self.fill != "next_open":
            raise ConfigError(f"backtest fill '{self.fill}' is not supported; use next_open")
        if not (self.starting_balance.is_finite() and self.starting_balance > 0):
            raise ConfigError(f"backtest starting balance {self.starting_balance} must be positive")
        for name, value, high in (("maker fee", self.maker_fee, 1), ("taker fee", self.taker_fee, 1),
                                  ("slippage", self.slippage_bps, 10_000)):
            if not (value.is_finite() and 0 <= value < high):
                raise ConfigError(f"backtest {name} {value} is out of range")
        for name in ("brackets", "risk_gate"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, self.sizing == "risk")


@dataclass(frozen=True)
class BacktestResult:
    """Trades, fills, the per-bar equity curve (marked at close) and the metrics of one run."""

    symbol: str
    market: Market
    settings: BacktestSettings
    times: np.ndarray  # int64 ms, candle open times
    equity: np.ndarray  # float64 per bar, in the quote currency
    trades: tuple[Trade, ...]
    fills: tuple[Fill, ...]
    metrics: Metrics
    start_equity: Decimal
    final_equity: Decimal
    fees: Decimal
    skipped: dict[str, int] = field(default_factory=dict)  # entry signals not taken, by SkipReason
    entry_signals: int = 0  # entry signals seen while flat (taken + skipped)
    elapsed_s: float = 0.0

    @property
    def start(self) -> datetime:
        return from_ms(int(self.times[0]))

    @property
    def end(self) -> datetime:
        """Close time of the last candle."""
        return from_ms(int(self.times[-1]) + _bar_ms(self.times))


def _bar_ms(times: np.ndarray) -> int:
    return int(np.median(np.diff(times[-1000:]))) if len(times) > 1 else 300_000


def _dec(x: float) -> Decimal:
    """A float as the Decimal of its shortest repr (what the CSV said), not its binary expansion."""
    return Decimal(repr(float(x)))


class _MemoryRiskStore:
    """The risk gate's state for one run (live keeps it in the database)."""

    def __init__(self) -> None:
        self.days: dict[date, DayState] = {}
        self.kill = KillSwitchState()

    def get_day(self, day: date) -> DayState | None:
        return self.days.get(day)

    def put_day(self, state: DayState) -> None:
        self.days[state.day] = state

    def get_kill_switch(self) -> KillSwitchState:
        return self.kill

    def put_kill_switch(self, state: KillSwitchState) -> None:
        self.kill = state


@dataclass(slots=True)
class _Open:
    """The position being held."""

    strategy: str | None
    regime: str | None
    signal_bar: int
    entry_bar: int
    fill: Fill
    cash_after: Decimal
    stop: Decimal | None
    target: Decimal | None


class _Run:
    """One backtest's state; work happens only at bars where something does."""

    def __init__(self, ohlcv: OHLCV, ind: Indicators, plan: Plan, market: Market, cfg: TradingConfig,
                 settings: BacktestSettings, progress: Progress | None, trade_from: int = 0,
                 allowed: frozenset[tuple[str, ...]] | None = None, steady: bool = False,
                 realised: Mapping[tuple[str, ...], RealisedEdge] | None = None,
                 risk_factors: Mapping[tuple[str, ...], float] | None = None) -> None:
        self.o, self.h, self.l, self.c = ohlcv.open, ohlcv.high, ohlcv.low, ohlcv.close
        self.t = ohlcv.timestamps
        self.n = len(self.c)
        self.step = _bar_ms(self.t)
        self.atr = plan.atr  # each entry's stop ATR: its strategy's (the 5-minute ATR or the higher timeframe's)
        self.plan, self.market, self.cfg, self.s = plan, market, cfg, settings
        self.terms = PaperTerms(market.quote, settings.maker_fee, settings.taker_fee, settings.slippage_bps)
        self.book = PaperBook({market.quote: settings.starting_balance}, {}, {}, {})
        self.equity = np.empty(self.n, dtype=np.float64)
        self.filled_to = 0  # equity is set for bars < filled_to
        self.trades: list[Trade] = []
        self.skipped: Counter[str] = Counter()
        self.seq = 0
        self.resume = 0  # after an unfilled maker entry: the first bar after its timeout
        self.candidates = 0  # entry signals seen while flat
        self.progress, self.reported = progress, 0
        # An entry needs a next open to fill at, so a signal on the last bar can never trade.
        self.entry_bars = np.flatnonzero(plan.entries[:-1])
        # Warm-up candles (a walk-forward window's past) inform the indicators but never trade.
        self.entry_bars = self.entry_bars[self.entry_bars >= trade_from - 1]
        # The learner labels an entry by its steady regime (hysteresis, trading/learning/outcomes.py).
        self.regimes = steady_regimes(plan.regimes, cfg.learning.regime_hold_bars) if steady else plan.regimes
        self.realised = realised or {}
        self.risk_factors = risk_factors or {}  # the learner's share (<= 1) of the risk per trade, per arm
        if allowed is not None:  # the learner's (strategy, regime) arms switched on; none: stand aside
            keep = [j for j in self.entry_bars
                    if plan.strategy[j] >= 0 and self.regimes[j] >= 0
                    and (plan.names[plan.strategy[j]], REGIME_ORDER[self.regimes[j]].value) in allowed]
            self.entry_bars = np.asarray(keep, dtype=np.int64)
        self.exit_bars = {name: np.flatnonzero(mask) for name, mask in plan.exits.items()}
        if settings.risk_gate:
            store = _MemoryRiskStore()
            self.clock = ManualClock(from_ms(int(self.t[0])))
            self.limits = DailyLimits(store, cfg.risk, self.clock)
            self.kill = KillSwitch(store, cfg.risk, self.clock)
            # The UTC day of each tick: live evaluates a candle just after it closes.
            self.day = (self.t + self.step) // _DAY_MS

    @property
    def cash(self) -> Decimal:
        return self.book.total(self.market.quote)

    def run(self) -> None:
        i = 0  # the first bar whose close may decide an entry (flat from there on)
        while i < self.n:
            k = int(np.searchsorted(self.entry_bars, i))
            if k >= self.entry_bars.size:
                break
            j = int(self.entry_bars[k])
            self._flat_until(j)
            self._report(j)
            self.candidates += 1
            pos = self._enter(j)
            i = max(j + 1, self.resume) if pos is None else self._hold(pos)
        self._flat_until(self.n - 1)
        self._report(self.n)

    # --- entries ------------------------------------------------------------------------------

    def _flat_until(self, last: int) -> None:
        """Flat bars up to and including last: equity is the cash."""
        if last >= self.filled_to:
            self.equity[self.filled_to:last + 1] = float(self.cash)
            self.filled_to = last + 1

    def _gate(self, j: int) -> tuple[SkipReason, str] | None:
        """The live risk gate at bar j's close: kill switch (equity marked at closes today), then daily limits."""
        self.clock.set(from_ms(int(self.t[j]) + self.step))
        d0 = int(np.searchsorted(self.day, self.day[j], "left"))
        day = self.limits.ensure_day(_dec(self.equity[d0]))
        self.kill.check(_dec(self.equity[d0:j + 1].min()), day.start_equity)
        return self.kill.blocking_reason() or self.limits.check(self.market.symbol)

    def _size(self, j: int, touch: Decimal) -> tuple[Decimal, Decimal | None, Decimal | None] | SkipReason:
        """(amount, stop, target) for an entry at touch, or why not."""
        atr = float(self.atr[j])
        if (self.s.sizing == "risk" or self.s.brackets) and not (np.isfinite(atr) and atr > 0):
            return SkipReason.WARMUP  # no ATR yet: no stop distance
        risk = self.cfg.risk
        if self.s.sizing == "risk":
            cash = self.cash  # flat, so equity is the cash
            sized = size_long(equity=cash, free_quote=cash, entry=touch, atr=_dec(atr), market=self.market,
                              cfg=risk, open_risk=ZERO, taker_fee=self.terms.taker_fee,
                              realised=self.realised.get(self._arm(j)), slippage=self.s.slippage_bps / 10_000,
                              risk_factor=self.risk_factors.get(self._arm(j)))
            if not isinstance(sized, Sizing):
                return sized[0]
            return sized.amount, (sized.stop if self.s.brackets else None), \
                (sized.target if self.s.brackets else None)
        price = self.terms.taker_price(Side.BUY, touch, self.market)
        amount = quantize_down(self.cash / (price * (1 + self.terms.taker_fee)), self.market.amount_step)
        while amount > 0 and amount * price + self.terms.fee(amount * price, Liquidity.TAKER) > self.cash:
            amount -= self.market.amount_step  # the fee rounds half up: step back until it is covered
        if not self.s.brackets:
            return amount, None, None
        # The same levels size_long() sets: stop rounded down, target up.
        stop = quantize_down(touch - _dec(atr) * risk.atr_stop_mult, self.market.price_step)
        target = quantize_up(touch + _dec(atr) * risk.atr_target_mult, self.market.price_step)
        return (amount, stop, target) if stop > 0 else SkipReason.SIZE_BELOW_MIN

    def _arm(self, j: int) -> tuple[str, ...]:
        code, regime = int(self.plan.strategy[j]), int(self.regimes[j])
        return (self.plan.names[code], REGIME_ORDER[regime].value) if code >= 0 and regime >= 0 else ()

    def _enter(self, j: int) -> _Open | None:
        """Decide at bar j's close, fill at bar j+1's open; None (and a counted reason) if not taken."""
        if self.s.risk_gate:
            refusal = self._gate(j)
            if refusal is not None:
                self.skipped[refusal[0].value] += 1
                return None
        e = j + 1
        liquidity = Liquidity.TAKER
        if self.s.entry == "maker":
            touch = quantize_down(_dec(self.c[j]), self.market.price_step)
            last = min(j + int(self.s.maker_timeout_bars), self.n - 1)
            through = np.flatnonzero(self.l[e:last + 1] < float(touch))
            if touch <= 0 or not through.size:
                self.skipped[SkipReason.MAKER_UNFILLED.value] += 1
                self.resume = last + 1
                return None
            e, liquidity = e + int(through[0]), Liquidity.MAKER
            self._flat_until(e - 1)
        else:
            touch = _dec(self.o[e])
        sized = self._size(j, touch)
        if isinstance(sized, SkipReason):
            self.skipped[sized.value] += 1
            return None
        amount, stop, target = sized
        price = touch if liquidity is Liquidity.MAKER else self.terms.taker_price(Side.BUY, touch, self.market)
        cost = amount * price
        try:  # the paper simulator's own order checks
            checks.minimums(amount, price, self.market)
            checks.funds(self.market.quote, cost + self.terms.fee(cost, liquidity), self.cash)
        except BelowMinimumError:
            self.skipped[SkipReason.SIZE_BELOW_MIN.value] += 1
            return None
        except InsufficientFundsError:
            self.skipped[SkipReason.INSUFFICIENT_BALANCE.value] += 1
            return None
        fill = self._fill(Side.BUY, amount, price, int(self.t[e]), liquidity)
        if self.s.risk_gate:
            self.limits.record_entry(self.market.symbol)
        code = int(self.plan.strategy[j])
        regime = int(self.regimes[j])
        return _Open(strategy=self.plan.names[code] if code >= 0 else None,
                     regime=REGIME_ORDER[regime].value if regime >= 0 else None, signal_bar=j, entry_bar=e,
                     fill=fill, cash_after=self.cash, stop=stop, target=target)

    # --- holding and exits ----------------------------------------------------------------------

    def _first_hit(self, lo: int, hi: int, stop: float, target: float) -> int | None:
        """First bar in [lo, hi] whose low reaches stop or high reaches target (windows grow: most exits are near)."""
        start, size = lo, 64
        while start <= hi:
            end = min(hi + 1, start + size)
            hit = (self.l[start:end] <= stop) | (self.h[start:end] >= target)
            if hit.any():
                return start + int(hit.argmax())
            start, size = end, size * 4
        return None

    def _hold(self, pos: _Open) -> int:
        """Run the position to its exit; returns the first bar whose close may decide the next entry."""
        e, n = pos.entry_bar, self.n
        exits = self.exit_bars.get(pos.strategy or "", np.empty(0, dtype=np.int64))
        k = int(np.searchsorted(exits, e))
        signal = int(exits[k]) if k < exits.size else None  # the first exit signal on a close from e on
        last = signal if signal is not None else n - 1
        hit = None
        if pos.stop is not None and pos.target is not None:
            hit = self._first_hit(e, last, float(pos.stop), float(pos.target))
        if hit is not None:
            o, stop, target = _dec(self.o[hit]), pos.stop, pos.target
            if o <= stop:
                touch, reason = o, ExitReason.STOP  # gapped through the stop: the open is the first price
            elif o >= target:
                touch, reason = o, ExitReason.TARGET
            elif self.l[hit] <= float(stop):
                touch, reason = stop, ExitReason.STOP  # both touched in one bar: assume the stop came first
            else:
                touch, reason = target, ExitReason.TARGET
            x, at_ms, next_i = hit, int(self.t[hit]), hit
        elif signal is not None and signal + 1 < n:
            x = signal + 1
            touch, reason, at_ms, next_i = _dec(self.o[x]), ExitReason.SIGNAL, int(self.t[x]), x
        else:
            x = n - 1
            touch, reason, at_ms, next_i = _dec(self.c[x]), ExitReason.END, int(self.t[x]) + self.step, n
        amount = pos.fill.amount
        price = self.terms.taker_price(Side.SELL, touch, self.market)
        out = self._fill(Side.SELL, amount, price, at_ms)
        self.equity[e:x] = float(pos.cash_after) + float(amount) * self.c[e:x]
        self.equity[x] = float(self.cash)
        self.filled_to = x + 1
        entry = pos.fill
        pnl = (out.amount * out.price - out.fee) - (entry.amount * entry.price + entry.fee)
        self.trades.append(Trade(
            symbol=self.market.symbol, strategy=pos.strategy, regime=pos.regime, signal_bar=pos.signal_bar,
            entry_bar=e, entry_time=entry.timestamp, entry_price=entry.price, exit_bar=x, exit_time=out.timestamp,
            exit_price=out.price, amount=amount, entry_fee=entry.fee, exit_fee=out.fee, pnl=pnl, exit_reason=reason,
            stop=pos.stop, target=pos.target))
        return next_i

    def _fill(self, side: Side, amount: Decimal, price: Decimal, at_ms: int,
              liquidity: Liquidity = Liquidity.TAKER) -> Fill:
        """A fill (a taker's unless said) booked on the paper book (balances and average-cost position)."""
        self.seq += 1
        order_id = f"BT-{self.seq:07d}"
        when = from_ms(at_ms)
        fill = Fill(id=f"T{order_id}", order_id=order_id, client_id=order_id, symbol=self.market.symbol, side=side,
                    amount=amount, price=price, fee=self.terms.fee(amount * price, liquidity),
                    fee_currency=self.market.quote, liquidity=liquidity, timestamp=when)
        self.book.apply_fill(fill, when)
        return fill

    def _report(self, bar: int) -> None:
        if self.progress is not None and (bar - self.reported >= self.n // 100 or bar >= self.n):
            self.reported = bar
            self.progress(min(bar, self.n), self.n)


@contextmanager
def _quiet(module: str) -> Iterator[None]:
    """Mute a module's log lines (a simulated kill-switch trip is a result, not an event of the service).

    Safe because a backtest runs synchronously: nothing else logs on this thread meanwhile.
    """
    logger.disable(module)
    try:
        yield
    finally:
        logger.enable(module)


def run_backtest(ohlcv: OHLCV, market: Market, cfg: TradingConfig, settings: BacktestSettings | None = None, *,
                 progress: Progress | None = None, bars_per_year: int | None = None,
                 trade_from: int = 0, allowed: frozenset[tuple[str, ...]] | None = None, steady: bool = False,
                 realised: Mapping[tuple[str, ...], RealisedEdge] | None = None,
                 risk_factors: Mapping[tuple[str, ...], float] | None = None) -> BacktestResult:
    """Backtest one market's candles with the live decision code (plan_all), size_long and paper fills.

    trade_from: the first bar an entry may fill at (earlier candles only warm the indicators up).
    allowed: only entries of these (strategy, regime) arms (the learner's selection); None: every entry.
    steady: label entries (and `allowed`) by the learner's steady regime rather than the bar's raw one.
    realised: per arm, what it realised to its exit: the cost gate uses it instead of the ATR target.
    risk_factors: per arm, the learner's risk factor (<= 1) passed to size_long (sizing="risk"); an arm not in it
    trades the full risk per trade.
    """
    settings = settings or BacktestSettings()
    if bars_per_year is None:  # annualise by the candles' own spacing (5 minutes: 105,120 a year)
        bars_per_year = max(1, round(365 * _DAY_MS / _bar_ms(ohlcv.timestamps))) if len(ohlcv) > 1 \
            else BARS_PER_YEAR_5M
    started = time.perf_counter()
    n = len(ohlcv.close)
    if n < 3:
        raise InputError(f"{n} candles are too few to backtest")
    if progress is not None:
        progress(0, n)
    ind = compute_all(ohlcv, cfg.indicators)
    plan = plan_all(ind, cfg, use_filters=settings.use_filters)
    with localcontext(EXACT), _quiet("trading.risk"):
        run = _Run(ohlcv, ind, plan, market, cfg, settings, progress, trade_from, allowed, steady, realised,
                   risk_factors)
        run.run()
        fees = sum((f.fee for f in run.book.new_fills), ZERO)
        final = run.cash
    trades = tuple(run.trades)
    metrics = compute_metrics(run.equity, ohlcv.timestamps, trades, fees, bars_per_year)
    return BacktestResult(
        symbol=market.symbol, market=market, settings=settings, times=np.asarray(ohlcv.timestamps), equity=run.equity,
        trades=trades, fills=tuple(run.book.new_fills), metrics=metrics, start_equity=settings.starting_balance,
        final_equity=final, fees=fees, skipped=dict(run.skipped), entry_signals=run.candidates,
        elapsed_s=time.perf_counter() - started)
