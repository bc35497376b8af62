"""One autopilot tick: closed candles -> evaluations -> risk gate -> orders -> events. Live and paper alike."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from loguru import logger

from trading.attribution import AUTOPILOT
from trading.autopilot.flatten import flatten_all
from trading.autopilot.history import CandleArchive, LiveHistory
from trading.autopilot.intents import IntentKind, IntentStatus, IntentStore, OrderIntent
from trading.autopilot.killswitch import KillSwitchOutboxRunner
from trading.autopilot.learning import AutopilotLearning
from trading.autopilot.maker import MAKER, MakerEntries, maker_price
from trading.autopilot.ports import EquitySnapshots, FillAnnouncements, FillJournal, SettingOverrides
from trading.autopilot.recovery import Recovery
from trading.autopilot.state import AutopilotState
from trading.autopilot.universe import UniverseKeeper
from trading.clock import Clock, next_tick_after
from trading.config import TradingConfig, with_overrides
from trading.decision.evaluation import Decision, Evaluation, SkipReason
from trading.decision.indicators import OHLCV, compute_all
from trading.decision.orchestrator import decide_entry, decide_exit, stop_atr
from trading.decision.strategies import LONG
from trading.domain import ZERO, BracketRequest, Liquidity, Mode, OrderRequest, OrderType, Side, new_client_id
from trading.errors import (
    ExchangeError,
    InsufficientFundsError,
    InvalidOrderError,
    OrderNotFoundError,
    PostOnlyRejectedError,
    ZynError,
)
from trading.events import (
    AutopilotError,
    BracketExit,
    EventBus,
    EventKind,
    OrderFilled,
    OrderPlaced,
    ProtectionAlert,
    TickCompleted,
)
from trading.exchange.base import Exchange, ModeStamped, PositionBook, ReconciledBrackets, require_mode
from trading.learning.learner import RealisedEdge
from trading.risk.daily_target import DailyProfitTarget
from trading.risk.limits import DailyLimits, KillSwitch
from trading.risk.sizing import Sizing, open_risk, size_long
from trading.risk.state import KillSwitchOutbox

_log = logger.bind(component="autopilot")
ANNOUNCE_WITHIN = timedelta(hours=24)  # after a long outage, older fills are recorded but not pushed as news
CANDLE = timedelta(minutes=5)
__all__ = ["Autopilot", "TickReport", "flatten_all", "next_tick_after"]


class AutopilotStore(KillSwitchOutbox, IntentStore, Protocol):
    """What the autopilot persists, the kill switch's outbox included (memory's Database implements it)."""

    def claim_tick(self, symbol: str, candle_time: datetime) -> bool: ...

    def record_evaluation(self, ev: Evaluation) -> int: ...

    def list_evaluations(self, symbol: str | None = None, start: datetime | None = None,
                         end: datetime | None = None, limit: int = 100) -> list[Evaluation]: ...

    def get_autopilot_state(self) -> AutopilotState: ...

    def record_tick(self, last_tick_at: datetime, last_candle_time: datetime | None,
                    next_tick_at: datetime | None) -> None: ...


@dataclass
class TickReport:
    at: datetime
    candle_time: datetime | None = None
    evaluations: list[Evaluation] = field(default_factory=list)
    kill_switch_tripped: bool = False

    def count(self, decision: Decision) -> int:
        return sum(1 for e in self.evaluations if e.decision is decision)


async def account_equity(exchange: Exchange, quote: str) -> tuple[Decimal, dict[str, Decimal]]:
    """Equity in the quote currency (holdings at the bid) and the bid of each held pair."""
    balances = await exchange.fetch_balances()
    markets = await exchange.load_markets()
    equity = balances[quote].total if quote in balances else ZERO
    marks: dict[str, Decimal] = {}
    for asset, bal in balances.items():
        symbol = f"{asset}/{quote}"
        if asset == quote or bal.total <= 0 or symbol not in markets:
            continue
        marks[symbol] = (await exchange.fetch_ticker(symbol)).bid
        equity += bal.total * marks[symbol]
    return equity, marks


class Autopilot:
    """Evaluates every symbol of the universe on each closed candle and trades through the risk gate."""

    def __init__(self, exchange: Exchange, store: AutopilotStore, limits: DailyLimits, kill_switch: KillSwitch,
                 clock: Clock, cfg: TradingConfig, bus: EventBus, *, quote: str = "USD",
                 mode: Mode | None = None, learning: AutopilotLearning | None = None) -> None:
        self.learning = learning  # the learner (trading/autopilot/learning.py): None trades the stack unlearned
        self.exchange, self.store, self.limits, self.kill = exchange, store, limits, kill_switch
        self.clock, self.cfg, self.bus, self.quote = clock, cfg, bus, quote
        self.base_cfg = cfg  # the file's settings; overrides apply on top each tick
        # The mode this autopilot runs in: given, else the mode its database is stamped with. Orders are refused
        # (nothing sent) when the exchange belongs to another mode: see _guard.
        self.mode = mode or (store.mode if isinstance(store, ModeStamped) else exchange.mode)
        self._seen_fills: set[str] | None = None
        self._fills_lock = asyncio.Lock()  # the tick and the fill watcher must not announce a fill twice
        # LIVE Kraken: a reconciler places and reconciles bracket legs (the paper simulator does its own OCO).
        self.brackets = exchange.bracket_reconciler(clock) if isinstance(exchange, ReconciledBrackets) else None
        if learning is not None and self.brackets is not None:
            learning.exit_kind = self.brackets.exit_kind_of
        self._configure_protection()
        self.target = DailyProfitTarget(store, cfg.risk, clock)  # no new entries once the day's gain reaches it
        self.universe = UniverseKeeper(exchange, store, clock, quote=quote)  # the pairs each tick evaluates
        # LIVE fills and their orders go into the journal (PAPER's simulator keeps its own ledger).
        self._journal = store if self.mode == Mode.LIVE and isinstance(store, FillJournal) else None
        self._claims = store if isinstance(store, FillAnnouncements) else None  # persisted: survives restarts
        self._snapshots = store if isinstance(store, EquitySnapshots) else None
        self._overrides = store if isinstance(store, SettingOverrides) else None
        # The kill switch's consequences, saved with the trip and worked off until done (trading/autopilot/killswitch).
        self._kill_steps = KillSwitchOutboxRunner(exchange, store, clock, bus, quote=quote)
        # What a crash (or an error) left half done mid-tick: settled at the next tick and at start-up.
        self._exit_lock = self.brackets.lock if self.brackets else asyncio.Lock()  # no take-profit racing a sale
        self._recovery = Recovery(exchange, store, clock, lock=self._exit_lock,
                                  release=self.brackets.release if self.brackets else None)
        self._maker = MakerEntries(exchange, store, clock)  # resting maker entries (trading/autopilot/maker.py)
        # The closed candles each tick decides on: Kraken's latest, plus the longer warm-up kept in the candle store
        # (trading/autopilot/history.py).
        self.history = LiveHistory(exchange, store if isinstance(store, CandleArchive) else None)

    async def tick(self) -> TickReport:
        """One evaluation round; never raises (errors become events and evaluation rows)."""
        now = self.clock.now()
        report = TickReport(at=now)
        try:
            self._guard("run a tick")
            self._apply_overrides()
            await self.recover()
            await self._reconcile()
            await self._sync_fills()
            equity, _ = await account_equity(self.exchange, self.quote)
            if equity <= 0:  # an empty read (a Kraken glitch) must not trip the kill switch or start the day at 0
                raise ExchangeError("the exchange reported no balances at all; tick skipped, so neither the kill "
                                    "switch nor the day's start equity is computed from an empty read")
            await self._record_equity(now, equity)
            day = self.limits.ensure_day(equity)
            if self.kill.check(equity, day.start_equity):
                report.kill_switch_tripped = True
                self._log_trip(equity, day.start_equity)  # the trip saved its steps: run_kill_steps does them
            if self.target.check(equity, day.start_equity) and (reached := self.target.event(str(self.mode))):
                await self.bus.publish(reached)  # no new entries for the rest of the UTC day: the owner is told
            await self.run_kill_steps()  # this trip's, or an earlier one's still pending (refused, crashed)
            enabled = self.store.get_autopilot_state().enabled
            if self.learning is not None:
                self.learning.refresh()  # arms from the outcomes closed so far (a frozen learner keeps its states)
            # Candles for every symbol at once (network latency overlaps); decisions then run one by one.
            universe = await self.universe.pairs(self.cfg)  # the configured pairs, or today's choice (+ held)
            fetched = await asyncio.gather(*(self._candles(s) for s in universe), return_exceptions=True)
            for symbol, candles in zip(universe, fetched, strict=True):
                if isinstance(candles, BaseException):
                    await self._error(symbol, candles if isinstance(candles, Exception) else RuntimeError("cancelled"))
                    continue
                ev = await self._evaluate_symbol(symbol, candles, now, equity, enabled)
                if ev is not None:
                    report.evaluations.append(ev)
                    report.candle_time = ev.candle_time
        except Exception as exc:  # noqa: BLE001 - the scheduler must keep running
            await self._error(None, exc)
        self.store.record_tick(now, report.candle_time, next_tick_after(now, self.cfg.tick_delay_seconds))
        skipped: dict[str, int] = {}
        for ev in report.evaluations:
            if ev.skip_reason is not None:
                skipped[ev.skip_reason.value] = skipped.get(ev.skip_reason.value, 0) + 1
        await self.bus.publish(TickCompleted(
            EventKind.TICK_COMPLETED, now, str(self.mode),
            f"tick: {len(report.evaluations)} evaluated, {report.count(Decision.ENTER)} entries, "
            f"{report.count(Decision.EXIT)} exits", candle_time=report.candle_time,
            evaluated=len(report.evaluations), entries=report.count(Decision.ENTER),
            exits=report.count(Decision.EXIT), skipped=skipped))
        return report

    async def _record_equity(self, now: datetime, equity: Decimal) -> None:
        """A balance snapshot with this tick's equity: the reports' equity curve (never stops a tick)."""
        if self._snapshots is None:
            return
        try:
            source = str(self.exchange.source)[:40]
            self._snapshots.record_balance_snapshot(await self.exchange.fetch_balances(), now, equity, source)
        except Exception as exc:  # noqa: BLE001 - a missed snapshot only thins the curve
            _log.warning("equity snapshot not recorded: {}", exc)

    def _apply_overrides(self) -> None:
        """Settings changed at run time (set_risk, set_universe) take effect at the next tick, no restart needed:
        a changed universe_size changes the universe keeper's key, so this tick chooses afresh."""
        if self._overrides is None:
            return
        self.cfg = with_overrides(self.base_cfg, self._overrides.get_overrides)
        self.limits.cfg = self.kill.cfg = self.target.cfg = self.cfg.risk
        self._configure_protection()

    def _configure_protection(self) -> None:
        if self.brackets is not None:
            self.brackets.configure(retries=self.cfg.risk.protection_retries, flatten=self.cfg.risk.flatten_unprotected)

    # --- one symbol ---------------------------------------------------------------------------

    async def _candles(self, symbol: str) -> list:
        return await self.history.candles(symbol, self.cfg, self.clock.now())

    async def _evaluate_symbol(self, symbol: str, candles: list, now: datetime, equity: Decimal,
                               enabled: bool) -> Evaluation | None:
        try:
            closed = [c for c in candles if c.closed and c.timestamp + CANDLE <= now]
            if not closed:
                return None
            candle_time = closed[-1].timestamp
            if not self.store.claim_tick(symbol, candle_time):
                return None  # already evaluated: a duplicate fire or a restart never trades twice
        except Exception as exc:  # noqa: BLE001 - one symbol's failure must not stop the others
            await self._error(symbol, exc)
            return None
        try:
            ev = await self._decide(symbol, candle_time, closed, now, equity, enabled)
        except Exception as exc:  # noqa: BLE001 - an indicator or strategy error still gets its row
            await self._error(symbol, exc)
            if self.store.intent_for(symbol, candle_time) is not None:
                return None  # an order went out: recovery writes this candle's row from its intent
            ev = Evaluation(symbol=symbol, candle_time=candle_time, evaluated_at=now, decision=Decision.SKIP,
                            regime=None, strategy=self.cfg.strategy, signal=0, mode=str(self.mode),
                            reasons=(f"error, no decision: {error_text(exc)}",), skip_reason=SkipReason.ERROR)
        if ev.skip_reason is SkipReason.WARMUP:  # never a silent stand-aside: what is missing, and until when
            ev = self.history.explain(ev, self.cfg)
        self.store.record_evaluation(ev)
        return ev

    async def _decide(self, symbol, candle_time, closed, now, equity, enabled) -> Evaluation:
        ind = compute_all(OHLCV.from_candles(closed), self.cfg.indicators)
        i = len(ind) - 1
        position = await self._position(symbol)
        base = dict(symbol=symbol, candle_time=candle_time, evaluated_at=now, indicators=ind.row(i),
                    mode=str(self.mode), position=position)
        learning = self.learning
        if learning is not None:  # shadows settled, the held position followed or its outcome written
            await learning.observe(symbol, closed, ind, Decimal(position.get("amount", "0")), self.cfg)
        resting = await self._maker.review(symbol, candle_time, self.cfg.maker_timeout_bars,
                                           maker=self.cfg.entry == MAKER)
        if resting is not None:  # a maker entry rests here (or ended now): nothing else is decided on the symbol
            return Evaluation(decision=resting.decision, regime=None, strategy=resting.strategy, signal=0,
                              reasons=resting.reasons, skip_reason=resting.skip_reason, order_id=resting.order_id,
                              **base)
        if Decimal(position.get("amount", "0")) > 0:
            strategy = self._entry_strategy(symbol)
            should_exit, reasons = decide_exit(ind, i, self.cfg, strategy)
            if not should_exit:
                return Evaluation(decision=Decision.HOLD, regime=None, strategy=strategy, signal=0, reasons=reasons,
                                  skip_reason=SkipReason.ALREADY_IN_POSITION, **base)
            if not enabled:
                return Evaluation(decision=Decision.SKIP, regime=None, strategy=strategy, signal=-1,
                                  reasons=(*reasons, "autopilot is stopped: exit not taken"),
                                  skip_reason=SkipReason.AUTOPILOT_STOPPED, **base)
            order_id = await self._exit(symbol, Decimal(position["amount"]), strategy, candle_time=candle_time,
                                       reasons=reasons)
            return Evaluation(decision=Decision.EXIT, regime=None, strategy=strategy, signal=-1, reasons=reasons,
                              order_id=order_id, **base)
        d = decide_entry(ind, i, self.cfg)
        arm = learning.regime(ind, self.cfg) if learning is not None else None  # steady regime: the arm's
        common = dict(regime=d.regime.regime.value if d.regime.regime else None, regime_values=d.regime.values,
                      strategy=d.strategy, signal=d.signal, filters=d.filters, **base)
        atr = float(stop_atr(ind, d.strategy)[i])  # the strategy's own stop ATR (1h for the 1h strategies)
        ev, stop = await self._entry(symbol, candle_time, d, arm, atr, equity, enabled, common)
        if learning is not None and d.signal == LONG:
            if ev.decision is Decision.ENTER and ev.order_id and stop is not None:
                learning.opened(symbol, d.strategy, arm, ev.order_id, candle_time, stop)
            elif ev.decision is not Decision.ENTER:  # a signal not taken: its shadow outcome is learned from
                learning.shadow(symbol, d.strategy, arm, candle_time, atr,
                                ev.skip_reason.value if ev.skip_reason else "")
        return ev

    async def _entry(self, symbol, candle_time, d, arm, atr, equity, enabled,  # noqa: ANN001
                     common) -> tuple[Evaluation, Decimal | None]:
        """An entry decision through the risk gate, the learner's gate and sizing: (evaluation, stop)."""
        if not d.enter:
            return Evaluation(decision=Decision.SKIP, reasons=d.reasons, skip_reason=d.skip, **common), None
        gate = self._gate(symbol) if enabled else (SkipReason.AUTOPILOT_STOPPED, "autopilot is stopped")
        if gate is None and self.learning is not None:
            why = self.learning.gate(d.strategy, arm, symbol)
            gate = (SkipReason.LEARNER_OFF, why) if why else None
        if gate is not None:
            return Evaluation(decision=Decision.SKIP, reasons=(*d.reasons, gate[1]), skip_reason=gate[0],
                              **common), None
        realised = self.learning.realised(d.strategy, arm) if self.learning is not None else None
        scale = self.learning.risk_factor(d.strategy, arm, symbol) if self.learning is not None else None
        sizing = await self._size(symbol, equity, atr, realised, scale)
        if not isinstance(sizing, Sizing):
            return Evaluation(decision=Decision.SKIP, reasons=(*d.reasons, sizing[1]), skip_reason=sizing[0],
                              **common), None
        maker = self.cfg.entry == MAKER
        reasons = (*d.reasons, (f"placed a post-only (maker) buy of {sizing.amount} at {sizing.entry}, resting up to "
                                f"{self.cfg.maker_timeout_bars} closed candles: stop {sizing.stop}, target "
                                f"{sizing.target} once it fills" if maker else
                                f"bought {sizing.amount} at ~{sizing.entry}: stop {sizing.stop}, target "
                                f"{sizing.target}") + f", risking {sizing.risk:.2f} {self.quote}")
        try:
            order_id = await self._enter(symbol, candle_time, sizing, d.strategy, reasons)
        except PostOnlyRejectedError as exc:  # the bid moved up to the ask meanwhile: not chased, uncounted
            return Evaluation(decision=Decision.SKIP, reasons=(*d.reasons, f"maker entry refused: {exc.message}"),
                              skip_reason=SkipReason.MAKER_UNFILLED, **common), None
        return Evaluation(decision=Decision.ENTER, reasons=reasons, order_id=order_id, **common), sizing.stop

    def _gate(self, symbol: str) -> tuple[SkipReason, str] | None:
        return self.kill.blocking_reason() or self.target.blocking_reason() or self.limits.check(symbol)

    async def _size(self, symbol: str, equity: Decimal, atr: float, realised: RealisedEdge | None = None,
                    scale: float | None = None) -> Sizing | tuple[SkipReason, str]:
        market = (await self.exchange.load_markets())[symbol]
        ticker = await self.exchange.fetch_ticker(symbol)
        balances = await self.exchange.fetch_balances()
        free = balances[self.quote].free if self.quote in balances else ZERO
        entry = maker_price(ticker, market) if self.cfg.entry == MAKER else ticker.ask  # a maker joins the bid
        return size_long(equity=equity, free_quote=free, entry=entry, atr=Decimal(str(atr)), market=market,
                         cfg=self.cfg.risk, open_risk=await self._open_risk(), taker_fee=market.taker_fee,
                         realised=realised, slippage=self.learning.slippage_fraction if self.learning else ZERO,
                         risk_factor=scale)  # the learner's share (<= 1) of the risk per trade

    async def _open_risk(self) -> Decimal:
        """Quote currency lost if every open position hit its protective stop now, and every resting maker entry
        filled and then hit its planned stop (LIVE has no stop order for it until it fills: trading/autopilot/maker.py)."""
        orders = await self.exchange.fetch_open_orders()
        planned, covered = self._maker.planned_risk(orders)
        stops = [o for o in orders if o.type is OrderType.STOP_LOSS and o.side is Side.SELL
                 and o.stop_price is not None and o.id not in covered]
        return open_risk([*planned, *[(o.amount, (await self.exchange.fetch_ticker(o.symbol)).bid, o.stop_price)
                                      for o in stops]])

    async def _position(self, symbol: str) -> dict[str, str]:
        if isinstance(self.exchange, PositionBook):
            pos = (await self.exchange.positions()).get(symbol)
            if pos is None:
                return {"amount": "0"}
            return {"amount": str(pos.amount), "avg_price": str(pos.avg_price), "realized_pnl": str(pos.realized_pnl)}
        base = symbol.split("/")[0]
        bal = (await self.exchange.fetch_balances()).get(base)
        return {"amount": str(bal.total if bal else ZERO)}

    def _entry_strategy(self, symbol: str) -> str | None:
        for ev in self.store.list_evaluations(symbol, limit=500):
            if ev.decision is Decision.ENTER:
                return ev.strategy
        return None

    # --- orders -------------------------------------------------------------------------------

    def _guard(self, action: str) -> None:
        """Refuse (ModeMismatchError, nothing sent) unless the exchange is of this autopilot's mode."""
        require_mode(self.exchange, self.mode, action)

    async def _enter(self, symbol: str, candle_time: datetime, sizing: Sizing, strategy: str | None,
                     reasons: tuple[str, ...]) -> str:
        self._guard("place an entry")
        maker = self.cfg.entry == MAKER  # a post-only limit at the bid: its stop and target arm once it fills
        request = BracketRequest(symbol=symbol, side=Side.BUY, amount=sizing.amount, stop_price=sizing.stop,
                                 take_profit_price=sizing.target, source=AUTOPILOT, strategy=strategy,
                                 entry_price=sizing.entry if maker else None, post_only=maker)
        # Counted with its intent before it is sent: a crash after the order cannot leave it uncounted.
        intent_id = self.store.open_entry_intent(OrderIntent(
            IntentKind.ENTRY, symbol, candle_time, request.client_id, self.limits.counts().day, sizing.amount,
            strategy, reasons, limit_price=request.entry_price, stop_price=sizing.stop))
        try:
            bracket = await self.exchange.create_bracket(request)
        except (InvalidOrderError, InsufficientFundsError):
            self.store.void_entry_intent(intent_id, self.clock.now())  # refused: nothing was placed
            raise
        self.store.settle_intent(intent_id, IntentStatus.PLACED, bracket.entry_order_id, self.clock.now())
        entry = await self.exchange.fetch_order(bracket.entry_order_id)
        what = (f"post-only (maker) buy of {entry.amount} {symbol} at {entry.price} resting" if maker
                else f"bought {entry.amount} {symbol}")
        await self.bus.publish(OrderPlaced(
            EventKind.ORDER_PLACED, self.clock.now(), str(self.mode),
            f"{strategy or 'autopilot'}: {what} (stop {sizing.stop}, target {sizing.target})",
            order=entry, strategy=strategy))
        await self._sync_fills()
        await self._reconcile()  # adopt or place the stop now rather than at the next fill watch
        return entry.id

    async def _exit(self, symbol: str, amount: Decimal, strategy: str | None, *, candle_time: datetime | None = None,
                    reasons: tuple[str, ...] = ()) -> str:
        self._guard("place an exit")
        intent = OrderIntent(IntentKind.EXIT, symbol, candle_time or self.clock.now(), new_client_id(), self.limits.counts().day, amount,
                             strategy, reasons)
        intent_id = self.store.open_exit_intent(intent)  # a crash from here on is completed at restart
        async with self._exit_lock:
            for order in await self.exchange.fetch_open_orders(symbol):
                if order.side is Side.SELL:  # the bracket's exits: the strategy closes it now
                    with contextlib.suppress(OrderNotFoundError):  # gone already (its other leg took it along)
                        await self.exchange.cancel_order(order.id)
            balances = await self.exchange.fetch_balances()
            base = symbol.split("/")[0]
            free = balances[base].free if base in balances else ZERO
            order = await self.exchange.create_order(OrderRequest(symbol=symbol, side=Side.SELL, type=OrderType.MARKET,
                                                                  amount=min(amount, free), client_id=intent.client_id,
                                                                  source=AUTOPILOT, strategy=strategy))
            if self.brackets is not None:
                self.brackets.release(symbol, f"{strategy or 'autopilot'} exit signal: sold at market")
            self.store.settle_intent(intent_id, IntentStatus.DONE, order.id, self.clock.now())
        await self.bus.publish(OrderPlaced(EventKind.ORDER_PLACED, self.clock.now(), str(self.mode),
                                           f"{strategy or 'autopilot'}: sold {order.amount} {symbol} (exit signal)",
                                           order=order, strategy=strategy))
        await self._sync_fills()
        return order.id

    async def recover(self) -> None:
        """Settle what an interrupted tick left: pending entries and exits, claimed candles without a decision."""
        await self._recovery.run(self.store.record_evaluation)

    async def watch_fills(self) -> None:
        """Between ticks (a scheduler job): announce new fills, e.g. a stop or target hit, or a chat order.

        Never raises: a failure is logged and the next run tries again.
        """
        try:
            self._guard("watch fills and brackets")
            await self.run_kill_steps()
            await self._reconcile()
            await self._sync_fills()
        except Exception as exc:  # noqa: BLE001 - a scheduler job must keep running
            _log.warning("fill watch failed: {}", exc.message if isinstance(exc, ZynError) else exc)

    async def run_kill_steps(self) -> int:
        """Work off the kill switch's pending steps (at start-up, every tick and fill watch); returns those left."""
        self._guard("cancel entries")
        return await self._kill_steps.run()

    async def _reconcile(self) -> None:
        """LIVE: place, adopt and cancel bracket legs (one cancels the other); never raises."""
        if self.brackets is not None:
            await self.brackets.reconcile()
            for alert in self.brackets.drain_alerts():
                await self.bus.publish(alert)

    async def protection_sweep(self) -> list[str]:
        """LIVE, every minute: reconcile the brackets, then name every holding without full stop cover (alerted).

        Returns the unprotected holdings' lines (empty when every one is covered); never raises.
        """
        if self.brackets is None:
            return []
        try:
            self._guard("sweep the stops")
            await self._reconcile()
            missing = list(self.brackets.unprotected())
        except Exception as exc:  # noqa: BLE001 - a scheduler job must keep running
            await self._error(None, exc)
            return []
        for line in missing:
            await self.bus.publish(ProtectionAlert(EventKind.PROTECTION, self.clock.now(), str(self.mode),
                                                   f"protection sweep: {line}", symbol=line.split(":")[0]))
        return missing

    async def _sync_fills(self) -> None:
        """Publish every fill not published yet.

        The paper simulator processes its triggers inside every call (this one included), so new fills
        are found in the trade history rather than tracked per call.
        """
        async with self._fills_lock:
            recent = await self.exchange.fetch_my_trades(limit=100)
            now = self.clock.now()
            claims = self._claims
            if self._seen_fills is None:
                if self._journal is not None:
                    self._journal.record_fills(recent)
                if claims is None or not claims.any_fill_announced():
                    # The first start ever: the history is not news.
                    if claims is not None:
                        claims.mark_fills_announced([f.id for f in recent], now)
                    self._seen_fills = {f.id for f in recent}
                    return
                self._seen_fills = set()  # a restart: fills made while Zyn was down are announced now
            new = sorted((f for f in recent if f.id not in self._seen_fills), key=lambda f: f.timestamp)
            if self._journal is not None and new:
                self._journal.record_fills(new)  # idempotent: a journaled exchange may have done it already
            for fill in new:
                self._seen_fills.add(fill.id)
                if claims is not None and not claims.claim_fill_announcement(fill.id, now):
                    continue  # announced before (another run, or another process)
                if now - fill.timestamp > ANNOUNCE_WITHIN:
                    _log.info("fill {} of {} is too old to announce", fill.id, fill.timestamp)
                    continue
                await self._publish_fill(fill)
            self._seen_fills &= {f.id for f in recent}  # only the newest 100 can come back: bounded

    async def _publish_fill(self, fill) -> None:
        order = await self.exchange.fetch_order(fill.order_id)
        maker = "maker, " if fill.liquidity is Liquidity.MAKER else ""
        text = f"filled: {fill.side.value} {fill.amount} {fill.symbol} @ {fill.price} ({maker}fee {fill.fee})"
        exit_kind = order.type.value if order.type in (OrderType.STOP_LOSS, OrderType.TAKE_PROFIT) else None
        exit_kind = exit_kind or (self.brackets.exit_kind_of(order) if self.brackets else None)
        pnl = await self._pnl(fill)
        if pnl is not None:
            text += f", P&L {pnl:+.2f} {self.quote}"
        if exit_kind:  # a bracket's stop or target (LIVE's take-profit is a market sale of the bracket's)
            await self.bus.publish(BracketExit(EventKind.BRACKET_EXIT, self.clock.now(), str(self.mode),
                                               f"{exit_kind} hit, {text}", fill=fill, exit_kind=exit_kind,
                                               pnl=pnl))
        else:
            await self.bus.publish(OrderFilled(EventKind.ORDER_FILLED, self.clock.now(), str(self.mode), text,
                                               fill=fill, pnl=pnl))
        if self._journal is not None:  # after the announcement: a journal hiccup must not swallow it
            self._journal.record_order(order)

    async def _pnl(self, fill) -> Decimal | None:  # noqa: ANN001 - trading.domain.Fill
        """The realised P&L of a sell that closes (part of) a position; None for buys or when unknown."""
        if fill.side is not Side.SELL:
            return None
        try:
            from trading.pnl import CostedHistory, pnl_of

            if isinstance(self.exchange, CostedHistory):  # the stored P&L of the fill: one lookup
                pnl = await self.exchange.fill_pnl(fill)
            else:  # replay the symbol's history (the journal's in LIVE: no second Kraken call per sale)
                history = (self._journal.list_fills(fill.symbol) if self._journal is not None
                           else await self.exchange.fetch_my_trades(fill.symbol))
                pnl = pnl_of(fill, history)
        except Exception as exc:  # noqa: BLE001 - an alert without its P&L is better than none
            _log.warning("P&L of fill {} not computed: {}", fill.id, exc)
            return None
        return pnl.quantize(Decimal("0.01")) if pnl is not None else None

    def _log_trip(self, equity: Decimal, start: Decimal) -> None:
        loss = (start - equity) / start if start else ZERO
        _log.warning("kill switch tripped: equity {} vs day start {} ({:.2%} loss)", equity, start, loss)

    async def _error(self, symbol: str | None, exc: Exception) -> None:
        message = error_text(exc)
        _log.opt(exception=not isinstance(exc, ZynError)).error("autopilot error on {}: {}", symbol or "tick",
                                                                message)
        await self.bus.publish(AutopilotError(EventKind.AUTOPILOT_ERROR, self.clock.now(), str(self.mode),
                                              f"autopilot error{' on ' + symbol if symbol else ''}: {message}",
                                              symbol=symbol))


def error_text(exc: BaseException) -> str:
    """The whole reason of an error: a Zyn error's message, else the exception's type and its text."""
    if isinstance(exc, ZynError):
        return exc.message
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
