"""Explanations and performance: why the autopilot did or did not trade, and how trading went."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, Field

from tools.base import Args
from tools.breakdown import attributed_trades, average_r_text, parts_text, profit_factor_text
from tools.context import ToolContext
from tools.market import resolve_symbol
from tools.ports import EvaluationLog
from tools.results import money
from trading.attribution import Breakdown, breakdown
from trading.decision.evaluation import Decision, Evaluation, SkipReason
from trading.domain import ZERO
from trading.errors import InputError
from trading.pnl import read_window


class ExplainArgs(Args):
    symbol: str | None = Field(None, max_length=30)
    at: AwareDatetime | None = Field(None, description="a UTC time; the candle containing it is explained")


class WhyNotArgs(Args):
    symbol: str | None = Field(None, max_length=30)
    at: AwareDatetime | None = None
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None


class PerformanceArgs(Args):
    period: Literal["today", "week", "month", "all"] = "today"


def _evaluation_text(ev: Evaluation) -> str:
    head = (f"{ev.symbol} candle {ev.candle_time:%Y-%m-%d %H:%M} UTC: {ev.decision.value}"
            f"{' (' + ev.skip_reason.value.replace('_', ' ') + ')' if ev.skip_reason else ''}"
            f"; regime {ev.regime or '-'}, strategy {ev.strategy or '-'}")
    lines = [head, *[f"- {r}" for r in ev.reasons]]
    failed = [f.detail for f in ev.filters if not f.passed]
    if failed and not any(d in ev.reasons for d in failed):
        lines += [f"- {d}" for d in failed]
    if ev.order_id:
        lines.append(f"- order {ev.order_id}")
    return "\n".join(lines)


@dataclass(frozen=True)
class EvaluationResult:
    evaluation: Evaluation | None
    asked: str

    def text(self) -> str:
        if self.evaluation is None:
            return f"I have no autopilot evaluation for {self.asked} (the autopilot may not have run then)."
        return _evaluation_text(self.evaluation)


@dataclass(frozen=True)
class Blocker:
    """One rule that kept the autopilot out, how often over the window, and its newest example."""

    rule: str  # a filter's name (atr, rsi, volume...) or a skip reason (no signal, daily limit...)
    count: int
    example: str  # e.g. "BTC/USD 14:05: ATR 0.08% below the 0.15% minimum"


@dataclass(frozen=True)
class WhyNotResult:
    symbol: str | None
    start: datetime
    end: datetime
    evaluations: int
    entries: int
    reasons: dict[str, int]
    latest: list[Evaluation] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)  # most frequent first; failed filters by name

    def text(self) -> str:
        who = self.symbol or "all symbols"
        if not self.evaluations:
            return (f"No autopilot evaluations for {who} between {self.start:%H:%M} and {self.end:%H:%M} UTC, so "
                    f"nothing was decided: the autopilot evaluates only while the service runs (`make run`), on its "
                    f"universe's pairs; ask 'status' to see whether it is running.")
        out = [f"{who}, {self.start:%m-%d %H:%M} to {self.end:%m-%d %H:%M} UTC: {self.evaluations} evaluations, "
               f"{self.entries} entries."]
        if self.blockers:
            counts = ", ".join(f"{b.rule} {b.count}" for b in self.blockers)
            out.append(f"What kept it out: {counts}.")
            out.extend(f"- {b.rule}: e.g. {b.example}" for b in self.blockers)
        else:
            out.append("Nothing kept it out.")
        return "\n".join(out)


def blockers(evs: list[Evaluation]) -> list[Blocker]:
    """Counts per blocking rule (each failed filter by its name; other skips by their reason), newest example."""
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for ev in evs:  # newest first
        if ev.skip_reason is None:
            continue
        failed = [f for f in ev.filters if not f.passed] if ev.skip_reason is SkipReason.FILTER_FAILED else []
        items = [(f.name.replace("_", " "), f.detail) for f in failed] or [
            (ev.skip_reason.value.replace("_", " "), ev.reasons[-1] if ev.reasons else "")]
        for rule, detail in items:
            counts[rule] += 1
            examples.setdefault(rule, f"{ev.symbol} {ev.candle_time:%m-%d %H:%M}: {detail or rule}")
    return [Blocker(rule, n, examples[rule]) for rule, n in counts.most_common()]


async def explain_evaluation(ctx: ToolContext, args: ExplainArgs) -> EvaluationResult:
    """The autopilot's evaluation of a symbol at a time (or its latest), with every reason."""
    store = _store(ctx)
    symbol = await resolve_symbol(ctx, args.symbol) if args.symbol else None
    if args.at is not None:
        if symbol is None:
            raise InputError("say which pair, e.g. BTC/USD, to explain a moment")
        return EvaluationResult(store.why_not(symbol, args.at), f"{symbol} at {args.at:%Y-%m-%d %H:%M} UTC")
    evs = store.list_evaluations(symbol, limit=200)
    acted = next((e for e in evs if e.decision in (Decision.ENTER, Decision.EXIT)), None)
    return EvaluationResult(acted or (evs[0] if evs else None), symbol or "any pair")


async def why_not_trade(ctx: ToolContext, args: WhyNotArgs) -> WhyNotResult | EvaluationResult:
    """Why the autopilot did not trade: at a moment, or summed over a time range (default: today)."""
    store = _store(ctx)
    symbol = await resolve_symbol(ctx, args.symbol) if args.symbol else None
    if args.at is not None:
        if symbol is None:
            raise InputError("say which pair, e.g. BTC/USD, and I will explain that moment")
        return EvaluationResult(store.why_not(symbol, args.at), f"{symbol} at {args.at:%Y-%m-%d %H:%M} UTC")
    now = ctx.clock.now()
    end = args.end or now
    start = args.start or end.replace(hour=0, minute=0, second=0, microsecond=0)
    if start >= end:
        raise InputError("the start of the range must be before its end")
    evs = store.list_evaluations(symbol, start=start, end=end, limit=5000)
    reasons = Counter(e.skip_reason.value for e in evs if e.skip_reason is not None)
    return WhyNotResult(symbol=symbol, start=start, end=end, evaluations=len(evs),
                        entries=sum(1 for e in evs if e.decision is Decision.ENTER), reasons=dict(reasons),
                        latest=[e for e in evs if e.skip_reason is not None][:1], blockers=blockers(evs))


@dataclass(frozen=True)
class PerformanceResult:
    period: str
    start: datetime | None
    realized_pnl: Decimal
    fees: Decimal
    trades: int  # closing sells in the period
    wins: int
    best: Decimal | None
    worst: Decimal | None
    by_symbol: dict[str, Decimal]
    by_strategy: dict[str, Decimal]  # the strategy that opened each trade, or "no strategy"
    quote: str
    gross_win: Decimal = ZERO
    gross_loss: Decimal = ZERO  # positive: the sum of the losing trades' losses
    by_source: dict[str, Decimal] = field(default_factory=dict)  # who opened each trade (trading.attribution)
    profit_factor: Decimal | None = None  # gross wins / gross losses; None without a losing trade
    average_r: Decimal | None = None  # over the trades whose stop at entry is known
    r_trades: int = 0
    _json_extra = ("win_rate",)

    @property
    def win_rate(self) -> Decimal | None:
        return Decimal(self.wins) / self.trades if self.trades else None

    def text(self) -> str:
        if not self.trades:
            return f"No closed trades {self._when()}; fees paid {money(self.fees)} {self.quote}."
        b = self._breakdown()
        rate = f"{self.win_rate:.0%}" if self.win_rate is not None else "-"
        by_sym = ", ".join(f"{s} {money(v)}" for s, v in sorted(self.by_symbol.items()))
        return (f"P&L {self._when()}: {money(self.realized_pnl)} {self.quote} realised over {self.trades} closed "
                f"trades, win rate {rate}, profit factor {profit_factor_text(b)}, average R {average_r_text(b)}, "
                f"average trade {money(self.realized_pnl / self.trades)}, best {money(self.best)}, worst "
                f"{money(self.worst)}, fees {money(self.fees)}. By source: {parts_text(self.by_source)}. "
                f"By strategy: {parts_text(self.by_strategy)}. By pair: {by_sym}.")

    def _breakdown(self) -> Breakdown:
        r_total = self.average_r * self.r_trades if self.average_r is not None else ZERO
        return Breakdown(self.realized_pnl, self.trades, self.wins, self.gross_win, self.gross_loss,
                         self.by_source, self.by_strategy, r_total, self.r_trades)

    def _when(self) -> str:
        return {"today": "today", "week": "in the last 7 days", "month": "in the last 30 days",
                "all": "all time"}[self.period]


async def performance_report(ctx: ToolContext, args: PerformanceArgs) -> PerformanceResult:
    """Realised P&L, trades, win rate, profit factor, average R, best and worst, by source, strategy and pair."""
    now = ctx.clock.now()
    start = {"today": now.replace(hour=0, minute=0, second=0, microsecond=0), "week": now - timedelta(days=7),
             "month": now - timedelta(days=30), "all": None}[args.period]
    # Only the period's fills, with the P&L the database keeps per fill (average cost with buy fees, the
    # same rule as the report tool); a trade belongs to the source and strategy of the buy that opened it.
    window = await read_window(ctx.exchange, start, None)
    fees = sum((w.fill.fee for w in window.fills), ZERO)
    trades = attributed_trades(ctx, window)
    b = breakdown(trades)
    by_symbol: Counter = Counter()
    for t in trades:
        by_symbol[t.fill.symbol] += t.pnl
    results = [t.pnl for t in trades]
    return PerformanceResult(period=args.period, start=start, realized_pnl=b.total, fees=fees, trades=b.trades,
                             wins=b.wins, best=max(results) if results else None,
                             worst=min(results) if results else None, by_symbol=dict(by_symbol),
                             by_strategy=b.by_strategy, quote=ctx.quote_currency, gross_win=b.gross_win,
                             gross_loss=b.gross_loss, by_source=b.by_source, profit_factor=b.profit_factor,
                             average_r=b.average_r, r_trades=b.r_trades)


def _store(ctx: ToolContext) -> EvaluationLog:
    if ctx.store is None:
        raise InputError("the evaluation log is not available here")
    return ctx.store
