"""The learner inside the running autopilot (PAPER and LIVE): outcomes written, shadows settled, entries gated.

Per symbol and tick, on closed candles only:
- every pending shadow (a long signal not taken) is simulated on the candles after it and, once they settle
  it, stored as an outcome (trading/learning/outcomes.simulate_shadow); one older than the candles fetched is
  dropped unsettled;
- a position the autopilot opened is followed (its low and high while held); when it is gone its outcome
  is written from the fills: R multiple net of fees, MAE/MFE, hold time, exit reason;
- an entry goes through the learner's gate (its arm must be on) and the realised-cost gate (sizing).
Nothing here ever raises into the tick: a failure is logged and the tick goes on as without the learner.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from loguru import logger

from trading.autopilot.history import window
from trading.clock import Clock, to_ms
from trading.config import TradingConfig
from trading.decision.evaluation import Decision
from trading.decision.indicators import Indicators
from trading.decision.regimes import classify_all
from trading.decision.strategies import EXIT, STRATEGIES
from trading.decision.strategies.base import Strategy
from trading.domain import ZERO, Order, OrderType, Side
from trading.errors import OrderNotFoundError
from trading.exchange.base import Exchange
from trading.learning.learner import Learner, RealisedEdge
from trading.learning.outcomes import Costs, TradeOutcome, shadow_outcome, simulate_shadow, steady_label
from trading.learning.records import OpenTrade

_log = logger.bind(component="learning")
CANDLE = timedelta(minutes=5)


def shadow_hold_bars(strategy: Strategy, cfg: TradingConfig) -> int:
    """A shadow's timeout in 5-minute bars: shadow_max_hold_bars of the strategy's OWN bars (a 1h strategy holds
    for hours, as its backtest and its real trades do), capped so it settles before its signal candle leaves
    the closed candles a tick holds (trading/autopilot/history.window: cfg.history, or the long warm-up of a 4h
    trend and a trend bar more, ~8.7 days), where it would be dropped unsettled. The window drops its oldest
    candle only once full, one a tick, so a signal on its newest candle stays in it for window - 1 more ticks."""
    own = cfg.learning.shadow_max_hold_bars * max(1, strategy.bar_minutes(cfg) // 5)
    return max(1, min(own, window(cfg) - 2))


class AutopilotLearning:
    def __init__(self, learner: Learner, exchange: Exchange, clock: Clock, *, source: str,
                 slippage: float = 0.0005) -> None:
        self.learner, self.exchange, self.clock = learner, exchange, clock
        self.store = learner.store
        self.source, self.slippage = source, slippage
        self.exit_kind: Callable[[Order], str | None] | None = None  # LIVE brackets' take-profit sale (the engine's)

    @property
    def slippage_fraction(self) -> Decimal:
        return Decimal(repr(self.slippage))

    def refresh(self) -> None:
        try:
            for c in self.learner.refresh(self.clock.now()):
                _log.info("learner: {}", c.why)
        except Exception as exc:  # noqa: BLE001 - learning must never stop a tick
            _log.warning("learner refresh failed: {}", exc)

    def regime(self, ind: Indicators, cfg: TradingConfig) -> str | None:
        """The steady regime at the last closed bar (hysteresis: cfg.learning.regime_hold_bars)."""
        return steady_label(classify_all(ind, cfg.regimes), cfg.learning.regime_hold_bars)

    def gate(self, strategy: str | None, regime: str | None, symbol: str) -> str | None:
        if strategy is None:
            return None
        return self.learner.gate(strategy, regime, symbol)

    def realised(self, strategy: str | None, regime: str | None) -> RealisedEdge | None:
        return self.learner.realised(strategy, regime) if strategy else None

    def risk_factor(self, strategy: str | None, regime: str | None, symbol: str) -> float | None:
        """The share (<= 1) of the risk per trade this arm trades with; None: the full risk. Never raises."""
        try:
            f = self.learner.risk_scale(strategy, regime, symbol)
        except Exception as exc:  # noqa: BLE001 - learning must never stop a tick
            _log.warning("risk factor of {} not read: {}", symbol, exc)
            return self.learner.settings.risk_min_factor  # unknown: the smallest share, never more
        return None if f is None else min(1.0, f.factor)

    # --- per symbol, each tick -----------------------------------------------------------------------

    async def observe(self, symbol: str, closed: list, ind: Indicators, position: Decimal,
                      cfg: TradingConfig) -> None:
        try:
            if self.store.pending_shadows(symbol):
                fee = (await self.exchange.load_markets())[symbol].taker_fee
                self._settle_shadows(symbol, closed, ind, cfg, fee)
            trade = self.store.learning_trade(symbol)
            if trade is None:
                return
            lows, highs = self._held(closed, trade)
            if position > 0:
                if lows:
                    self.store.note_extremes(symbol, min(lows), max(highs))
                return
            if await self._entry_resting(trade.entry_order_id):
                return  # a maker entry still resting (trading/autopilot/maker.py): the trade has not begun
            outcome = await self._closed_outcome(trade, lows, highs)
            self.store.close_learning_trade(symbol, outcome, self.clock.now())
        except Exception as exc:  # noqa: BLE001 - learning must never stop a tick
            _log.warning("learner on {}: {}", symbol, exc)

    def shadow(self, symbol: str, strategy: str | None, regime: str | None, candle_time: datetime, atr: float,
               why_not: str) -> None:
        """A long signal not taken: kept to be simulated to its exit (one pending per symbol and strategy)."""
        if not strategy or not regime or not np.isfinite(atr) or atr <= 0:
            return
        try:
            if any(p.strategy == strategy for p in self.store.pending_shadows(symbol)):
                return
            self.store.add_shadow(symbol, strategy, regime, candle_time, atr, why_not, self.clock.now())
        except Exception as exc:  # noqa: BLE001
            _log.warning("shadow of {} not kept: {}", symbol, exc)

    def opened(self, symbol: str, strategy: str | None, regime: str | None, order_id: str,
               candle_time: datetime, stop: Decimal) -> None:
        if not strategy or not regime:
            return
        try:
            self.store.open_learning_trade(OpenTrade(symbol, strategy, regime, order_id, candle_time,
                                                     self.clock.now(), stop))
        except Exception as exc:  # noqa: BLE001
            _log.warning("learner did not note the entry on {}: {}", symbol, exc)

    # --- internals ----------------------------------------------------------------------------------

    async def _entry_resting(self, order_id: str) -> bool:
        try:
            return (await self.exchange.fetch_order(order_id)).status.is_active
        except OrderNotFoundError:
            return False

    def _settle_shadows(self, symbol: str, closed: list, ind: Indicators, cfg: TradingConfig, fee: Decimal) -> None:
        pending = self.store.pending_shadows(symbol)
        times = np.array([to_ms(c.timestamp) for c in closed], dtype=np.int64)
        o, h, lo, c = (np.array([float(getattr(k, f)) for k in closed]) for f in ("open", "high", "low", "close"))
        costs = Costs(float(fee), self.slippage)
        for p in pending:
            at = to_ms(p.candle_time)
            j = int(np.searchsorted(times, at))
            if j >= len(times) or times[j] != at:
                if len(times) and at < times[0]:
                    self.store.settle_shadow(p.id, None, self.clock.now())  # older than the candles fetched
                continue
            strategy = STRATEGIES.get(p.strategy)
            if strategy is None:
                self.store.settle_shadow(p.id, None, self.clock.now())
                continue
            exits = strategy.signals(ind, cfg) == EXIT  # its own exit rule (the 1h strategies': on closed 1h bars)
            x = simulate_shadow(times, o, h, lo, c, exits, j, p.atr, float(cfg.risk.atr_stop_mult),
                                float(cfg.risk.atr_target_mult), costs, shadow_hold_bars(strategy, cfg))
            if x is not None:
                self.store.settle_shadow(p.id, shadow_outcome(symbol, p.strategy, p.regime, at, x, self.source),
                                         self.clock.now())

    @staticmethod
    def _held(closed: list, trade: OpenTrade) -> tuple[list[float], list[float]]:
        held = [c for c in closed if c.timestamp > trade.candle_time]
        return [float(c.low) for c in held], [float(c.high) for c in held]

    async def _closed_outcome(self, trade: OpenTrade, lows: list[float], highs: list[float]) -> TradeOutcome | None:
        fills = [f for f in await self.exchange.fetch_my_trades(trade.symbol) if f.timestamp >= trade.opened_at
                 - timedelta(minutes=1)]
        buys = [f for f in fills if f.side is Side.BUY and f.order_id == trade.entry_order_id]
        sells = sorted((f for f in fills if f.side is Side.SELL), key=lambda f: f.timestamp)
        if not buys or not sells:
            return None  # nothing to measure (sold by hand elsewhere): not an outcome of the strategy
        amount = sum((f.amount for f in buys), ZERO)
        sold = sum((f.amount for f in sells), ZERO)
        paid = sum((f.amount * f.price + f.fee for f in buys), ZERO)
        got = sum((f.amount * f.price - f.fee for f in sells), ZERO)
        if sold < amount:  # part sold: measure the part that was
            paid = paid * sold / amount
        entry = sum((f.amount * f.price for f in buys), ZERO) / amount
        exit_ = sum((f.amount * f.price for f in sells), ZERO) / sold
        pnl = got - paid
        r = None
        if trade.stop is not None and entry > trade.stop:
            risk = min(amount, sold) * (entry - trade.stop) + sum((f.fee for f in buys), ZERO) * 2
            r = float(pnl / risk) if risk > 0 else None
        low = min([*lows, *([trade.low] if trade.low is not None else [])], default=float(entry))
        high = max([*highs, *([trade.high] if trade.high is not None else [])], default=float(entry))
        e = float(entry)
        slip = self.slippage
        return TradeOutcome(
            ref=f"{self.source}:{trade.entry_order_id}", source=self.source, shadow=False, symbol=trade.symbol,
            strategy=trade.strategy, regime=trade.regime, entry_time=min(f.timestamp for f in buys),
            exit_time=sells[-1].timestamp, entry_price=entry, exit_price=exit_, net_return=float(pnl / paid),
            gross_return=(float(exit_) / (1 - slip)) / (e / (1 + slip)) - 1, r_multiple=r,
            mae=min(0.0, low / e - 1), mfe=max(0.0, high / e - 1), exit_reason=await self._reason(trade, sells[-1]))

    async def _reason(self, trade: OpenTrade, last) -> str:  # noqa: ANN001 - trading.domain.Fill
        order = await self.exchange.fetch_order(last.order_id)
        if order.type is OrderType.STOP_LOSS:
            return "stop"
        if order.type is OrderType.TAKE_PROFIT:
            return "target"
        store = self.store
        if hasattr(store, "list_evaluations"):
            for ev in store.list_evaluations(trade.symbol, start=trade.opened_at, limit=50):
                if ev.decision is Decision.EXIT and ev.order_id == order.id:
                    return "signal"
        if self.exit_kind is not None and self.exit_kind(order):  # LIVE: the reconciler's market take-profit
            return "target"
        return "other"  # sold by hand, flattened, or a kill-switch sale
