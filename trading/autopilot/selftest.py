"""The autopilot's self-test: one pass of the tick's steps on current data, saying what each step found and
what the tick would have done. It claims no candle and records no decision; it places an order only when
asked (PAPER: a minimal bracket; LIVE: validate only, Kraken checks and places nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from trading.attribution import SELF_TEST
from trading.autopilot.history import CandleArchive, LiveHistory
from trading.clock import Clock
from trading.config import TradingConfig
from trading.decision.evaluation import SkipReason
from trading.decision.indicators import OHLCV, compute_all
from trading.decision.orchestrator import decide_entry, decide_exit, stop_atr
from trading.domain import ZERO, BracketRequest, Mode, OrderRequest, OrderType, Side
from trading.errors import ZynError
from trading.exchange.base import Exchange
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
                    archive: CandleArchive | None = None) -> SelfTestReport:
    """Run the tick's steps for one symbol now; never raises (a failing step says why and ends the test).

    archive: the candle store the tick reads a long warm-up from (trading/autopilot/history.py); read only here."""
    report = SelfTestReport(symbol, str(exchange.mode))
    history = LiveHistory(exchange, archive, save=False)
    try:
        await _run(report, exchange, cfg, clock, limits, kill, symbol, enabled, place, quote, history)
    except ZynError as exc:
        report.add("error", False, exc.message)
    except Exception as exc:  # noqa: BLE001 - the test reports, it does not crash
        report.add("error", False, type(exc).__name__)
    return report


async def _run(report, exchange, cfg, clock, limits, kill, symbol, enabled, place, quote,  # noqa: ANN001, PLR0913
               history) -> None:
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
    gate = (kill.blocking_reason() or limits.check(symbol)) if enabled else (None, "the autopilot is stopped")
    if gate is not None:
        report.add("risk gate", False, gate[1])
        report.verdict = "would SKIP: " + gate[1]
        return
    report.add("risk gate", True, "kill switch armed, within today's limits")
    market = (await exchange.load_markets())[symbol]
    ticker = await exchange.fetch_ticker(symbol)
    equity = balances[quote].total if quote in balances else ZERO  # cash only: nothing is held here
    free = balances[quote].free if quote in balances else ZERO
    sizing = size_long(equity=equity, free_quote=free, entry=ticker.ask, atr=Decimal(str(float(stop_atr(ind, d.strategy)[i]))),
                       market=market, cfg=cfg.risk, open_risk=ZERO, taker_fee=market.taker_fee)
    if not isinstance(sizing, Sizing):
        report.add("sizing", False, sizing[1])
        report.verdict = "would SKIP: " + sizing[1]
        return
    report.add("sizing", True, f"{sizing.amount} at ~{sizing.entry}, stop {sizing.stop}, target {sizing.target}")
    report.verdict = f"would BUY {sizing.amount} {symbol}"
    await _order(report, exchange, market, sizing, symbol, place)


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
