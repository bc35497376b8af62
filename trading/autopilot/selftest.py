"""The autopilot's self-test: one pass of the tick's steps on current data, saying what each step found and
what the tick would have done. It claims no candle and records no decision; it places an order only when
asked (PAPER: a minimal bracket; LIVE: validate only, Kraken checks and places nothing).

With maker entries (TradingConfig.entry = "maker", trading/autopilot/maker.py) it shows the maker step as the
tick takes it: sized at the post-only limit (the bid, rounded down to the price step), resting up to
maker_timeout_bars closed candles; LIVE validates that post-only limit (oflags=post); PAPER, asked to place,
places the minimal post-only bracket, sees it rest and cancels it at once (nothing would manage its timeout).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from trading.attribution import SELF_TEST
from trading.autopilot.history import CandleArchive, LiveHistory
from trading.autopilot.maker import MAKER, maker_price
from trading.clock import Clock
from trading.config import TradingConfig
from trading.decision.evaluation import SkipReason
from trading.decision.indicators import OHLCV, compute_all
from trading.decision.orchestrator import decide_entry, decide_exit, stop_atr
from trading.domain import ZERO, BracketRequest, Mode, OrderRequest, OrderStatus, OrderType, Side
from trading.errors import PostOnlyRejectedError, ZynError
from trading.exchange.base import Exchange
from trading.risk.daily_target import DailyProfitTarget
from trading.risk.limits import DailyLimits, KillSwitch
from trading.risk.sizing import Sizing, size_long

CANDLE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class SelfTestStep:
    name: str
    ok: bool
    detail: str


@dataclass
class SelfTestReport:
    symbol: str
    mode: str
    steps: list[SelfTestStep] = field(default_factory=list)
    verdict: str = ""
    order_id: str | None = None

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.steps.append(SelfTestStep(name, ok, detail))
        return ok

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)


async def self_test(exchange: Exchange, cfg: TradingConfig, clock: Clock, limits: DailyLimits, kill: KillSwitch,
                    symbol: str, *, enabled: bool, place: bool = False, quote: str = "USD",
                    target: DailyProfitTarget | None = None,
                    archive: CandleArchive | None = None) -> SelfTestReport:
    """Run the tick's steps for one symbol now; never raises (a failing step says why and ends the test).

    archive: the candle store the tick reads a long warm-up from (trading/autopilot/history.py); read only here."""
    report = SelfTestReport(symbol, str(exchange.mode))
    history = LiveHistory(exchange, archive, save=False)
    try:
        await _run(report, exchange, cfg, clock, limits, kill, symbol, enabled, place, quote, history, target)
    except ZynError as exc:
        report.add("error", False, exc.message)
    except Exception as exc:  # noqa: BLE001 - the test reports, it does not crash
        report.add("error", False, type(exc).__name__)
    return report


async def _run(report, exchange, cfg, clock, limits, kill, symbol, enabled, place, quote,  # noqa: ANN001, PLR0913
               history, target=None) -> None:
    now = clock.now()
    closed = await history.candles(symbol, cfg, now)  # closed only, the stored warm-up included
    if not report.add("market data", bool(closed), f"{len(closed)} closed 5m candles from {exchange.source}" +
                      (f", newest {closed[-1].timestamp:%H:%M} UTC "
                       f"({int((now - closed[-1].timestamp - CANDLE).total_seconds() // 60)} min old)" if closed
                       else "")):
        report.verdict = "no closed candles: the tick would evaluate nothing"
        return
    ind = compute_all(OHLCV.from_candles(closed), cfg.indicators)
    i = len(ind) - 1
    report.add("indicators", True, f"close {ind.row(i).get('close')}, ATR {float(ind.atr[i]):.2f}")
    balances = await exchange.fetch_balances()
    base = symbol.split("/")[0]
    held = balances[base].total if base in balances else ZERO
    if held > 0:
        should_exit, reasons = decide_exit(ind, i, cfg, None)
        report.add("position", True, f"holding {held} {base}")
        report.verdict = ("would EXIT: " if should_exit else "would HOLD: ") + "; ".join(reasons)
        return
    d = decide_entry(ind, i, cfg)
    regime = d.regime.regime.value if d.regime.regime else "none"
    why = (*d.reasons, history.shortfall(symbol, cfg).text()) if d.skip is SkipReason.WARMUP else d.reasons
    report.add("decision", True, f"regime {regime}, strategy {d.strategy or 'none'}, signal {d.signal}: "
                                 + "; ".join(why))
    if not d.enter:
        report.verdict = f"would SKIP ({d.skip.value if d.skip else 'no signal'})"
        return
    reached = target.blocking_reason() if target is not None else None  # the daily profit target, once reached
    gate = (kill.blocking_reason() or reached or limits.check(symbol)) if enabled else (None, "the autopilot is stopped")
    if gate is not None:
        report.add("risk gate", False, gate[1])
        report.verdict = "would SKIP: " + gate[1]
        return
    report.add("risk gate", True, "kill switch armed, within today's limits")
    market = (await exchange.load_markets())[symbol]
    ticker = await exchange.fetch_ticker(symbol)
    equity = balances[quote].total if quote in balances else ZERO  # cash only: nothing is held here
    free = balances[quote].free if quote in balances else ZERO
    maker = cfg.entry == MAKER
    entry = maker_price(ticker, market) if maker else ticker.ask  # as the tick sizes it (engine._size)
    sizing = size_long(equity=equity, free_quote=free, entry=entry, atr=Decimal(str(float(stop_atr(ind, d.strategy)[i]))),
                       market=market, cfg=cfg.risk, open_risk=ZERO, taker_fee=market.taker_fee)
    if not isinstance(sizing, Sizing):
        report.add("sizing", False, sizing[1])
        report.verdict = "would SKIP: " + sizing[1]
        return
    report.add("sizing", True, f"{sizing.amount} at ~{sizing.entry}, stop {sizing.stop}, target {sizing.target}")
    report.verdict = f"would BUY {sizing.amount} {symbol}"
    if maker:
        timeout = cfg.maker_timeout_bars
        rounded = f", rounded down to the {market.price_step} price step" if sizing.entry != ticker.bid else ""
        report.add("maker entry", True, (
            f"post-only limit buy at {sizing.entry}: the bid {ticker.bid}{rounded}, the ask {ticker.ask}; it rests up "
            f"to {timeout} closed 5m candles ({timeout * 5} min), fills only if price trades below it (maker fee "
            f"{market.maker_fee:.2%}), else it is cancelled, not chased; stop and target arm once it fills"))
        report.verdict += f" with a post-only limit at {sizing.entry} (maker), resting up to {timeout} candles"
        await _maker_order(report, exchange, market, sizing, symbol, place)
        return
    await _order(report, exchange, market, sizing, symbol, place)


async def _maker_order(report, exchange, market, sizing, symbol, place) -> None:  # noqa: ANN001
    """The maker entry's order: LIVE validates the post-only limit; PAPER places a minimal one and cancels it."""
    try:
        if exchange.mode is Mode.LIVE:
            order = await exchange.create_order(OrderRequest(symbol, Side.BUY, OrderType.LIMIT, sizing.amount,
                                                             price=sizing.entry, post_only=True, validate_only=True))
            report.add("order (validate only)", True, (
                f"Kraken accepts the post-only limit buy of {sizing.amount} at {sizing.entry} (oflags=post): "
                f"{order.reason or 'valid'}"))
            return
        if not place:
            report.add("order", True, "not placed (PAPER: ask with --place for a minimal one)")
            return
        bracket = await exchange.create_bracket(BracketRequest(
            symbol, Side.BUY, market.min_amount, stop_price=sizing.stop, take_profit_price=sizing.target,
            entry_price=sizing.entry, source=SELF_TEST, post_only=True))
    except PostOnlyRejectedError as exc:  # the bid moved up to the ask: the tick would skip it, not chase it
        report.add("order", False, f"post-only buy at {sizing.entry} refused: {exc.message}")
        report.verdict = "would SKIP: maker entry refused (it would have taken liquidity)"
        return
    report.order_id = bracket.entry_order_id
    resting = await exchange.fetch_order(bracket.entry_order_id)
    done = await exchange.cancel_order(bracket.entry_order_id)  # its timeout is not the self-test's to wait out
    report.add("order (PAPER, minimal)", resting.status is OrderStatus.OPEN and done.filled == 0, (
        f"placed a post-only buy of {market.min_amount} {symbol} at {resting.price}: entry {resting.id} "
        f"{'rested' if resting.status is OrderStatus.OPEN else resting.status.value}, then cancelled at once "
        f"(the self-test does not wait out its timeout)"))


async def _order(report, exchange, market, sizing, symbol, place) -> None:  # noqa: ANN001
    if exchange.mode is Mode.LIVE:  # LIVE only validates: Kraken checks the order and places nothing
        order = await exchange.create_order(OrderRequest(symbol, Side.BUY, OrderType.MARKET, sizing.amount,
                                                         validate_only=True))
        report.add("order (validate only)", True, f"Kraken accepts it: {order.reason or 'valid'}")
        return
    if not place:
        report.add("order", True, "not placed (PAPER: ask with --place for a minimal one)")
        return
    bracket = await exchange.create_bracket(BracketRequest(symbol, Side.BUY, market.min_amount,
                                                           stop_price=sizing.stop, take_profit_price=sizing.target,
                                                           source=SELF_TEST))
    report.order_id = bracket.entry_order_id
    report.add("order (PAPER, minimal)", True, f"placed {market.min_amount} {symbol}: entry {bracket.entry_order_id}")
